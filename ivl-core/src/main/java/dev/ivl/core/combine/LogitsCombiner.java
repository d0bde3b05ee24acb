package dev.ivl.core.combine;

import dev.ivl.core.InvalidInputException;

/** Merges the next-token logits of several models, given in a fixed order, into one logits vector. */
public interface LogitsCombiner {
    /** @return how many logits vectors {@link #combine} takes */
    int arity();

    /**
     * Checks that models of these vocabulary sizes can be combined and says how large the result is.
     *
     * @param vocabSizes one size per input, in order
     * @return the size of the combined logits vector
     * @throws InvalidInputException if the sizes cannot be combined under this combiner's policy
     */
    int outputSize(int... vocabSizes);

    /**
     * Combines the inputs into {@code out}.
     *
     * @param logits one vector per input, of the sizes accepted by {@link #outputSize}; not modified
     * @param out receives the combined logits; its length is {@link #outputSize}
     */
    void combine(float[][] logits, float[] out);
}
