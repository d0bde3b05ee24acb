package dev.ivl.djl.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Ops#linear} against products summed in double in Java, for one row (split into one block of weight rows
 * per intra-op thread when they divide evenly) and for several rows, at 1, 2 and 3 intra-op threads.
 */
class OpsTest {
    private static final double TOLERANCE = 1e-5; // float32 dot products of 40 terms in [-1, 1]

    @Test
    void linearEqualsTheProductForOneRowAndSeveralAtAnyThreadCount() {
        try (NDManager manager = NDManager.newBaseManager()) { // starts the engine
            int saved = JniUtils.getNumThreads();
            try {
                for (int threads : new int[] {1, 2, 3}) {
                    JniUtils.setNumThreads(threads);
                    // 12 rows split evenly in 1, 2 or 3 blocks; 7 rows split evenly in none but 1
                    for (int out : new int[] {12, 7}) {
                        for (int rows : new int[] {1, 3}) {
                            check(manager, rows, 40, out, threads * 100 + out * 10 + rows);
                        }
                    }
                }
            } finally {
                JniUtils.setNumThreads(saved);
            }
        }
    }

    private static void check(NDManager manager, int rows, int in, int out, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = uniform(random, rows * in);
        float[] w = uniform(random, out * in);
        float[] expected = product(x, w, rows, in, out);
        try (NDManager scope = manager.newSubManager()) {
            NDArray y = Ops.linear(scope.create(x, new Shape(rows, in)), scope.create(w, new Shape(out, in)));
            String what = rows + " row(s), " + out + " outputs, " + JniUtils.getNumThreads() + " thread(s)";
            assertEquals(new Shape(rows, out), y.getShape(), what);
            assertArrayEquals(expected, y.toFloatArray(), (float) TOLERANCE, what);
        }
    }

    /** @return {@code n} values drawn uniformly from [-1, 1) */
    static float[] uniform(SplittableRandom random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextDouble(-1, 1);
        }
        return values;
    }

    /** @return {@code x @ wᵀ} for row-major {@code x [rows, in]} and {@code w [out, in]}, summed in double */
    static float[] product(float[] x, float[] w, int rows, int in, int out) {
        float[] y = new float[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double sum = 0;
                for (int k = 0; k < in; k++) {
                    sum += (double) x[r * in + k] * w[o * in + k];
                }
                y[r * out + o] = (float) sum;
            }
        }
        return y;
    }
}
