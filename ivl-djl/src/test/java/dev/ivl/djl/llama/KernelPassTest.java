package dev.ivl.djl.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.ivl.djl.quant.FloatMatrix;
import dev.ivl.djl.quant.Int8Matrix;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Matrix.Dense} inside a {@link KernelPass}: Java's products of float32 and float16 weights against products
 * summed in double, for every row count they take, weight rows that are not a multiple of four, widths with and
 * without a tail past the last vector, on one thread and split across threads; and which passes take them.
 */
class KernelPassTest {
    private static final double TOLERANCE = 1e-4; // float32 dot products of about a thousand terms in [-1, 1]

    @Test
    void javaProductsEqualTheProductForRowCountsAcrossTheirRange() {
        assertTrue(Int8Matrix.available(), "surefire runs with the Vector API module");
        try (NDManager manager = NDManager.newBaseManager()) {
            int saved = JniUtils.getNumThreads();
            try {
                for (int threads : new int[] {1, 2}) {
                    JniUtils.setNumThreads(threads);
                    for (int in : new int[] {1024, 1030}) { // 1030: a tail past the last vector
                        for (int out : new int[] {256, 259}) { // 259 = 64 tiles of four rows and three rows more
                            for (int rows : new int[] {2, 3, 4, 5, 7, 8, 9, 16, 17, 63, KernelPass.MAX_ROWS}) {
                                long seed = threads * 1000L + in * 10L + out + rows;
                                check(manager, DataType.FLOAT32, rows, in, out, seed);
                                check(manager, DataType.FLOAT16, rows, in, out, seed);
                            }
                        }
                    }
                }
            } finally {
                JniUtils.setNumThreads(saved);
            }
        }
    }

    private static void check(NDManager manager, DataType dtype, int rows, int in, int out, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = OpsTest.uniform(random, rows * in);
        float[] w = OpsTest.uniform(random, out * in);
        float[] r = OpsTest.uniform(random, rows * out);
        try (NDManager scope = manager.newSubManager()) {
            NDArray weight = scope.create(w, new Shape(out, in)).toType(dtype, false);
            float[] stored = weight.toType(DataType.FLOAT32, false).toFloatArray(); // float16: the rounded weights
            float[] expected = OpsTest.product(x, stored, rows, in, out);
            for (int i = 0; i < expected.length; i++) {
                expected[i] += r[i];
            }
            Matrix.Dense m = new Matrix.Dense(weight);
            NDArray xs = scope.create(x, new Shape(rows, in));
            NDArray residual = scope.create(r, new Shape(rows, out));
            String what = dtype + ", " + rows + " rows, " + in + " in, " + out + " out, " + JniUtils.getNumThreads()
                    + " thread(s)";
            assertNotNull(m.host(), what);
            assertTrue(KernelPass.takes(xs, m.host()), what);
            int threads = JniUtils.getNumThreads();
            NDArray y = KernelPass.run(() -> {
                assertEquals(1, JniUtils.getNumThreads(), "the engine runs alone during the pass");
                assertEquals(threads, KernelPass.threads(), "the products get the engine's threads");
                return m.times(xs, residual);
            });
            assertEquals(threads, JniUtils.getNumThreads(), "the engine's threads are back after the pass");
            assertEquals(new Shape(rows, out), y.getShape(), what);
            assertEquals(DataType.FLOAT32, y.getDataType(), what);
            assertArrayEquals(expected, y.toFloatArray(), (float) TOLERANCE, what);
        }
    }

    @Test
    void aSingleRowIsStreamedFromTheWeightsOfEitherDtype() {
        try (NDManager manager = NDManager.newBaseManager()) {
            for (DataType dtype : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
                for (int in : new int[] {1024, 1030}) {
                    SplittableRandom random = new SplittableRandom(in);
                    int out = 67;
                    float[] x = OpsTest.uniform(random, in);
                    NDArray weight = manager.create(OpsTest.uniform(random, out * in), new Shape(out, in))
                            .toType(dtype, false);
                    float[] expected = OpsTest.product(x, weight.toType(DataType.FLOAT32, false).toFloatArray(), 1,
                            in, out);
                    float[] y = new float[out];
                    FloatMatrix.of(weight).multiply(x, 1, 2, y);
                    assertArrayEquals(expected, y, (float) TOLERANCE, dtype + ", " + in + " in");
                }
            }
        }
    }

    @Test
    void viewsOfRowsAndTransposedArraysMultiplyTheirOwnValues() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray w = manager.arange(0f, 12f).reshape(3, 4); // [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
            float[] y = new float[4];
            FloatMatrix.of(w.transpose()).multiply(new float[] {1, 0, 0}, 1, 1, y); // copied: not contiguous
            assertArrayEquals(new float[] {0, 1, 2, 3}, y, 0f, "column 0 of w");
            float[] rows = new float[2];
            FloatMatrix.of(w.get("1:")).multiply(new float[] {0, 1, 0, 0}, 1, 1, rows); // a view at an offset
            assertArrayEquals(new float[] {5, 9}, rows, 0f, "rows 1 and 2 of w, column 1");
        }
    }

    @Test
    void float16WeightsAreReadExactlyIncludingSubnormalsExtremesAndSignedZeros() {
        float[] specials = {65504f, -65504f, 6.1035156e-5f /* smallest normal */, 5.9604645e-8f /* smallest subnormal */,
            -3.0517578e-5f /* a subnormal */, 0f, -0f, 1f, -2.5f, 0.33325195f};
        int in = 37; // a tail past the last vector, whatever the vector width
        int out = specials.length;
        float[] w = new float[out * in];
        for (int o = 0; o < out; o++) {
            for (int c = 0; c < in; c++) {
                w[o * in + c] = specials[(o + c) % specials.length];
            }
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray weight = manager.create(w, new Shape(out, in)).toType(DataType.FLOAT16, false);
            FloatMatrix view = FloatMatrix.of(weight);
            for (int tokens : new int[] {1, 4}) { // streamed, and widened into a block for register tiles
                for (int c = 0; c < in; c++) {
                    float[] x = new float[tokens * in];
                    for (int t = 0; t < tokens; t++) {
                        x[t * in + c] = 1; // picks column c of every weight row
                    }
                    float[] y = new float[tokens * out];
                    view.multiply(x, tokens, 1, y);
                    for (int t = 0; t < tokens; t++) {
                        for (int o = 0; o < out; o++) {
                            assertEquals(w[o * in + c], y[t * out + o], 0f, "row " + o + ", column " + c);
                        }
                    }
                }
            }
        }
    }

    @Test
    void passesTakeTheKernelsForFewFloatRowsOnTheCpuAndAlwaysForInt8() {
        assertNull(KernelPass.threads(), "outside a pass");
        assertFalse(KernelPass.wanted(1, DataType.FLOAT32, false), "one row: the engine streams it at the floor");
        assertTrue(KernelPass.wanted(2, DataType.FLOAT32, false));
        assertTrue(KernelPass.wanted(KernelPass.MAX_ROWS, DataType.FLOAT32, false));
        assertFalse(KernelPass.wanted(KernelPass.MAX_ROWS + 1, DataType.FLOAT32, false), "a prompt: the engine's GEMM");
        assertFalse(KernelPass.wanted(1, DataType.FLOAT16, false), "one row: the engine streams float16 faster");
        assertTrue(KernelPass.wanted(2, DataType.FLOAT16, false));
        assertTrue(KernelPass.wanted(KernelPass.MAX_ROWS, DataType.FLOAT16, false));
        assertFalse(KernelPass.wanted(KernelPass.MAX_ROWS + 1, DataType.FLOAT16, false));
        assertFalse(KernelPass.wanted(8, DataType.FLOAT32, true), "a GPU's products stay on the GPU");
        assertFalse(KernelPass.wanted(8, DataType.FLOAT16, true), "a GPU's products stay on the GPU");
        assertTrue(KernelPass.wanted(1, DataType.INT8, false));
        try (NDManager manager = NDManager.newBaseManager()) {
            FloatMatrix w = FloatMatrix.of(manager.zeros(new Shape(512, 512)));
            FloatMatrix half = FloatMatrix.of(manager.zeros(new Shape(512, 512), DataType.FLOAT16));
            NDArray x = manager.zeros(new Shape(3, 512));
            NDArray one = manager.zeros(new Shape(1, 512));
            assertTrue(KernelPass.takes(x, w));
            assertFalse(KernelPass.takes(one, w), "one float32 row");
            assertTrue(KernelPass.takes(x, half));
            assertFalse(KernelPass.takes(one, half), "one row of float16 weights");
            assertFalse(KernelPass.takes(x.toType(DataType.FLOAT16, false), half), "float16 activations");
            assertFalse(KernelPass.takes(x, FloatMatrix.of(manager.zeros(new Shape(511, 512)))),
                    "a matrix too small to gain");
            assertFalse(KernelPass.takes(manager.zeros(new Shape(KernelPass.MAX_ROWS + 1, 512)), half), "a prompt");
        }
    }
}
