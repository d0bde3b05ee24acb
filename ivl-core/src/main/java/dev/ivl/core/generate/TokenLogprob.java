package dev.ivl.core.generate;

import java.util.ArrayList;
import java.util.List;

/**
 * The log-probability of a generated token under the model's distribution at its step (the logits the model gave,
 * log-softmaxed, before any processor or sampling filter), with the most likely tokens of that step.
 *
 * @param token the generated token
 * @param logprob its natural-log probability, ≤ 0 (−∞ where the model gave it −∞)
 * @param top the most likely tokens of the step, most likely first, as many as asked for
 */
public record TokenLogprob(int token, float logprob, List<Alternative> top) {
    /** Copies the list. */
    public TokenLogprob {
        top = List.copyOf(top);
    }

    /**
     * One of the most likely tokens of a step.
     *
     * @param token the token
     * @param logprob its natural-log probability
     */
    public record Alternative(int token, float logprob) {}

    /**
     * The log of the softmax's denominator, computed stably: a token's log-probability is {@code logits[t]} minus it.
     *
     * @param logits logits, at least one finite
     * @return {@code log Σ exp(logits)}
     */
    public static double logNormalizer(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float z : logits) {
            max = Math.max(max, z);
        }
        double sum = 0;
        for (float z : logits) {
            sum += Math.exp(z - max);
        }
        return max + Math.log(sum);
    }

    /**
     * @param logits a step's logits, unchanged
     * @param token the token generated at that step
     * @param topCount how many alternatives to list
     * @return the token's log-probability and the step's {@code topCount} most likely tokens
     */
    static TokenLogprob of(float[] logits, int token, int topCount) {
        float logZ = (float) logNormalizer(logits);
        int[] best = new int[Math.min(topCount, logits.length)]; // ids, most likely first
        int filled = 0;
        for (int i = 0; i < logits.length; i++) {
            if (filled < best.length || (best.length > 0 && logits[i] > logits[best[best.length - 1]])) {
                int at = filled < best.length ? filled++ : best.length - 1;
                while (at > 0 && logits[best[at - 1]] < logits[i]) {
                    best[at] = best[at - 1];
                    at--;
                }
                best[at] = i;
            }
        }
        List<Alternative> top = new ArrayList<>(filled);
        for (int k = 0; k < filled; k++) {
            top.add(new Alternative(best[k], logits[best[k]] - logZ));
        }
        return new TokenLogprob(token, logits[token] - logZ, top);
    }
}
