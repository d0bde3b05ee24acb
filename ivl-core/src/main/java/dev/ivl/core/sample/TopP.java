package dev.ivl.core.sample;

import dev.ivl.core.InvalidParameterException;
import java.util.Arrays;

/**
 * Nucleus (top-p) filtering with the Hugging Face rule: rank tokens by probability (ties: lower id first) and keep
 * each token whose higher-ranked tokens hold less than {@code p} of the mass, i.e. the smallest head of the ranking
 * whose mass reaches {@code p}. The rest are set to −∞. At least one token is always kept.
 *
 * <p>It does not sort the vocabulary: tokens are bucketed by {@code z_max − z} in steps of 1/4, the bucket where
 * the running mass crosses {@code p} is found in one pass, and only that bucket is sorted.
 *
 * @param p in (0, 1]; 1 keeps everything
 */
public record TopP(float p) implements LogitsProcessor {
    private static final int BUCKETS = 160;
    private static final float BUCKETS_PER_NAT = 4f;

    /** Validates p. */
    public TopP {
        if (!(p > 0 && p <= 1)) {
            throw new InvalidParameterException("topP", p, "must be in (0, 1]");
        }
    }

    @Override
    public void process(float[] logits, TokenHistory history) {
        if (p >= 1f) {
            return;
        }
        int n = logits.length;
        float max = Float.NEGATIVE_INFINITY;
        for (float z : logits) {
            max = Math.max(max, z);
        }
        if (max == Float.NEGATIVE_INFINITY || Float.isNaN(max)) {
            return; // nothing finite to rank
        }
        // Unnormalised probabilities exp(z - max), their total, and the mass of each bucket.
        double[] weight = new double[n];
        double[] bucketMass = new double[BUCKETS];
        int[] bucketSize = new int[BUCKETS];
        double total = 0;
        for (int i = 0; i < n; i++) {
            if (logits[i] != Float.NEGATIVE_INFINITY) {
                double w = Math.exp(logits[i] - max);
                weight[i] = w;
                total += w;
                int b = bucket(max, logits[i]);
                bucketMass[b] += w;
                bucketSize[b]++;
            }
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
        // Rank the boundary bucket: probability descending, then id ascending.
        long[] ranked = new long[bucketSize[boundary]];
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (logits[i] != Float.NEGATIVE_INFINITY && bucket(max, logits[i]) == boundary) {
                ranked[count++] = ((long) Float.floatToIntBits(max - logits[i]) << 32) | i; // d ≥ 0 sorts as int bits
            }
        }
        Arrays.sort(ranked, 0, count);
        boolean[] keepInBoundary = new boolean[n];
        for (int r = 0; r < count; r++) {
            int i = (int) ranked[r];
            keepInBoundary[i] = true;
            above += weight[i];
            if (above >= target) {
                break;
            }
        }
        for (int i = 0; i < n; i++) {
            if (logits[i] == Float.NEGATIVE_INFINITY) {
                continue;
            }
            int b = bucket(max, logits[i]);
            if (b > boundary || (b == boundary && !keepInBoundary[i])) {
                logits[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    private static int bucket(float max, float z) {
        return Math.min(BUCKETS - 1, (int) ((max - z) * BUCKETS_PER_NAT));
    }
}
