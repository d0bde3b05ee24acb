package dev.ivl.djl.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.ivl.djl.quant.Int8Matrix;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Matrix.Dense} inside a {@link KernelPass}: the Java float32 kernel against products summed in double, for
 * every row count it takes (padded to tiles of four), weight rows that are not a multiple of four, widths with and
 * without a tail past the last vector, on one thread and split across threads; and which passes take it.
 */
class KernelPassTest {
    private static final double TOLERANCE = 1e-4; // float32 dot products of about a thousand terms in [-1, 1]

    @Test
    void theFloat32KernelEqualsTheProductForRowCountsAcrossItsRange() {
        assertTrue(Int8Matrix.available(), "surefire runs with the Vector API module");
        try (NDManager manager = NDManager.newBaseManager()) {
            int saved = JniUtils.getNumThreads();
            try {
                for (int threads : new int[] {1, 2}) {
                    JniUtils.setNumThreads(threads);
                    for (int in : new int[] {1024, 1030}) { // 1030: a tail past the last vector
                        for (int out : new int[] {256, 259}) { // 259 = 64 tiles of four rows and three rows more
                            for (int rows : new int[] {2, 3, 4, 5, 7, 8, 9, 16, 17, 63, KernelPass.MAX_ROWS}) {
                                check(manager, rows, in, out, threads * 1000L + in * 10L + out + rows);
                            }
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
        float[] x = OpsTest.uniform(random, rows * in);
        float[] w = OpsTest.uniform(random, out * in);
        float[] r = OpsTest.uniform(random, rows * out);
        float[] expected = OpsTest.product(x, w, rows, in, out);
        for (int i = 0; i < expected.length; i++) {
            expected[i] += r[i];
        }
        try (NDManager scope = manager.newSubManager()) {
            Matrix.Dense m = new Matrix.Dense(scope.create(w, new Shape(out, in)));
            NDArray xs = scope.create(x, new Shape(rows, in));
            NDArray residual = scope.create(r, new Shape(rows, out));
            String what = rows + " rows, " + in + " in, " + out + " out, " + JniUtils.getNumThreads() + " thread(s)";
            assertTrue(KernelPass.takes(xs, m.weight()), what);
            int threads = JniUtils.getNumThreads();
            NDArray y = KernelPass.run(() -> {
                assertEquals(1, JniUtils.getNumThreads(), "the engine runs alone during the pass");
                assertEquals(threads, KernelPass.threads(), "the products get the engine's threads");
                return m.times(xs, residual);
            });
            assertEquals(threads, JniUtils.getNumThreads(), "the engine's threads are back after the pass");
            assertEquals(new Shape(rows, out), y.getShape(), what);
            assertArrayEquals(expected, y.toFloatArray(), (float) TOLERANCE, what);
        }
    }

    @Test
    void passesTakeTheKernelForFewFloat32RowsOnTheCpuAndAlwaysForInt8() {
        assertNull(KernelPass.threads(), "outside a pass");
        assertFalse(KernelPass.wanted(1, DataType.FLOAT32, false), "one row: the engine streams it at the floor");
        assertTrue(KernelPass.wanted(2, DataType.FLOAT32, false));
        assertTrue(KernelPass.wanted(KernelPass.MAX_ROWS, DataType.FLOAT32, false));
        assertFalse(KernelPass.wanted(KernelPass.MAX_ROWS + 1, DataType.FLOAT32, false), "a prompt: the engine's GEMM");
        assertFalse(KernelPass.wanted(8, DataType.FLOAT16, false), "float16 weights stay on the engine");
        assertFalse(KernelPass.wanted(8, DataType.FLOAT32, true), "a GPU's products stay on the GPU");
        assertTrue(KernelPass.wanted(1, DataType.INT8, false));
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray w = manager.zeros(new Shape(512, 512));
            NDArray x = manager.zeros(new Shape(3, 512));
            assertTrue(KernelPass.takes(x, w));
            assertFalse(KernelPass.takes(manager.zeros(new Shape(1, 512)), w), "one row");
            assertFalse(KernelPass.takes(x.toType(DataType.FLOAT16, false), w.toType(DataType.FLOAT16, false)),
                    "float16");
            assertFalse(KernelPass.takes(x, manager.zeros(new Shape(511, 512))), "a matrix too small to gain");
        }
    }
}
