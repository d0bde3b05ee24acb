package dev.ivl.core.vocab;

import dev.ivl.core.internal.Csr;
import dev.ivl.core.InvalidInputException;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The token alignment matrix W, |V_base| × |V_value|, sparse in compressed sparse row form (rows are base tokens):
 * {@link #multiply} maps base logits into the value vocabulary ({@code z_base·W}), {@link #multiplyTransposed}
 * maps value logits into the base vocabulary ({@code z_delta·Wᵀ}). Never dense: memory and time grow with the
 * number of entries. Immutable and thread-safe.
 */
public final class TokenMap {
    private final int rows;
    private final int columns;
    private final int[] rowStart;
    private final int[] columnIndices;
    private final float[] weights;
    private final boolean[] columnReached;
    /** The rows that have entries, ascending: the products skip the others. */
    private final int[] nonEmptyRows;

    /**
     * @param rows the base vocabulary size
     * @param columns the value vocabulary size
     * @param rowStart {@code rows + 1} offsets: row r holds entries {@code [rowStart[r], rowStart[r+1])}; copied
     * @param columnIndices each entry's column, strictly increasing within a row; copied
     * @param weights each entry's weight, finite and ≥ 0 (W weighs base tokens into value tokens); copied
     * @throws InvalidInputException if the arrays do not form such a matrix
     */
    public TokenMap(int rows, int columns, int[] rowStart, int[] columnIndices, float[] weights) {
        Csr.check("token map", rows, columns, rowStart, columnIndices, weights.length);
        for (int k = 0; k < weights.length; k++) {
            if (!Float.isFinite(weights[k]) || weights[k] < 0) {
                throw new InvalidInputException("token map: weight " + k + " is " + weights[k] + ", not a finite"
                        + " number >= 0");
            }
        }
        this.rows = rows;
        this.columns = columns;
        this.rowStart = rowStart.clone();
        this.columnIndices = columnIndices.clone();
        this.weights = weights.clone();
        this.columnReached = new boolean[columns];
        for (int c : columnIndices) {
            columnReached[c] = true;
        }
        this.nonEmptyRows = IntStream.range(0, rows).filter(r -> rowStart[r + 1] > rowStart[r])
                .toArray();
    }

    /**
     * The identity map of a vocabulary onto itself.
     *
     * @param size the vocabulary size
     * @return W = I
     */
    public static TokenMap identity(int size) {
        int[] starts = new int[size + 1];
        int[] cols = new int[size];
        float[] ones = new float[size];
        for (int i = 0; i < size; i++) {
            starts[i + 1] = i + 1;
            cols[i] = i;
            ones[i] = 1f;
        }
        return new TokenMap(size, size, starts, cols, ones);
    }

    /** @return the number of rows (base vocabulary size) */
    public int rows() {
        return rows;
    }

    /** @return the number of columns (value vocabulary size) */
    public int columns() {
        return columns;
    }

    /** @return the number of stored entries */
    public int entries() {
        return weights.length;
    }

    /**
     * @param row a row
     * @param column a column
     * @return W[row, column], 0 if not stored
     */
    public float weight(int row, int column) {
        int k = Arrays.binarySearch(columnIndices, rowStart[row], rowStart[row + 1], column);
        return k >= 0 ? weights[k] : 0f;
    }

    /**
     * @param row a base token
     * @return the column of the row's largest weight (the lowest such column on ties), or -1 for an empty row
     */
    public int top(int row) {
        int best = -1;
        for (int k = rowStart[row]; k < rowStart[row + 1]; k++) {
            if (best < 0 || weights[k] > weights[best]) {
                best = k;
            }
        }
        return best < 0 ? -1 : columnIndices[best];
    }

    /**
     * @param column a value token
     * @return whether some row has an entry in this column: whether {@link #multiply} can give it a value from the
     *     base logits
     */
    public boolean reaches(int column) {
        return columnReached[column];
    }

    /**
     * Maps base logits into the value vocabulary: {@code out[v] = Σ_b z[b]·W[b, v]}.
     *
     * @param z at least {@link #rows()} values (entries beyond are ignored); finite
     * @param out receives {@link #columns()} values in {@code [0, columns)}; the rest is left as it is
     */
    public void multiply(float[] z, float[] out) {
        checkLength("z", z, rows);
        checkLength("out", out, columns);
        Arrays.fill(out, 0, columns, 0f);
        for (int r : nonEmptyRows) {
            float zr = z[r];
            for (int k = rowStart[r], end = rowStart[r + 1]; k < end; k++) {
                out[columnIndices[k]] += zr * weights[k];
            }
        }
    }

    /**
     * Maps value logits into the base vocabulary: {@code out[b] = Σ_v y[v]·W[b, v]}.
     *
     * @param y at least {@link #columns()} values (entries beyond are ignored); finite
     * @param out receives {@link #rows()} values in {@code [0, rows)}; the rest is left as it is
     */
    public void multiplyTransposed(float[] y, float[] out) {
        checkLength("y", y, columns);
        checkLength("out", out, rows);
        Arrays.fill(out, 0, rows, 0f);
        for (int r : nonEmptyRows) {
            float sum = 0f;
            for (int k = rowStart[r], end = rowStart[r + 1]; k < end; k++) {
                sum += y[columnIndices[k]] * weights[k];
            }
            out[r] = sum;
        }
    }

    /** @return a copy of the row offsets ({@code rows + 1}) */
    public int[] rowStart() {
        return rowStart.clone();
    }

    /** @return a copy of the entries' columns */
    public int[] columnIndices() {
        return columnIndices.clone();
    }

    /** @return a copy of the entries' weights */
    public float[] weights() {
        return weights.clone();
    }

    private static void checkLength(String name, float[] array, int needed) {
        if (array.length < needed) {
            throw new InvalidInputException(name + " has " + array.length + " values, the token map needs " + needed);
        }
    }

    @Override
    public String toString() {
        return "TokenMap[" + rows + " x " + columns + ", " + entries() + " entries]";
    }
}
