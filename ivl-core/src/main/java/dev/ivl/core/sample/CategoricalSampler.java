package dev.ivl.core.sample;

import dev.ivl.core.InvalidInputException;
import java.util.random.RandomGenerator;

/**
 * Draws a token from {@code softmax(z)}: one uniform draw from the given random source, inverted through the
 * cumulative distribution in id order. Entries of −∞ have probability 0 and are skipped.
 */
public final class CategoricalSampler implements Sampler {
    /** The categorical sampler; it holds no state. */
    public static final CategoricalSampler INSTANCE = new CategoricalSampler();

    private CategoricalSampler() {}

    @Override
    public int sample(float[] logits, RandomGenerator random) {
        float max = Float.NEGATIVE_INFINITY;
        for (float z : logits) {
            max = Math.max(max, z);
        }
        if (max == Float.NEGATIVE_INFINITY || Float.isNaN(max)) {
            throw new InvalidInputException("cannot sample: no finite logit (every token was filtered out or NaN)");
        }
        double sum = 0;
        for (float z : logits) {
            if (z != Float.NEGATIVE_INFINITY) {
                sum += Math.exp(z - max);
            }
        }
        double u = random.nextDouble() * sum;
        int last = -1;
        double cumulative = 0;
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] != Float.NEGATIVE_INFINITY) {
                cumulative += Math.exp(logits[i] - max);
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last; // u fell on the rounding margin of the last term
    }
}
