package dev.ivl.cli;

import com.google.gson.GsonBuilder;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.combine.VocabularyPolicy;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.djl.llama.GenerationDefaults;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.tokenizer.ChatMessage;
import dev.ivl.djl.tokenizer.ChatTemplate;
import dev.ivl.djl.tokenizer.HfTokenizer;
import dev.ivl.djl.vocab.VocabularyMaps;
import dev.ivl.core.vocab.CrossVocabularyModel;
import dev.ivl.core.vocab.SamplingVocabulary;
import dev.ivl.core.vocab.VocabularyAlignment;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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

    @Option(names = "--value", description = "value model folder (its logits are z_delta)")
    Path value;

    @Option(names = "--alpha", defaultValue = "1.0", description = "weight of the value model (default: ${DEFAULT-VALUE})")
    float alpha;

    @Option(names = "--vocab-policy", defaultValue = "exact",
            description = "exact, or value-prefix when the value vocabulary is a prefix of the base's (default: ${DEFAULT-VALUE})")
    String vocabPolicy;

    @Option(names = "--vocab-map", description = "a map from `ivl align-vocab` for a value model with another "
            + "tokenizer (base tokenizer: --tokenizer or the model folder; value tokenizer: --value-tokenizer)")
    Path vocabMap;

    @Option(names = "--value-tokenizer", description = "with --vocab-map: the value model's tokenizer.json or folder "
            + "(default: the value folder)")
    Path valueTokenizer;

    @Option(names = "--sample-in", defaultValue = "value",
            description = "with --vocab-map: sample in the value vocabulary (the paper's eq. 5) or the base one"
                    + " (default: ${DEFAULT-VALUE})")
    String sampleIn;

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

    @Option(names = "--chat-template", defaultValue = "zephyr",
            description = "template when the tokenizer has none: llama2 or zephyr (default: ${DEFAULT-VALUE})")
    String chatTemplate;

    @Option(names = "--tokenizer", description = "tokenizer.json or a folder with it (default: the model folder)")
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

    @Override
    public Integer call() {
        stepOptions.configure();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (LlamaModel base = LlamaModel.load(model, modelOptions.toLoadOptions());
                LlamaModel valueModel = value == null ? null : LlamaModel.load(value, modelOptions.toLoadOptions());
                HfTokenizer tok = openTokenizer()) {
            if (tok != null) {
                tok.checkCompatible(base.vocabSize());
            }
            if (vocabMap != null) {
                return crossVocabulary(base, valueModel, tok, out);
            }
            LanguageModel lm = valueModel == null ? base
                    : Cli.combine(base, valueModel, value, alpha, policy(), stepOptions.stepping(), stepOptions.budget());
            int[] ids = promptIds(tok);
            GenerationConfig config = config(GenerationDefaults.load(model).orElse(null), base.config().eosTokenIds());
            return run(new Generator(lm, tok), ids, config, tok == null, out);
        }
    }

    /** Base and value with different tokenizers, through a vocabulary map; the text is the source of truth. */
    private int crossVocabulary(LlamaModel base, LlamaModel valueModel, HfTokenizer baseTok, PrintStream out) {
        if (valueModel == null || baseTok == null) {
            throw new InvalidInputException("--vocab-map needs --value and a base tokenizer");
        }
        try (HfTokenizer valueTok = HfTokenizer.load(valueTokenizer != null ? valueTokenizer : value)) {
            valueTok.checkCompatible(valueModel.vocabSize());
            VocabularyAlignment alignment = VocabularyMaps.read(vocabMap, baseTok, valueTok);
            CrossVocabularyModel cross = CrossVocabularyModel.builder(base, baseTok, valueModel, valueTok,
                    alignment.map()).alpha(alpha).sampling(Cli.enumOption("--sample-in", sampleIn,
                            SamplingVocabulary.class)).build();
            HfTokenizer sampling = cross.samplingTokenizer() == valueTok ? valueTok : baseTok;
            // the prompt, stop tokens and text are in the sampling vocabulary; its tokenizer's EOS ids stop
            return run(new Generator(cross, sampling), promptIds(sampling), config(null, List.of()), false, out);
        }
    }

    private int run(Generator generator, int[] ids, GenerationConfig config, boolean noText, PrintStream out) {
        TokenListener listener = json || noText ? idsOrNothing(out) : out::print;
        GenerationResult result = generator.generate(ids, config, listener, new CancellationToken());
        if (json) {
            out.println(toJson(result));
        } else {
            out.println();
            System.err.printf(Locale.ROOT, "[%s: %d prompt + %d new tokens, prefill %.1f ms, %.2f ms/token]%n",
                    result.finishReason(), result.usage().promptTokens(), result.usage().completionTokens(),
                    result.timings().prefillMillis(), result.timings().meanTokenMillis());
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

    private VocabularyPolicy policy() {
        return Cli.enumOption("--vocab-policy", vocabPolicy, VocabularyPolicy.class);
    }

    private HfTokenizer openTokenizer() {
        if (tokenizer != null) {
            return HfTokenizer.load(tokenizer);
        }
        if (Files.exists(model.resolve("tokenizer.json"))) {
            return HfTokenizer.load(model);
        }
        if (prompt.text != null) {
            throw new InvalidInputException(model + " has no tokenizer.json: give --tokenizer FILE or --prompt-ids");
        }
        return null;
    }

    private int[] promptIds(HfTokenizer tok) {
        if (prompt.ids != null) {
            if (chat) {
                throw new InvalidInputException("--chat needs a text --prompt");
            }
            return prompt.ids;
        }
        if (!chat) {
            return tok.encode(prompt.text);
        }
        String rendered = ChatTemplate.forTokenizer(tok, chatTemplate)
                .render(List.of(ChatMessage.user(prompt.text)), true);
        return tok.encode(rendered, false); // the template already holds the special tokens
    }

    /** Flags first, then generation_config.json, then the built-in defaults; eos ids from either config file. */
    private GenerationConfig config(GenerationDefaults defaults, List<Integer> configEos) {
        return sampling.builder(defaults, configEos).stopStrings(stops.toArray(String[]::new)).build();
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
        return new GsonBuilder().serializeNulls().disableHtmlEscaping().create().toJson(json);
    }
}
