package dev.ivl.core.generate;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

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
 * @param speculation what speculative decoding did, when the generator had a draft ({@link Generator#withDraft})
 */
public record GenerationResult(int[] tokens, String text, FinishReason finishReason, Usage usage, Timings timings,
        long seed, List<TokenLogprob> logprobs, Optional<SpeculationStats> speculation) {
    /** Copies the token array and the list. */
    public GenerationResult {
        tokens = tokens.clone();
        logprobs = List.copyOf(logprobs);
        speculation = Objects.requireNonNull(speculation, "speculation");
    }

    /** @return a copy of the generated token ids */
    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationResult r && Arrays.equals(r.tokens, tokens)
                && Objects.equals(r.text, text) && r.finishReason == finishReason
                && r.usage.equals(usage) && r.timings.equals(timings) && r.seed == seed
                && r.logprobs.equals(logprobs) && r.speculation.equals(speculation);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(tokens) * 31 + finishReason.hashCode();
    }

    @Override
    public String toString() {
        return "GenerationResult[tokens=" + Arrays.toString(tokens) + ", text=" + text + ", finishReason="
                + finishReason + ", usage=" + usage + ", timings=" + timings + ", seed=" + seed + ", logprobs=" + logprobs
                + speculation.map(x -> ", speculation=" + x).orElse("") + "]";
    }
}
