package dev.ivl.core.combine;

import dev.ivl.core.InvalidInputException;

/** How a combiner treats a value model whose vocabulary size differs from the base model's. */
public enum VocabularyPolicy {
    /** The sizes must be equal; anything else is refused. The default. */
    EXACT,
    /**
     * The value vocabulary may be a prefix of the base vocabulary: ids {@code [0, |V_value|)} mean the same in both
     * and the base has extra entries at the end (e.g. a base of 32001 tokens with an added pad token and a value
     * model of 32000). The extra base entries get no z_delta and are masked to −∞, so they are never sampled. A
     * value vocabulary larger than the base's is refused.
     */
    VALUE_PREFIX;

    /**
     * @param baseSize the base model's vocabulary size
     * @param valueSize the value model's vocabulary size
     * @throws InvalidInputException if this policy does not allow the pair
     */
    void check(int baseSize, int valueSize) {
        if (baseSize == valueSize) {
            return;
        }
        if (this == VALUE_PREFIX && valueSize < baseSize) {
            return;
        }
        throw new InvalidInputException("vocabulary mismatch: base has " + baseSize + " tokens, value model has "
                + valueSize + (this == EXACT
                        ? " (use VocabularyPolicy.VALUE_PREFIX if the value vocabulary is a prefix of the base's,"
                                + " or a vocabulary map for different tokenizers)"
                        : " (VALUE_PREFIX needs the value vocabulary to be the smaller one)"));
    }
}
