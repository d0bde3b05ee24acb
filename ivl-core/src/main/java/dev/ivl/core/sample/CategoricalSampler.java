package dev.ivl.core.sample;

import dev.ivl.core.InvalidInputException;
import java.util.random.RandomGenerator;

/**
 * Draws a token from {@code softmax(z)}: one uniform draw from the given random source, inverted through the
 * cumulative distribution in id order. Entries of −∞ have probability 0 and are skipped. Thread-safe: each thread
 * has its own scratch space.
 */
public final class CategoricalSampler implements Sampler {
    /** The categorical sampler; it holds no state. */
    public static final CategoricalSampler INSTANCE = new CategoricalSampler();

    /** Per thread: the ids and weights of the finite logits, so that each exponential is computed once. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final int NEGATIVE_INFINITY_BITS = Float.floatToRawIntBits(Float.NEGATIVE_INFINITY);

    private CategoricalSampler() {}

    @Override
    public int sample(float[] logits, RandomGenerator random) {
        // Collect the entries that are not -inf (NaN included, so that it is reported below), then work on those.
        Scratch scratch = SCRATCH.get().ensure(logits.length);
        int[] ids = scratch.ids;
        double[] weights = scratch.weights;
        int count = 0;
        for (int i = 0; i < logits.length; i++) {
            if (Float.floatToRawIntBits(logits[i]) != NEGATIVE_INFINITY_BITS) {
                ids[count++] = i;
            }
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < count; k++) {
            float z = logits[ids[k]];
            if (z > max) {
                max = z;
            }
        }
        if (max == Float.NEGATIVE_INFINITY) {
            throw new InvalidInputException("cannot sample: no finite logit (every token was filtered out or NaN)");
        }
        double sum = 0;
        for (int k = 0; k < count; k++) {
            double w = NegExp.of(max - logits[ids[k]]);
            weights[k] = w;
            sum += w;
        }
        if (Double.isNaN(sum)) {
            throw new InvalidInputException("cannot sample: the logits contain NaN or +Infinity");
        }
        double u = random.nextDouble() * sum;
        double cumulative = 0;
        for (int k = 0; k < count; k++) {
            cumulative += weights[k];
            if (u < cumulative) {
                return ids[k];
            }
        }
        return ids[count - 1]; // u fell on the rounding margin of the last term
    }

    private static final class Scratch {
        int[] ids = new int[0];
        double[] weights = new double[0];

        Scratch ensure(int size) {
            if (ids.length < size) {
                ids = new int[size];
                weights = new double[size];
            }
            return this;
        }
    }
}
