package dev.ivl.cli;

import dev.ivl.core.generate.GenerationConfig;
import picocli.CommandLine.Option;

/**
 * How tokens are picked, shared by {@code generate} and {@code chat}. Each flag given wins; else the model folder's
 * {@code generation_config.json} decides (Hugging Face's own rule: sampling only with {@code do_sample}); else
 * decoding is greedy.
 */
final class SamplingOptions {
    @Option(names = "--max-new-tokens", defaultValue = "256",
            description = "new tokens per answer at most (default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--temperature", description = "0 = greedy (default: generation_config.json, else 0)")
    Float temperature;

    @Option(names = "--top-k", description = "0 = off (default: generation_config.json, else 0)")
    Integer topK;

    @Option(names = "--top-p", description = "1 = off (default: generation_config.json, else 1)")
    Float topP;

    @Option(names = "--min-p", defaultValue = "0", description = "0 = off (default: ${DEFAULT-VALUE})")
    float minP;

    @Option(names = "--repetition-penalty", description = "1 = off (default: generation_config.json, else 1)")
    Float repetitionPenalty;

    @Option(names = "--seed", description = "sampling seed (default: random; generate --json reports it)")
    Long seed;

    /**
     * @param modelDefaults how the model's folder says to decode ({@code LlamaModel.generationConfig()}: its
     *     generation_config.json, else greedy, with its end-of-sequence ids)
     * @return a builder with each flag given over the model's settings; the caller adds the rest
     */
    GenerationConfig.Builder builder(GenerationConfig modelDefaults) {
        GenerationConfig.Builder b = modelDefaults.toBuilder().maxNewTokens(maxNewTokens).minP(minP);
        if (temperature != null) {
            b.temperature(temperature);
        }
        if (topP != null) {
            b.topP(topP);
        }
        if (topK != null) {
            b.topK(topK);
        }
        if (repetitionPenalty != null) {
            b.repetitionPenalty(repetitionPenalty);
        }
        if (seed != null) {
            b.seed(seed);
        }
        return b;
    }
}
