package dev.ivl.core.sample;

import dev.ivl.core.IllegalParameterException;
import java.util.Arrays;

/**
 * Nucleus (top-p) filtering with the Hugging Face rule: rank tokens by probability (ties: lower id first) and keep
 * each token whose higher-ranked tokens hold less than {@code p} of the mass, i.e. the smallest head of the ranking
 * whose mass reaches {@code p}. The rest are set to −∞. At least one token is always kept.
 *
 * <p>It does not sort the vocabulary: tokens are bucketed by {@code z_max − z} in steps of 1/16, the bucket where
 * the running mass crosses {@code p} is found in one pass, and only that bucket is sorted.
 *
 * @param p in (0, 1]; 1 keeps everything
 */
public record TopP(float p) implements LogitsProcessor {
    private static final int BUCKETS_PER_NAT = 16;
    private static final int BUCKETS = 40 * BUCKETS_PER_NAT;
    /** A token's bucket is its {@link NegExp#index} shifted right by this. */
    private static final int INDEX_SHIFT = Integer.numberOfTrailingZeros(NegExp.STEPS_PER_NAT / BUCKETS_PER_NAT);

    /** Validates p. */
    public TopP {
        if (!(p > 0 && p <= 1)) {
            throw new IllegalParameterException("topP", p, "must be in (0, 1]");
        }
    }

    @Override
    public void process(float[] logits, TokenHistory history) {
        if (p >= 1f) {
            return;
        }
        float max = max(logits);
        if (max == Float.NEGATIVE_INFINITY) {
            return; // nothing finite to rank
        }
        double[] bucketMass = new double[BUCKETS];
        int[] bucketSize = new int[BUCKETS];
        double total = weigh(logits, max, bucketMass, bucketSize);
        if (Double.isNaN(total)) {
            return; // NaN or +inf among the logits: there is no distribution to rank
        }
        double target = p * total;
        // The bucket in which the running mass reaches p·total.
        double above = 0;
        int boundary = BUCKETS - 1;
        for (int b = 0; b < BUCKETS; b++) {
            if (above + bucketMass[b] >= target) {
                boundary = b;
                break;
            }
            above += bucketMass[b];
        }
        long[] ranked = new long[bucketSize[boundary]];
        int count = dropAndCollect(logits, max, boundary, ranked);
        // Rank the boundary bucket and keep its tokens while the mass above them is below p·total.
        Arrays.sort(ranked, 0, count);
        int r = 0;
        while (r < count && above < target) {
            above += NegExp.of(max - logits[(int) ranked[r++]]);
        }
        for (; r < count; r++) {
            logits[(int) ranked[r]] = Float.NEGATIVE_INFINITY;
        }
    }

    /** @return the largest logit, ignoring NaN; −∞ if there is none */
    private static float max(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float z : logits) {
            if (z > max) {
                max = z;
            }
        }
        return max;
    }

    /**
     * Adds each token's unnormalised probability {@code exp(z − max)} to the mass of its bucket
     * {@code floor(16·(max − z))} and counts the bucket's tokens.
     *
     * @return the total mass; NaN if a logit is NaN or +∞
     */
    private static double weigh(float[] logits, float max, double[] bucketMass, int[] bucketSize) {
        double total = 0;
        for (float z : logits) {
            if (z != Float.NEGATIVE_INFINITY) {
                float d = max - z;
                int index = NegExp.index(d);
                double w = NegExp.of(d, index);
                total += w;
                int b = Math.min(BUCKETS - 1, index >> INDEX_SHIFT);
                bucketMass[b] += w;
                bucketSize[b]++;
            }
        }
        return total;
    }

    /**
     * Sets the tokens of the buckets after {@code boundary} to −∞ and puts the {@link #rankKey}s of the boundary
     * bucket's tokens into {@code ranked}.
     *
     * @return the number of keys written
     */
    private static int dropAndCollect(float[] logits, float max, int boundary, long[] ranked) {
        // bucket > boundary is 16·d >= boundary + 1; -inf entries have d = +inf and fall there too.
        float dropFrom = boundary == BUCKETS - 1 ? Float.POSITIVE_INFINITY : boundary + 1;
        int count = 0;
        for (int i = 0; i < logits.length; i++) {
            float z = logits[i];
            float scaled = (max - z) * BUCKETS_PER_NAT;
            if (scaled >= dropFrom) {
                logits[i] = Float.NEGATIVE_INFINITY;
            } else if (scaled >= boundary) {
                ranked[count++] = rankKey(z, i);
            }
        }
        return count;
    }

    /** A key that sorts by logit descending, then id ascending; the id is its low 32 bits. */
    private static long rankKey(float z, int id) {
        int bits = Float.floatToRawIntBits(z + 0f); // + 0 turns -0 into +0
        int ascending = bits ^ ((bits >> 31) & 0x7fffffff); // ordered as z is
        return ((long) ~ascending << 32) | id;
    }
}
