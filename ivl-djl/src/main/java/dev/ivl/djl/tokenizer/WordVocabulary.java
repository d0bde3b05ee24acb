package dev.ivl.djl.tokenizer;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.IvlException;
import dev.ivl.djl.internal.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A word-level vocabulary, written as a standard Hugging Face {@code tokenizer.json} that {@link HfTokenizer#load}
 * (and the Python {@code tokenizers} library) reads. Ids are the special tokens first, then the words, in list order.
 *
 * <p>The file: a {@code WordLevel} model whose {@code vocab} holds every token (special ones included, so ids never
 * shift) with {@code <unk>} for words it lacks; the special tokens also as {@code added_tokens} (special, matched in
 * raw text before anything else, left out when decoding); a normalizer that puts {@code ▁} after every tab and line
 * break (so the word after one is spelled as after a space); a pre-tokenizer {@code Sequence} of {@code Metaspace}
 * ({@code ▁}, prepend scheme {@code always}), {@code Punctuation} (isolated) and a {@code Split} isolating tabs and
 * line breaks; a {@code TemplateProcessing} post-processor that puts {@code <s>} first when special tokens are
 * requested, as Llama-2's does; and a decoder {@code Sequence} of {@code Metaspace} (turns {@code ▁} back into
 * spaces and drops the one before the first word), {@code Fuse} and a {@code Replace} per tab and line break that
 * takes back the space the normalizer put after it.
 *
 * @param specialTokens the special tokens, ids 0 up: {@code <unk>}, {@code <s>}, {@code </s>} first, as in Llama-2
 * @param words the words, ids following the special tokens, each spelled as the pre-tokenizer cuts pieces
 *     ({@code ▁word}, {@code .}, a lone {@code ▁}); a word it never cuts is never used
 */
public record WordVocabulary(List<String> specialTokens, List<String> words) {
    /** The unknown-word token, id 0. */
    public static final String UNK = "<unk>";
    /** The beginning-of-sequence token, id 1. */
    public static final String BOS = "<s>";
    /** The end-of-sequence token, id 2. */
    public static final String EOS = "</s>";
    /** Llama-2's chat-format markers, ids 3 to 6 of a built vocabulary (see {@link ChatTemplate#llama2()}). */
    public static final List<String> LLAMA2_CHAT_MARKERS = List.of("[INST]", "[/INST]", "<<SYS>>", "<</SYS>>");
    /** The file {@link #writeTo} writes {@link #tokenizerConfigJson()} to. */
    public static final String CONFIG_FILE_NAME = "tokenizer_config.json";

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls()
            .create();

    /**
     * Copies the lists and checks them.
     *
     * @throws IllegalParameterException if the special tokens do not start with {@code <unk>}, {@code <s>},
     *     {@code </s>}, or a token is empty or listed twice
     */
    public WordVocabulary {
        specialTokens = List.copyOf(specialTokens);
        words = List.copyOf(words);
        if (specialTokens.size() < 3 || !specialTokens.subList(0, 3).equals(List.of(UNK, BOS, EOS))) {
            throw new IllegalParameterException("specialTokens", specialTokens,
                    "must start with " + UNK + ", " + BOS + ", " + EOS + " (ids 0, 1, 2)");
        }
        Set<String> seen = new HashSet<>();
        for (String token : tokens(specialTokens, words)) {
            if (token.isEmpty()) {
                throw new IllegalParameterException("tokens", "a vocabulary token is the empty string");
            }
            if (!seen.add(token)) {
                throw new IllegalParameterException("tokens", "the token " + token + " is in the vocabulary twice");
            }
        }
    }

    /** @return every token in id order: the special tokens, then the words */
    public List<String> tokens() {
        return tokens(specialTokens, words);
    }

    /** @return the number of tokens, the embedding rows a model of this vocabulary needs */
    public int size() {
        return specialTokens.size() + words.size();
    }

    /** @return the {@code tokenizer.json} text */
    public String tokenizerJson() {
        JsonObject json = new JsonObject();
        json.addProperty("version", "1.0");
        json.add("truncation", JsonNull.INSTANCE);
        json.add("padding", JsonNull.INSTANCE);
        JsonArray added = new JsonArray();
        for (int id = 0; id < specialTokens.size(); id++) {
            JsonObject token = new JsonObject();
            token.addProperty("id", id);
            token.addProperty("content", specialTokens.get(id));
            token.addProperty("single_word", false);
            token.addProperty("lstrip", false);
            token.addProperty("rstrip", false);
            token.addProperty("normalized", false);
            token.addProperty("special", true);
            added.add(token);
        }
        json.add("added_tokens", added);
        json.add("normalizer", normalizer());
        json.add("pre_tokenizer", preTokenizer());
        json.add("post_processor", postProcessor());
        json.add("decoder", decoder());
        JsonObject model = new JsonObject();
        model.addProperty("type", "WordLevel");
        JsonObject vocab = new JsonObject();
        List<String> tokens = tokens();
        for (int id = 0; id < tokens.size(); id++) {
            vocab.addProperty(tokens.get(id), id);
        }
        model.add("vocab", vocab);
        model.addProperty("unk_token", UNK);
        json.add("model", model);
        return GSON.toJson(json) + "\n";
    }

    /**
     * @return the {@code tokenizer_config.json} text: {@code bos_token}, {@code eos_token}, {@code unk_token}, the
     *     other special tokens as {@code additional_special_tokens}, {@code PreTrainedTokenizerFast} as the class,
     *     and {@code clean_up_tokenization_spaces} off (it would delete the space before punctuation in decoded text)
     */
    public String tokenizerConfigJson() {
        JsonObject json = new JsonObject();
        json.addProperty("tokenizer_class", "PreTrainedTokenizerFast");
        json.addProperty("bos_token", BOS);
        json.addProperty("eos_token", EOS);
        json.addProperty("unk_token", UNK);
        JsonArray additional = new JsonArray();
        specialTokens.subList(3, specialTokens.size()).forEach(additional::add);
        json.add("additional_special_tokens", additional);
        json.addProperty("clean_up_tokenization_spaces", false);
        return GSON.toJson(json) + "\n";
    }

    /**
     * Writes {@value HfTokenizer#FILE_NAME} and {@value #CONFIG_FILE_NAME} into a folder, creating it if needed and
     * replacing files of these names; each file appears whole or not at all.
     *
     * @param folder the folder, e.g. a model folder
     * @throws IvlException naming the file if it cannot be written
     */
    public void writeTo(Path folder) {
        write(folder.resolve(HfTokenizer.FILE_NAME), tokenizerJson());
        write(folder.resolve(CONFIG_FILE_NAME), tokenizerConfigJson());
    }

    private static void write(Path file, String text) {
        try {
            AtomicFiles.write(file, temporary -> Files.writeString(temporary, text, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IvlException(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    private static List<String> tokens(List<String> specialTokens, List<String> words) {
        List<String> tokens = new ArrayList<>(specialTokens.size() + words.size());
        tokens.addAll(specialTokens);
        tokens.addAll(words);
        return List.copyOf(tokens);
    }

    /** A {@code ▁} after every tab and line break, as {@link WordSplitter} puts it. */
    private static JsonObject normalizer() {
        JsonArray steps = new JsonArray();
        for (char c : WordSplitter.ISOLATED_WHITESPACE.toCharArray()) {
            steps.add(replace(String.valueOf(c), c + String.valueOf(WordSplitter.MARKER)));
        }
        JsonObject sequence = new JsonObject();
        sequence.addProperty("type", "Sequence");
        sequence.add("normalizers", steps);
        return sequence;
    }

    /** Spaces for {@code ▁}, then the texts joined and the space after each tab and line break taken back. */
    private static JsonObject decoder() {
        JsonArray steps = new JsonArray();
        steps.add(metaspace());
        JsonObject fuse = new JsonObject();
        fuse.addProperty("type", "Fuse");
        steps.add(fuse);
        for (char c : WordSplitter.ISOLATED_WHITESPACE.toCharArray()) {
            steps.add(replace(c + " ", String.valueOf(c)));
        }
        JsonObject sequence = new JsonObject();
        sequence.addProperty("type", "Sequence");
        sequence.add("decoders", steps);
        return sequence;
    }

    /** A {@code Replace} normalizer or decoder of a literal string. */
    private static JsonObject replace(String from, String to) {
        JsonObject pattern = new JsonObject();
        pattern.addProperty("String", from);
        JsonObject replace = new JsonObject();
        replace.addProperty("type", "Replace");
        replace.add("pattern", pattern);
        replace.addProperty("content", to);
        return replace;
    }

    /** The pre-tokenizer of {@link WordSplitter}. */
    private static JsonObject preTokenizer() {
        JsonObject punctuation = new JsonObject();
        punctuation.addProperty("type", "Punctuation");
        punctuation.addProperty("behavior", "Isolated");
        JsonObject pattern = new JsonObject();
        pattern.addProperty("Regex", "[" + WordSplitter.ISOLATED_WHITESPACE + "]");
        JsonObject whitespace = new JsonObject();
        whitespace.addProperty("type", "Split");
        whitespace.add("pattern", pattern);
        whitespace.addProperty("behavior", "Isolated");
        whitespace.addProperty("invert", false);
        JsonArray steps = new JsonArray();
        steps.add(metaspace());
        steps.add(punctuation);
        steps.add(whitespace);
        JsonObject sequence = new JsonObject();
        sequence.addProperty("type", "Sequence");
        sequence.add("pretokenizers", steps);
        return sequence;
    }

    /** Metaspace, as pre-tokenizer and decoder alike (the same fields). */
    private static JsonObject metaspace() {
        JsonObject metaspace = new JsonObject();
        metaspace.addProperty("type", "Metaspace");
        metaspace.addProperty("replacement", String.valueOf(WordSplitter.MARKER));
        metaspace.addProperty("prepend_scheme", "always");
        metaspace.addProperty("split", true);
        return metaspace;
    }

    /** {@code <s> $A} for one text and {@code <s> $A <s> $B} for a pair, as Llama-2's tokenizer.json has it. */
    private static JsonObject postProcessor() {
        JsonArray single = new JsonArray();
        single.add(templatePiece("SpecialToken", BOS, 0));
        single.add(templatePiece("Sequence", "A", 0));
        JsonArray pair = single.deepCopy();
        pair.add(templatePiece("SpecialToken", BOS, 1));
        pair.add(templatePiece("Sequence", "B", 1));
        JsonObject bos = new JsonObject();
        bos.addProperty("id", BOS);
        JsonArray ids = new JsonArray();
        ids.add(1);
        bos.add("ids", ids);
        JsonArray tokens = new JsonArray();
        tokens.add(BOS);
        bos.add("tokens", tokens);
        JsonObject specials = new JsonObject();
        specials.add(BOS, bos);
        JsonObject processor = new JsonObject();
        processor.addProperty("type", "TemplateProcessing");
        processor.add("single", single);
        processor.add("pair", pair);
        processor.add("special_tokens", specials);
        return processor;
    }

    private static JsonElement templatePiece(String kind, String id, int typeId) {
        JsonObject inner = new JsonObject();
        inner.addProperty("id", id);
        inner.addProperty("type_id", typeId);
        JsonObject piece = new JsonObject();
        piece.add(kind, inner);
        return piece;
    }
}
