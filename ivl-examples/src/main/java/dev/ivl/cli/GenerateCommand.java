package dev.ivl.cli;

import com.google.gson.GsonBuilder;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.Speculation;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.core.text.TextTokenizer;
import dev.ivl.djl.tokenizer.ChatMessage;
import dev.ivl.djl.tokenizer.HfTokenizer;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Generates text with a model, or with a base model plus a value model. */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Generate from a prompt with a model, optionally combined with a value model: "
                + "z_base + alpha * z_delta. Text streams to stdout; --json prints the full result instead.")
final class GenerateCommand implements Callable<Integer> {
    @Option(names = {"--model", "--base"}, required = true, description = "base model: a Hugging Face checkpoint folder")
    Path model;

    @Mixin
    ValueOptions valueOptions;

    @ArgGroup(multiplicity = "1")
    Prompt prompt;

    static final class Prompt {
        @Option(names = "--prompt", description = "prompt text (needs a tokenizer)")
        String text;

        @Option(names = "--prompt-ids", split = ",", description = "prompt token ids, comma separated")
        int[] ids;
    }

    @Option(names = "--chat", description = "wrap the prompt as a user turn in the chat template")
    boolean chat;

    @Option(names = "--chat-template", defaultValue = "zephyr", description = "template when neither the models'"
            + " ivl.json nor the tokenizer has one: llama2 or zephyr (default: ${DEFAULT-VALUE})")
    String chatTemplate;

    @Option(names = "--tokenizer", description = "tokenizer.json or a folder with it, for a model folder without one"
            + " (default: the model's own)")
    Path tokenizer;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--stop", description = "stop string (repeatable)")
    List<String> stops = List.of();

    @Option(names = "--json", description = "print the result as JSON instead of streaming text")
    boolean json;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    StepOptions stepOptions;

    @Mixin
    DraftOptions draftOptions;

    @Override
    public Integer call() {
        stepOptions.configure();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Speculation speculation = draftOptions.speculation();
        try (Cli.Loaded loaded = Cli.load(model, valueOptions, stepOptions, modelOptions);
                HfTokenizer given = tokenizer == null ? null : HfTokenizer.load(tokenizer);
                DraftOptions.Draft draft = draftOptions.draft == null ? null
                        : DraftOptions.load(draftOptions.draft, loaded.base(), loaded.plugged())) {
            if (given != null) {
                given.checkCompatible(loaded.model().vocabSize());
            }
            Generator generator = new Generator(loaded.model(), given); // refuses a tokenizer of other ids
            if (draft != null) {
                generator = generator.withDraft(draft.model(), speculation); // refuses another vocabulary
            }
            TextTokenizer tok = generator.tokenizer().orElse(null);
            if (tok == null && prompt.text != null) {
                throw new InvalidInputException(model + " has no tokenizer.json: give --tokenizer FILE or --prompt-ids");
            }
            int[] ids = promptIds(tok, loaded);
            GenerationConfig config = sampling.builder(loaded.generationConfig())
                    .stopStrings(stops.toArray(String[]::new)).build();
            return run(generator, ids, config, tok == null, out);
        }
    }

    private int run(Generator generator, int[] ids, GenerationConfig config, boolean noText, PrintStream out) {
        TokenListener listener = json || noText ? idsOrNothing(out) : out::print;
        GenerationResult result = generator.generate(ids, config, listener, new CancellationToken());
        if (json) {
            out.println(toJson(result));
        } else {
            out.println();
            System.err.printf(Locale.ROOT, "[%s: %d prompt + %d new tokens, prefill %.1f ms, %.2f ms/token%s]%n",
                    result.finishReason(), result.usage().promptTokens(), result.usage().completionTokens(),
                    result.timings().prefillMillis(), result.timings().meanTokenMillis(),
                    result.speculation().map(s -> String.format(Locale.ROOT, "; drafted %d, accepted %d (%.0f %%),"
                            + " rejected %d, in %d rounds", s.drafted(), s.accepted(), 100 * s.acceptanceRate(),
                            s.rejected(), s.rounds())).orElse(""));
        }
        return 0;
    }

    private TokenListener idsOrNothing(PrintStream out) {
        if (json) {
            return TokenListener.NONE;
        }
        return new TokenListener() { // no tokenizer: stream the ids
            @Override
            public void onText(String text) {}

            @Override
            public void onToken(int tokenId) {
                out.print(tokenId + " ");
            }
        };
    }

    private int[] promptIds(TextTokenizer tok, Cli.Loaded loaded) {
        if (prompt.ids != null) {
            if (chat) {
                throw new InvalidInputException("--chat needs a text --prompt");
            }
            return prompt.ids;
        }
        if (!chat) {
            return tok.encode(prompt.text);
        }
        String rendered = loaded.chatTemplate(tok, chatTemplate).render(List.of(ChatMessage.user(prompt.text)), true);
        return tok.encode(rendered, false); // the template already holds the special tokens
    }

    static String toJson(GenerationResult r) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("tokens", r.tokens());
        json.put("text", r.text());
        json.put("finishReason", r.finishReason().name());
        json.put("usage", Map.of("promptTokens", r.usage().promptTokens(),
                "completionTokens", r.usage().completionTokens()));
        json.put("timings", Map.of("prefillMillis", r.timings().prefillMillis(),
                "meanTokenMillis", r.timings().meanTokenMillis(), "tokenMillis", r.timings().tokenMillis()));
        json.put("seed", r.seed());
        r.speculation().ifPresent(s -> json.put("speculation", Map.of("rounds", s.rounds(), "drafted", s.drafted(),
                "accepted", s.accepted(), "rejected", s.rejected())));
        return new GsonBuilder().serializeNulls().disableHtmlEscaping().create().toJson(json);
    }
}
