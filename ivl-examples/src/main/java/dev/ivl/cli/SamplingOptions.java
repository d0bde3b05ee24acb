package dev.ivl.cli;

import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.djl.llama.GenerationDefaults;
import java.util.List;
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
     * @param defaults the model's generation_config.json, or null
     * @param configEos the end-of-sequence ids of config.json, used when the defaults list none
     * @return a builder with the sampling settings and stop ids; the caller adds the rest
     */
    GenerationConfig.Builder builder(GenerationDefaults defaults, List<Integer> configEos) {
        GenerationConfig.Builder b = GenerationConfig.builder().maxNewTokens(maxNewTokens).minP(minP);
        boolean fileEos = defaults != null && !defaults.eosTokenIds().isEmpty();
        (fileEos ? defaults.eosTokenIds() : configEos).forEach(b::stopTokenIds);
        b.temperature(pick(temperature, defaults == null ? null : defaults.temperature(), 0f));
        b.topP(pick(topP, defaults == null ? null : defaults.topP(), 1f));
        b.topK(pick(topK, defaults == null ? null : defaults.topK(), 0));
        b.repetitionPenalty(pick(repetitionPenalty, defaults == null ? null : defaults.repetitionPenalty(), 1f));
        if (seed != null) {
            b.seed(seed);
        }
        return b;
    }

    private static <T> T pick(T flag, T fromFile, T fallback) {
        return flag != null ? flag : fromFile != null ? fromFile : fallback;
    }
}
