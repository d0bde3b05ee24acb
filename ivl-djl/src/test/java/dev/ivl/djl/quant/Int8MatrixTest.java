package dev.ivl.djl.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.IllegalParameterException;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link Int8Matrix}: rounding within half a step per weight, and products equal to the dequantized matrix's. */
class Int8MatrixTest {
    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void eachWeightIsWithinHalfAStepOfItsRowsScaleAndTheRowMaximumIsExact() {
        int rows = 7;
        int cols = 37;
        float[] w = random(rows * cols, 1);
        w[5] = 0; // a zero stays zero
        Int8Matrix m = Int8Matrix.quantize(w, rows, cols);
        for (int r = 0; r < rows; r++) {
            float max = 0;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, Math.abs(w[r * cols + c]));
            }
            float step = max / 127;
            for (int c = 0; c < cols; c++) {
                assertEquals(w[r * cols + c], m.get(r, c), step / 2 * 1.0001f, "w[" + r + "][" + c + "]");
                if (Math.abs(w[r * cols + c]) == max) {
                    assertEquals(w[r * cols + c], m.get(r, c), max * 1e-6f, "the largest weight maps to ±127");
                }
            }
        }
        assertEquals(0f, m.get(0, 5));
        Int8Matrix zeros = Int8Matrix.quantize(new float[6], 2, 3);
        assertEquals(0f, zeros.get(1, 2), "an all-zero row");
    }

    @Test
    void productsEqualTheDequantizedMatrixTimesXForEveryTokenCountAndWidth() {
        for (int cols : new int[] {16, 64, 100, 2048}) { // whole vectors, and a tail past the last one
            int rows = 200;
            Int8Matrix m = Int8Matrix.quantize(random(rows * cols, cols), rows, cols);
            for (int tokens : new int[] {1, 3, 4, 9}) {
                float[] x = random(tokens * cols, 100 + tokens);
                for (int threads : new int[] {1, 3}) {
                    float[] y = m.multiply(x, tokens, threads);
                    assertEquals(tokens * rows, y.length);
                    for (int t = 0; t < tokens; t++) {
                        for (int r = 0; r < rows; r++) {
                            double want = 0;
                            for (int c = 0; c < cols; c++) {
                                want += (double) m.get(r, c) * x[t * cols + c];
                            }
                            assertEquals(want, y[t * rows + r], 1e-4 * Math.sqrt(cols),
                                    "cols " + cols + ", token " + t + ", row " + r + ", threads " + threads);
                        }
                    }
                }
            }
        }
    }

    @Test
    void stackingKeepsEachPartsRowsAndScales() {
        Int8Matrix a = Int8Matrix.quantize(random(3 * 8, 5), 3, 8);
        Int8Matrix b = Int8Matrix.quantize(random(2 * 8, 6), 2, 8);
        Int8Matrix ab = Int8Matrix.stack(List.of(a, b));
        assertEquals(5, ab.rows());
        assertEquals(a.get(2, 7), ab.get(2, 7));
        assertEquals(b.get(1, 3), ab.get(4, 3));
        assertThrows(IllegalParameterException.class,
                () -> Int8Matrix.stack(List.of(a, Int8Matrix.quantize(new float[9], 1, 9))));
    }

    @Test
    void badInputIsRefusedNamingIt() {
        IllegalParameterException nan = assertThrows(IllegalParameterException.class,
                () -> Int8Matrix.quantize(new float[] {1, Float.NaN}, 1, 2));
        assertTrue(nan.getMessage().contains("w[0][1]"), nan.getMessage());
        assertThrows(IllegalParameterException.class, () -> Int8Matrix.quantize(new float[5], 2, 3));
        Int8Matrix m = Int8Matrix.quantize(new float[6], 2, 3);
        assertThrows(IllegalParameterException.class, () -> m.multiply(new float[2], 1, 1), "x too short");
        assertThrows(IllegalParameterException.class, () -> m.multiply(new float[3], 1, 1, new float[1]), "y too short");
    }
}
