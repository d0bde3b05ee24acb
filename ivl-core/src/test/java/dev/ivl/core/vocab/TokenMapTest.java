package dev.ivl.core.vocab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The sparse products against dense products computed in double precision, and the pair counter. */
class TokenMapTest {
    /** A random sparse map and the same matrix dense. */
    record Pair(TokenMap sparse, double[][] dense) {}

    static Pair random(int rows, int columns, double density, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] dense = new double[rows][columns];
        int[] starts = new int[rows + 1];
        List<Integer> cols = new ArrayList<>();
        List<Float> weights = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < columns; j++) {
                if (r.nextDouble() < density) {
                    float w = (float) r.nextDouble(0, 1); // map weights are >= 0
                    dense[i][j] = w;
                    cols.add(j);
                    weights.add(w);
                }
            }
            starts[i + 1] = cols.size();
        }
        float[] w = new float[weights.size()];
        for (int k = 0; k < w.length; k++) {
            w[k] = weights.get(k);
        }
        return new Pair(new TokenMap(rows, columns, starts, cols.stream().mapToInt(Integer::intValue).toArray(), w),
                dense);
    }

    @Test
    void sparseProductsEqualDenseProducts() {
        SplittableRandom r = new SplittableRandom(7);
        for (int trial = 0; trial < 5; trial++) {
            int rows = 20 + r.nextInt(60);
            int columns = 20 + r.nextInt(60);
            Pair p = random(rows, columns, 0.1, trial);
            float[] z = new float[rows + 3]; // longer than needed: the extra entries are ignored
            for (int i = 0; i < z.length; i++) {
                z[i] = (float) r.nextGaussian() * 5;
            }
            float[] out = new float[columns];
            p.sparse().multiply(z, out);
            for (int j = 0; j < columns; j++) {
                double want = 0;
                for (int i = 0; i < rows; i++) {
                    want += z[i] * p.dense()[i][j];
                }
                assertEquals(want, out[j], 1e-4, "z·W at column " + j);
            }
            float[] y = new float[columns];
            for (int j = 0; j < columns; j++) {
                y[j] = (float) r.nextGaussian() * 5;
            }
            float[] back = new float[rows + 2];
            back[rows] = 42f;
            p.sparse().multiplyTransposed(y, back);
            for (int i = 0; i < rows; i++) {
                double want = 0;
                for (int j = 0; j < columns; j++) {
                    want += y[j] * p.dense()[i][j];
                }
                assertEquals(want, back[i], 1e-4, "y·Wᵀ at row " + i);
            }
            assertEquals(42f, back[rows], "entries past the rows are left alone");
        }
    }

    @Test
    void identityMapsLogitsExactly() {
        TokenMap id = TokenMap.identity(5);
        float[] z = {1.5f, -2f, 0f, 1e-30f, 3e30f};
        float[] out = new float[5];
        id.multiply(z, out);
        assertArrayEquals(z, out);
        id.multiplyTransposed(z, out);
        assertArrayEquals(z, out);
        assertEquals(3, id.top(3));
    }

    @Test
    void topAndReachReadTheEntries() {
        TokenMap map = new TokenMap(3, 4, new int[] {0, 2, 2, 3}, new int[] {1, 3, 1}, new float[] {0.2f, 0.7f, 1f});
        assertEquals(3, map.top(0));
        assertEquals(-1, map.top(1));
        assertEquals(1, map.top(2));
        assertFalse(map.reaches(0));
        assertTrue(map.reaches(1));
        assertFalse(map.reaches(2));
        assertTrue(map.reaches(3));
    }

    @Test
    void invalidMapsAndShortArraysAreRefused() {
        assertThrows(InvalidInputException.class,
                () -> new TokenMap(1, 2, new int[] {0, 1}, new int[] {0}, new float[] {Float.NaN}));
        InvalidInputException negative = assertThrows(InvalidInputException.class,
                () -> new TokenMap(1, 2, new int[] {0, 1}, new int[] {0}, new float[] {-0.5f}));
        assertTrue(negative.getMessage().contains("weight 0 is -0.5"), negative.getMessage());
        assertThrows(InvalidInputException.class,
                () -> new TokenMap(2, 2, new int[] {0, 2, 1}, new int[] {0, 1}, new float[] {1, 1}));
        TokenMap map = TokenMap.identity(4);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> map.multiply(new float[3], new float[4]));
        assertTrue(e.getMessage().contains("needs 4"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> map.multiplyTransposed(new float[4], new float[2]));
    }
}
