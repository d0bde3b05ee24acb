package dev.ivl.core.generate;

import java.util.Arrays;
import java.util.List;

/**
 * What a generation produced.
 *
 * @param tokens the generated token ids, a final stop token included
 * @param text the generated text without stop token or stop string; null when the generator has no tokenizer
 * @param finishReason why generation ended
 * @param usage token counts
 * @param timings prefill and per-token times
 * @param seed the seed of the sampler's random source (the configured one, or the fresh one drawn)
 * @param logprobs one per generated token when {@link GenerationConfig#logprobs()} asked for them, else empty
 */
public record GenerationResult(int[] tokens, String text, FinishReason finishReason, Usage usage, Timings timings,
        long seed, List<TokenLogprob> logprobs) {
    /** Copies the token array and the list. */
    public GenerationResult {
        tokens = tokens.clone();
        logprobs = List.copyOf(logprobs);
    }

    /** @return a copy of the generated token ids */
    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationResult r && Arrays.equals(r.tokens, tokens)
                && java.util.Objects.equals(r.text, text) && r.finishReason == finishReason
                && r.usage.equals(usage) && r.timings.equals(timings) && r.seed == seed
                && r.logprobs.equals(logprobs);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(tokens) * 31 + finishReason.hashCode();
    }

    @Override
    public String toString() {
        return "GenerationResult[tokens=" + Arrays.toString(tokens) + ", text=" + text + ", finishReason="
                + finishReason + ", usage=" + usage + ", timings=" + timings + ", seed=" + seed + ", logprobs=" + logprobs + "]";
    }
}
