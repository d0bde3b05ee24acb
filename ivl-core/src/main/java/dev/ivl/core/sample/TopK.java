package dev.ivl.core.sample;

import dev.ivl.core.IllegalParameterException;
import java.util.Arrays;

/**
 * Keeps the k largest logits and every logit equal to the k-th largest (as Hugging Face does); sets the rest to
 * −∞.
 *
 * @param k ≥ 1
 */
public record TopK(int k) implements LogitsProcessor {
    /** Validates k. */
    public TopK {
        if (k < 1) {
            throw new IllegalParameterException("topK", k, "must be >= 1");
        }
    }

    @Override
    public void process(float[] logits, TokenHistory history) {
        if (k >= logits.length) {
            return;
        }
        float kth = kthLargest(logits.clone(), k);
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] < kth) {
                logits[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /** Quickselect for the k-th largest value (1-based); reorders {@code a}. */
    static float kthLargest(float[] a, int k) {
        int target = a.length - k; // index of the k-th largest in ascending order
        int lo = 0;
        int hi = a.length - 1;
        while (hi - lo > 16) {
            float pivot = median(a[lo], a[(lo + hi) >>> 1], a[hi]);
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    float t = a[i];
                    a[i++] = a[j];
                    a[j--] = t;
                }
            }
            if (target <= j) {
                hi = j;
            } else if (target >= i) {
                lo = i;
            } else {
                return a[target];
            }
        }
        Arrays.sort(a, lo, hi + 1);
        return a[target];
    }

    private static float median(float x, float y, float z) {
        return Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    }
}
