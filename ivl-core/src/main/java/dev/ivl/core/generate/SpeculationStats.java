package dev.ivl.core.generate;

/**
 * What speculative decoding did in one generation.
 *
 * @param rounds the draft-and-verify rounds (each gives one token besides the drafted ones kept)
 * @param drafted the tokens the draft proposed
 * @param accepted the drafted tokens the target kept
 */
public record SpeculationStats(int rounds, int drafted, int accepted) {
    /** @return the drafted tokens not kept: the one rejected in a round, and any drafted after it */
    public int rejected() {
        return drafted - accepted;
    }

    /** @return accepted over drafted tokens; 0 when nothing was drafted */
    public double acceptanceRate() {
        return drafted == 0 ? 0 : (double) accepted / drafted;
    }
}
