package dev.ivl.djl.plug;

import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.combine.Stepping;
import dev.ivl.core.combine.VocabularyPolicy;
import dev.ivl.core.vocab.SamplingVocabulary;
import dev.ivl.djl.llama.LoadOptions;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How a value model is plugged into a base. Build with {@link #builder()}; defaults: α = 1, the stepping that suits
 * the models ({@link dev.ivl.djl.llama.LlamaCombinedModel#preferredStepping}) on every available processor, equal
 * vocabularies, no vocabulary map, the models loaded with {@link LoadOptions#defaults()}.
 *
 * @param alpha the weight α of the value model's logits; finite (0 gives the base alone, see
 *     {@link PluggedModel})
 * @param stepping how the base and value forward passes run (residual scheme; a cascade model steps them in turn);
 *     null for the one that suits the models loaded: concurrent on a GPU, sequential on the CPU
 *     ({@link dev.ivl.djl.llama.LlamaCombinedModel#preferredStepping})
 * @param threads the thread budget of a concurrent step; 0 for the available processors
 * @param vocabularyPolicy how differing vocabulary sizes of one tokenizer family are treated (residual scheme)
 * @param vocabularyMap a map from {@code ivl align-vocab} joining the two tokenizers, for a value model with another
 *     tokenizer; null when they are the same
 * @param samplingVocabulary with a vocabulary map: the vocabulary tokens are sampled in
 * @param trustTokenIds combine even when the two tokenizers give ids other meanings (for tokenizers known to
 *     agree where it matters); false refuses such a pair
 * @param load how {@link PluggedModel#load} loads the two models (device, dtype, context)
 */
public record PlugOptions(float alpha, Stepping stepping, int threads, VocabularyPolicy vocabularyPolicy,
        Path vocabularyMap, SamplingVocabulary samplingVocabulary, boolean trustTokenIds, LoadOptions load) {
    /**
     * Validates the options.
     *
     * @throws IllegalParameterException naming the first invalid option
     */
    public PlugOptions {
        if (!Float.isFinite(alpha)) {
            throw new IllegalParameterException("alpha", alpha, "must be finite");
        }
        if (threads < 0) {
            throw new IllegalParameterException("threads", threads, "must be >= 0 (0: the available processors)");
        }
        Objects.requireNonNull(vocabularyPolicy, "vocabularyPolicy");
        Objects.requireNonNull(samplingVocabulary, "samplingVocabulary");
        Objects.requireNonNull(load, "load");
    }

    /** @return the defaults */
    public static PlugOptions defaults() {
        return builder().build();
    }

    /** @return a builder with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding these options */
    public Builder toBuilder() {
        return new Builder().alpha(alpha).stepping(stepping).threads(threads).vocabularyPolicy(vocabularyPolicy)
                .vocabularyMap(vocabularyMap).samplingVocabulary(samplingVocabulary).trustTokenIds(trustTokenIds)
                .load(load);
    }

    /** @return the thread budget: {@link #threads()}, or the available processors for 0 */
    public int effectiveThreads() {
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }

    /** Builds {@link PlugOptions}; every setter returns the builder. */
    public static final class Builder {
        private float alpha = 1f;
        private Stepping stepping;
        private int threads;
        private VocabularyPolicy vocabularyPolicy = VocabularyPolicy.EXACT;
        private Path vocabularyMap;
        private SamplingVocabulary samplingVocabulary = SamplingVocabulary.VALUE;
        private boolean trustTokenIds;
        private LoadOptions load = LoadOptions.defaults();

        private Builder() {}

        /** @param value see {@link PlugOptions#alpha()} @return this */
        public Builder alpha(float value) {
            alpha = value;
            return this;
        }

        /** @param value see {@link PlugOptions#stepping()}; null for the one that suits the models @return this */
        public Builder stepping(Stepping value) {
            stepping = value;
            return this;
        }

        /** @param value see {@link PlugOptions#threads()} @return this */
        public Builder threads(int value) {
            threads = value;
            return this;
        }

        /** @param value see {@link PlugOptions#vocabularyPolicy()} @return this */
        public Builder vocabularyPolicy(VocabularyPolicy value) {
            vocabularyPolicy = value;
            return this;
        }

        /** @param value see {@link PlugOptions#vocabularyMap()} @return this */
        public Builder vocabularyMap(Path value) {
            vocabularyMap = value;
            return this;
        }

        /** @param value see {@link PlugOptions#samplingVocabulary()} @return this */
        public Builder samplingVocabulary(SamplingVocabulary value) {
            samplingVocabulary = value;
            return this;
        }

        /** @param value see {@link PlugOptions#trustTokenIds()} @return this */
        public Builder trustTokenIds(boolean value) {
            trustTokenIds = value;
            return this;
        }

        /** @param value see {@link PlugOptions#load()} @return this */
        public Builder load(LoadOptions value) {
            load = value;
            return this;
        }

        /** @return the validated options */
        public PlugOptions build() {
            return new PlugOptions(alpha, stepping, threads, vocabularyPolicy, vocabularyMap, samplingVocabulary,
                    trustTokenIds, load);
        }
    }
}
