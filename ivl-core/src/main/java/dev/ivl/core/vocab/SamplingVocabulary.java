package dev.ivl.core.vocab;

/** Which vocabulary a {@link CrossVocabularyModel} samples from. */
public enum SamplingVocabulary {
    /**
     * The value model's, as in the paper's eq. 5: {@code z_post = z_base·W + α·z_delta}. The base model follows
     * the text through its own tokenizer.
     */
    VALUE,
    /**
     * The base model's: {@code z_post = z_base + α·z_delta·Wᵀ}. The value model follows the text through its own
     * tokenizer.
     */
    BASE
}
