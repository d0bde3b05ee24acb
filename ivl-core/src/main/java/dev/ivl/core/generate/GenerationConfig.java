package dev.ivl.core.generate;

import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.sample.CategoricalSampler;
import dev.ivl.core.sample.GreedySampler;
import dev.ivl.core.sample.LogitsProcessor;
import dev.ivl.core.sample.MinP;
import dev.ivl.core.sample.RepetitionPenalty;
import dev.ivl.core.sample.Sampler;
import dev.ivl.core.sample.Temperature;
import dev.ivl.core.sample.TopK;
import dev.ivl.core.sample.TopP;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * How to generate: length, sampling parameters, stop rules and seed. Immutable and validated on construction;
 * build it with {@link #builder()}. Defaults: 256 new tokens, greedy decoding (temperature 0, as Hugging Face without
 * {@code do_sample}), no top-k/top-p/min-p filtering, no repetition penalty, a fresh random seed when sampling, stop
 * at the tokenizer's end-of-sequence ids. A model's own defaults ({@code generation_config.json}) come from its
 * loader (ivl-djl: {@code LlamaModel.generationConfig()}).
 *
 * <p>Each step's logits go through, in this order (Hugging Face's): the repetition penalty, the user's
 * {@link #processors()}, then, when sampling, temperature, top-k, top-p and min-p; then the sampler picks a token. A
 * user processor thus sees the whole distribution (a "force this token" hook works under any top-p).
 *
 * @param maxNewTokens the most tokens to generate, counting new tokens only; ≥ 1
 * @param temperature 0 for greedy decoding, else at least {@link #MIN_TEMPERATURE}
 * @param topK keep the k most likely tokens (and ties with the k-th); 0 disables
 * @param topP keep the smallest set of most likely tokens whose probability reaches p; in (0, 1], 1 disables
 * @param minP drop tokens less likely than {@code minP × p(most likely)}; in [0, 1), 0 disables
 * @param repetitionPenalty divide positive logits and multiply negative ones of every token already in the prompt
 *     or output (the Hugging Face rule); &gt; 0, 1 disables
 * @param stopTokenIds ids that end generation (in addition to the tokenizer's end-of-sequence ids)
 * @param stopStrings texts that end generation; they are not part of the result's text
 * @param seed the seed of the sampler's random source; empty means a fresh seed, reported in the result
 * @param ignoreEos when true, the tokenizer's end-of-sequence ids do not stop generation
 * @param processors the user's processors, run after the repetition penalty and before the sampling filters
 * @param sampler a sampler replacing the built-in choice (greedy at temperature 0, categorical otherwise); null for
 *     the built-in one
 * @param logprobs whether the result reports each generated token's log-probability ({@link TokenLogprob})
 * @param topLogprobs with {@code logprobs}, how many of each step's most likely tokens to report; in [0, 20]
 */
public record GenerationConfig(
        int maxNewTokens,
        float temperature,
        int topK,
        float topP,
        float minP,
        float repetitionPenalty,
        List<Integer> stopTokenIds,
        List<String> stopStrings,
        OptionalLong seed,
        boolean ignoreEos,
        List<LogitsProcessor> processors,
        Sampler sampler,
        boolean logprobs,
        int topLogprobs) {

    /** The smallest sampling temperature: 0 is greedy, and below this the scaled logits overflow. */
    public static final float MIN_TEMPERATURE = 1e-4f;

    /** Validates every parameter; the exception names the first invalid one and its value. */
    public GenerationConfig {
        if (maxNewTokens < 1) {
            throw new IllegalParameterException("maxNewTokens", maxNewTokens, "must be >= 1");
        }
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalParameterException("temperature", temperature, "must be a finite number >= 0");
        }
        if (temperature > 0 && temperature < MIN_TEMPERATURE) {
            throw new IllegalParameterException("temperature", temperature, "must be 0 (greedy) or at least "
                    + MIN_TEMPERATURE + ": logits divided by less overflow to infinity");
        }
        if (topK < 0) {
            throw new IllegalParameterException("topK", topK, "must be >= 0");
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalParameterException("topP", topP, "must be in (0, 1]");
        }
        if (!(minP >= 0 && minP < 1)) {
            throw new IllegalParameterException("minP", minP, "must be in [0, 1)");
        }
        if (!(repetitionPenalty > 0) || Float.isInfinite(repetitionPenalty)) {
            throw new IllegalParameterException("repetitionPenalty", repetitionPenalty, "must be a finite number > 0");
        }
        stopTokenIds = List.copyOf(Objects.requireNonNull(stopTokenIds, "stopTokenIds"));
        for (int id : stopTokenIds) {
            if (id < 0) {
                throw new IllegalParameterException("stopTokenIds", stopTokenIds, "must not contain negative ids");
            }
        }
        stopStrings = List.copyOf(Objects.requireNonNull(stopStrings, "stopStrings"));
        for (String s : stopStrings) {
            if (s.isEmpty()) {
                throw new IllegalParameterException("stopStrings", "\"\"", "must not contain an empty string");
            }
        }
        Objects.requireNonNull(seed, "seed");
        processors = List.copyOf(Objects.requireNonNull(processors, "processors"));
        if (topLogprobs < 0 || topLogprobs > 20) {
            throw new IllegalParameterException("topLogprobs", topLogprobs, "must be in [0, 20]");
        }
        if (topLogprobs > 0 && !logprobs) {
            throw new IllegalParameterException("topLogprobs", topLogprobs, "needs logprobs");
        }
    }

    /** @return a builder with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding this configuration's values */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxNewTokens = maxNewTokens;
        b.temperature = temperature;
        b.topK = topK;
        b.topP = topP;
        b.minP = minP;
        b.repetitionPenalty = repetitionPenalty;
        b.stopTokenIds = new ArrayList<>(stopTokenIds);
        b.stopStrings = new ArrayList<>(stopStrings);
        b.seed = seed;
        b.ignoreEos = ignoreEos;
        b.processors = new ArrayList<>(processors);
        b.sampler = sampler;
        b.logprobs = logprobs;
        b.topLogprobs = topLogprobs;
        return b;
    }

    /** @return whether decoding is greedy (temperature 0 with the built-in sampler) */
    public boolean greedy() {
        return sampler == null && temperature == 0f;
    }

    /**
     * The processors in the order they run: repetition penalty, the user's {@link #processors()}, then temperature,
     * top-k, top-p, min-p (each only when enabled; the last four only when sampling).
     *
     * @return the ordered processors
     */
    public List<LogitsProcessor> logitsProcessors() {
        List<LogitsProcessor> list = new ArrayList<>();
        if (repetitionPenalty != 1f) {
            list.add(new RepetitionPenalty(repetitionPenalty));
        }
        list.addAll(processors);
        if (!greedy()) {
            if (temperature != 1f && temperature != 0f) {
                list.add(new Temperature(temperature));
            }
            if (topK > 0) {
                list.add(new TopK(topK));
            }
            if (topP < 1f) {
                list.add(new TopP(topP));
            }
            if (minP > 0f) {
                list.add(new MinP(minP));
            }
        }
        return List.copyOf(list);
    }

    /** @return the sampler that picks tokens: {@link #sampler()} if set, else greedy or categorical */
    public Sampler effectiveSampler() {
        if (sampler != null) {
            return sampler;
        }
        return temperature == 0f ? GreedySampler.INSTANCE : CategoricalSampler.INSTANCE;
    }

    /** Builds a {@link GenerationConfig}; every setter returns the builder. */
    public static final class Builder {
        private int maxNewTokens = 256;
        private float temperature;
        private int topK;
        private float topP = 1f;
        private float minP;
        private float repetitionPenalty = 1f;
        private List<Integer> stopTokenIds = new ArrayList<>();
        private List<String> stopStrings = new ArrayList<>();
        private OptionalLong seed = OptionalLong.empty();
        private boolean ignoreEos;
        private List<LogitsProcessor> processors = new ArrayList<>();
        private Sampler sampler;
        private boolean logprobs;
        private int topLogprobs;

        private Builder() {}

        /** @param value see {@link GenerationConfig#maxNewTokens()} @return this */
        public Builder maxNewTokens(int value) {
            maxNewTokens = value;
            return this;
        }

        /** @param value see {@link GenerationConfig#temperature()} @return this */
        public Builder temperature(float value) {
            temperature = value;
            return this;
        }

        /** Greedy decoding: temperature 0. @return this */
        public Builder greedy() {
            return temperature(0f);
        }

        /** @param value see {@link GenerationConfig#topK()} @return this */
        public Builder topK(int value) {
            topK = value;
            return this;
        }

        /** @param value see {@link GenerationConfig#topP()} @return this */
        public Builder topP(float value) {
            topP = value;
            return this;
        }

        /** @param value see {@link GenerationConfig#minP()} @return this */
        public Builder minP(float value) {
            minP = value;
            return this;
        }

        /** @param value see {@link GenerationConfig#repetitionPenalty()} @return this */
        public Builder repetitionPenalty(float value) {
            repetitionPenalty = value;
            return this;
        }

        /** @param ids token ids to add to the stop set @return this */
        public Builder stopTokenIds(int... ids) {
            for (int id : ids) {
                stopTokenIds.add(id);
            }
            stopTokenIds = new ArrayList<>(new LinkedHashSet<>(stopTokenIds));
            return this;
        }

        /** Empties the stop ids, for a request that wants other ones. @return this */
        public Builder clearStopTokenIds() {
            stopTokenIds = new ArrayList<>();
            return this;
        }

        /** @param strings texts to add to the stop strings @return this */
        public Builder stopStrings(String... strings) {
            stopStrings.addAll(List.of(strings));
            return this;
        }

        /** @param value the sampler's seed @return this */
        public Builder seed(long value) {
            seed = OptionalLong.of(value);
            return this;
        }

        /** @param value see {@link GenerationConfig#ignoreEos()} @return this */
        public Builder ignoreEos(boolean value) {
            ignoreEos = value;
            return this;
        }

        /**
         * @param processor a processor to run after the repetition penalty and before the sampling filters (see
         *     {@link GenerationConfig})
         * @return this
         */
        public Builder addProcessor(LogitsProcessor processor) {
            processors.add(Objects.requireNonNull(processor, "processor"));
            return this;
        }

        /** @param value a sampler replacing the built-in one, or null @return this */
        public Builder sampler(Sampler value) {
            sampler = value;
            return this;
        }

        /**
         * Reports each generated token's log-probability and its step's {@code top} most likely tokens.
         *
         * @param top how many alternatives per step, in [0, 20]
         * @return this
         */
        public Builder logprobs(int top) {
            logprobs = true;
            topLogprobs = top;
            return this;
        }

        /**
         * @return the validated configuration
         * @throws IllegalParameterException naming the first invalid parameter and its value
         */
        public GenerationConfig build() {
            return new GenerationConfig(maxNewTokens, temperature, topK, topP, minP, repetitionPenalty, stopTokenIds,
                    stopStrings, seed, ignoreEos, processors, sampler, logprobs, topLogprobs);
        }
    }
}
