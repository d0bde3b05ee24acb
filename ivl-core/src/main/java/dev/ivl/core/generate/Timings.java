package dev.ivl.core.generate;

import java.util.Arrays;

/**
 * Wall-clock times of one generation.
 *
 * @param prefillMillis time to feed the prompt and get the first logits
 * @param tokenMillis for each generated token, the time from the previous token (or the end of the prefill) to it:
 *     feeding the previous token, processing logits and sampling
 */
public record Timings(double prefillMillis, double[] tokenMillis) {
    /** Copies the array. */
    public Timings {
        tokenMillis = tokenMillis.clone();
    }

    /** @return a copy of the per-token times */
    @Override
    public double[] tokenMillis() {
        return tokenMillis.clone();
    }

    /** @return the mean per-token time in milliseconds, or 0 if no token was generated */
    public double meanTokenMillis() {
        return Arrays.stream(tokenMillis).average().orElse(0);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Timings t && t.prefillMillis == prefillMillis && Arrays.equals(t.tokenMillis, tokenMillis);
    }

    @Override
    public int hashCode() {
        return Double.hashCode(prefillMillis) * 31 + Arrays.hashCode(tokenMillis);
    }

    @Override
    public String toString() {
        return "Timings[prefillMillis=" + prefillMillis + ", meanTokenMillis=" + meanTokenMillis() + "]";
    }
}
