package dev.ivl.djl.train.data;

import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.ModelFormatException;
import dev.ivl.djl.internal.TextLines;
import dev.ivl.core.text.TextTokenizer;
import dev.ivl.djl.tokenizer.ChatTemplate;
import dev.ivl.djl.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A JSONL training file, tokenized and labelled.
 *
 * <p>Each non-blank line is one JSON object, either a conversation
 * {@code {"messages": [{"role": "system|user|assistant", "content": "..."}, ...]}} or an instruction pair
 * {@code {"instruction": "...", "response": "..."}} with optional {@code "input"} (appended to the instruction after
 * a blank line) and {@code "system"}, or a plain text {@code {"text": "..."}} for pre-training; other fields are
 * ignored. Conversations are rendered with a chat template and only the assistant turns are labels: their tokens and
 * the EOS that closes each turn. A plain text is encoded with the tokenizer's special tokens and all its tokens are
 * labels (each predicted from the ones before it). See {@link #load}.
 *
 * @param file the data file
 * @param sha256 the SHA-256 of the file's bytes, in lower-case hex
 * @param samples the usable samples, in file order
 * @param skipped how many non-blank lines were skipped (each was reported)
 */
public record TrainingData(Path file, String sha256, List<Sample> samples, int skipped) {
    /** @throws NullPointerException if a component is null */
    public TrainingData {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(sha256, "sha256");
        samples = List.copyOf(samples);
    }

    /**
     * Reads, tokenizes and labels a JSONL file.
     *
     * <p>Malformed lines stop the load: text that is not UTF-8 or not strict JSON, a value that is not an object,
     * missing or mistyped fields, a role other than system, user and assistant. Well-formed examples that cannot be
     * labelled exactly are skipped, each reported as {@code "<file>: line <n>: skipped: <reason>"}: the template
     * rejects the conversation, there is no assistant message, the tokenizer merges text across the start or end of
     * an assistant turn (so its tokens cannot be told apart exactly), the sample has more than {@code maxLength}
     * tokens, or it has no label.
     *
     * <p>The rendered text is encoded without adding special tokens: the template writes them (as Hugging Face's
     * {@code apply_chat_template} does), so training sees exactly the tokens inference prompts with.
     *
     * @param jsonl the data file
     * @param tokenizer the tokenizer of the model being trained; its {@link TextTokenizer#eosTokenIds()} mark the end
     *     of assistant turns
     * @param template the chat template
     * @param maxLength the most tokens a sample may have; ≥ 2
     * @param report receives one message per skipped line
     * @return the samples
     * @throws ModelFormatException naming the file (and line) if it cannot be read, a line is malformed, or no line
     *     gives a usable sample
     * @throws IllegalParameterException if {@code maxLength} &lt; 2
     */
    public static TrainingData load(Path jsonl, TextTokenizer tokenizer, ChatTemplate template, int maxLength,
            Consumer<String> report) {
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(report, "report");
        if (maxLength < 2) {
            throw new IllegalParameterException("maxLength", maxLength, "must be >= 2");
        }
        Labeller labeller = new Labeller(tokenizer, template, maxLength);
        MessageDigest digest = sha256Digest();
        List<Sample> samples = new ArrayList<>();
        int skipped = 0;
        int lineNumber = 0;
        try (TextLines lines = new TextLines(jsonl, new DigestInputStream(Files.newInputStream(jsonl), digest))) {
            for (String line = lines.next(); line != null; line = lines.next()) {
                lineNumber = lines.number();
                if (line.isBlank()) {
                    continue;
                }
                try {
                    Conversations.Example example = Conversations.parse(line);
                    samples.add(example.text() != null
                            ? labeller.labelText(example.text(), lineNumber - 1)
                            : labeller.label(example.messages(), lineNumber - 1));
                } catch (Conversations.Malformed e) {
                    throw new ModelFormatException(jsonl, "line " + lineNumber + ": " + e.getMessage());
                } catch (Labeller.Unlabellable e) {
                    skipped++;
                    report.accept(jsonl + ": line " + lineNumber + ": skipped: " + e.getMessage());
                }
            }
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(jsonl, "no such data file");
        } catch (IOException e) {
            throw new ModelFormatException(jsonl, "cannot be read: " + e, e);
        }
        if (samples.isEmpty()) {
            throw new ModelFormatException(jsonl, "has no usable training example (" + skipped + " skipped, "
                    + lineNumber + " lines)");
        }
        return new TrainingData(jsonl, HexFormat.of().formatHex(digest.digest()), samples, skipped);
    }

    /**
     * Picks the chat template a training run names.
     *
     * @param tokenizer the tokenizer of the model being trained, loaded from its folder
     * @param name {@code own} (the tokenizer_config.json's {@code chat_template}), {@code llama2} or {@code zephyr}
     * @return the template
     * @throws IllegalParameterException if the name is unknown, or is {@code own} and the tokenizer has no template
     * @throws ModelFormatException if the tokenizer's own template does not parse
     */
    public static ChatTemplate template(HfTokenizer tokenizer, String name) {
        if ("llama2".equals(name) || "zephyr".equals(name)) {
            return ChatTemplate.named(name);
        }
        if (!"own".equals(name)) {
            throw new IllegalParameterException("template", name, "must be own, llama2 or zephyr");
        }
        ChatTemplate own = ChatTemplate.forTokenizer(tokenizer, "llama2");
        if (own == ChatTemplate.llama2()) { // the fallback instance: the tokenizer has no template of its own
            throw new IllegalParameterException("template", name, "needs a chat_template in the tokenizer_config.json"
                    + " beside " + tokenizer.source() + "; choose llama2 or zephyr instead");
        }
        return own;
    }

    /** @return the number of tokens over all samples */
    public long tokenCount() {
        return samples.stream().mapToLong(s -> s.tokens().length).sum();
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
