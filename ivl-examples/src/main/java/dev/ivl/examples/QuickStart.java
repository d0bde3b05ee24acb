package dev.ivl.examples;

import dev.ivl.core.combine.ResidualCombiner;
import dev.ivl.core.combine.Stepping;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.djl.llama.LlamaCombinedModel;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.tokenizer.HfTokenizer;
import java.nio.file.Path;

/**
 * The README's example, compiled: plug a value model into a base model and stream a completion.
 *
 * <pre>java -cp "ivl-examples/target/ivl.jar:ivl-examples/target/lib/*" dev.ivl.examples.QuickStart BASE_DIR VALUE_DIR
 * "Tell me about the moon."</pre>
 */
public final class QuickStart {
    private QuickStart() {}

    /**
     * @param args the base folder (with its tokenizer), the value folder, and optionally the prompt
     */
    public static void main(String[] args) {
        String prompt = args.length > 2 ? args[2] : "Tell me about the moon.";
        try (LlamaModel base = LlamaModel.load(Path.of(args[0]));
                LlamaModel value = LlamaModel.load(Path.of(args[1]));
                HfTokenizer tokenizer = HfTokenizer.load(Path.of(args[0]))) {
            LanguageModel combined = LlamaCombinedModel.of(ResidualCombiner.withAlpha(1.0f).combine(base, value))
                    .withStepping(Stepping.CONCURRENT); // z_base + α·z_delta, both forward passes at once
            GenerationConfig config = GenerationConfig.builder()
                    .temperature(0.7f).topP(0.9f).maxNewTokens(128).seed(42).build();
            GenerationResult result = new Generator(combined, tokenizer)
                    .generate(prompt, config, System.out::print); // streams text
            System.out.println("\n" + result.finishReason() + ", " + result.usage());
        }
    }
}
