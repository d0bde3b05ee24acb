package dev.ivl.core.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ivl.core.IllegalParameterException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TopKTest {
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    private static float[] topK(int k, float... logits) {
        float[] out = logits.clone();
        new TopK(k).process(out, new TokenHistory());
        return out;
    }

    @Test
    void keepsTheKLargestAndTiesWithTheKth() {
        float[] z = {1f, 5f, 3f, 5f, 2f, 4f};
        assertArrayEquals(new float[] {NEG_INF, 5f, NEG_INF, 5f, NEG_INF, NEG_INF}, topK(1, z), "tie of the 1st");
        assertArrayEquals(new float[] {NEG_INF, 5f, NEG_INF, 5f, NEG_INF, NEG_INF}, topK(2, z));
        assertArrayEquals(new float[] {NEG_INF, 5f, NEG_INF, 5f, NEG_INF, 4f}, topK(3, z));
        assertArrayEquals(new float[] {NEG_INF, 5f, 3f, 5f, NEG_INF, 4f}, topK(4, z));
        assertArrayEquals(z, topK(6, z));
        assertArrayEquals(z, topK(100, z));
    }

    @Test
    void matchesASortOnRandomVectorsWithTiesAndNegativeInfinity() {
        SplittableRandom random = new SplittableRandom(3);
        for (int trial = 0; trial < 400; trial++) {
            int n = 1 + random.nextInt(trial < 200 ? 40 : 5000);
            float[] z = new float[n];
            for (int i = 0; i < n; i++) {
                z[i] = random.nextInt(10) == 0 ? NEG_INF
                        : trial % 2 == 0 ? random.nextInt(8) : (float) random.nextGaussian();
            }
            int k = 1 + random.nextInt(n + 2);
            float[] sorted = z.clone();
            Arrays.sort(sorted);
            float kth = sorted[Math.max(0, n - k)];
            float[] expected = new float[n];
            for (int i = 0; i < n; i++) {
                expected[i] = k >= n || z[i] >= kth ? z[i] : NEG_INF;
            }
            assertArrayEquals(expected, topK(k, z), "trial " + trial + ", k " + k);
        }
    }

    @Test
    void rejectsKBelowOne() {
        IllegalParameterException e = assertThrows(IllegalParameterException.class, () -> new TopK(0));
        assertEquals("topK", e.parameter());
        assertEquals("topK must be >= 1, got 0", e.getMessage());
    }
}
