package dev.ivl.core.vocab.align;

import dev.ivl.core.InvalidInputException;

/**
 * Dynamic time warping of two token sequences: the monotone path from the first pair to the last whose summed
 * {@link EditCost} is least, moving one step at a time along either sequence or both. Where paths tie, the
 * diagonal step is preferred, so identical sequences align one to one. One instance per thread: it reuses its
 * cost table, whose size is the product of the sequence lengths.
 */
final class Dtw {
    private final EditCost cost = new EditCost();
    private float[] table = new float[1024];

    /**
     * Aligns two sequences.
     *
     * @param a normalised bytes of the first sequence's tokens, at least one
     * @param b normalised bytes of the second sequence's tokens, at least one
     * @param path receives the aligned index pairs, from the last pair back to {@code (0, 0)}: {@code path[2k]} in
     *     {@code a}, {@code path[2k+1]} in {@code b}; needs room for {@code 2·(a.length + b.length − 1)} entries
     * @return the number of pairs written
     */
    int align(byte[][] a, byte[][] b, int[] path) {
        int n = a.length;
        int m = b.length;
        long cells = (long) n * m;
        if (cells > Integer.MAX_VALUE - 8) {
            throw new InvalidInputException("sequences of " + n + " and " + m + " tokens are too long to align");
        }
        if (table.length < cells) {
            table = new float[(int) Math.max(cells, table.length * 2L)];
        }
        float[] d = table; // d[i*m + j]: least cost of a path from (0,0) to (i,j)
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                float c = cost.cost(a[i], b[j]);
                float best;
                if (i == 0 && j == 0) {
                    best = 0f;
                } else if (i == 0) {
                    best = d[j - 1];
                } else if (j == 0) {
                    best = d[(i - 1) * m];
                } else {
                    best = Math.min(d[(i - 1) * m + j - 1], Math.min(d[(i - 1) * m + j], d[i * m + j - 1]));
                }
                d[i * m + j] = c + best;
            }
        }
        int count = 0;
        int i = n - 1;
        int j = m - 1;
        while (true) {
            path[2 * count] = i;
            path[2 * count + 1] = j;
            count++;
            if (i == 0 && j == 0) {
                return count;
            }
            if (i == 0) {
                j--;
            } else if (j == 0) {
                i--;
            } else {
                float diagonal = d[(i - 1) * m + j - 1];
                float up = d[(i - 1) * m + j];
                float left = d[i * m + j - 1];
                if (diagonal <= up && diagonal <= left) {
                    i--;
                    j--;
                } else if (up <= left) {
                    i--;
                } else {
                    j--;
                }
            }
        }
    }
}
