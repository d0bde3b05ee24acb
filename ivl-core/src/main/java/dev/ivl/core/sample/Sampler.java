package dev.ivl.core.sample;

import java.util.random.RandomGenerator;

/** Picks the next token from (processed) logits. Implement it to plug in your own choice rule. */
@FunctionalInterface
public interface Sampler {
    /**
     * @param logits the processed logits; entries of −∞ are never chosen
     * @param random the generation's seeded random source; the only randomness a sampler may use
     * @return the chosen token id
     */
    int sample(float[] logits, RandomGenerator random);
}
