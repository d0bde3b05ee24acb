package dev.ivl.core.sample;

import dev.ivl.core.InvalidInputException;
import java.util.random.RandomGenerator;

/** Picks the largest logit; among equal largest logits, the lowest id. Uses no randomness. */
public final class GreedySampler implements Sampler {
    /** The greedy sampler. */
    public static final GreedySampler INSTANCE = new GreedySampler();

    private GreedySampler() {}

    /**
     * @param logits logits
     * @return the id of the largest logit, the lowest such id on ties
     */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** @throws InvalidInputException if a logit is NaN or every logit is −∞ */
    @Override
    public int sample(float[] logits, RandomGenerator random) {
        for (float z : logits) {
            if (Float.isNaN(z)) {
                throw new InvalidInputException("cannot sample: the logits contain NaN");
            }
        }
        int best = argmax(logits);
        if (logits[best] == Float.NEGATIVE_INFINITY) {
            throw new InvalidInputException("cannot sample: no finite logit (every token was filtered out)");
        }
        return best;
    }
}
