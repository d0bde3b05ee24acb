package dev.ivl.core.vocab.align;

import dev.ivl.core.internal.Csr;
import dev.ivl.core.InvalidInputException;
import java.util.Arrays;

/**
 * How often each base token was aligned with each value token: a sparse |V_base| × |V_value| matrix of positive
 * counts in compressed sparse row form (rows are base tokens). Immutable.
 */
public final class PairCounts {
    private final int rows;
    private final int columns;
    private final int[] rowStart;
    private final int[] columnIndices;
    private final int[] counts;

    /**
     * @param rows the base vocabulary size
     * @param columns the value vocabulary size
     * @param rowStart {@code rows + 1} offsets: row r holds entries {@code [rowStart[r], rowStart[r+1])}; copied
     * @param columnIndices each entry's column, strictly increasing within a row; copied
     * @param counts each entry's count, positive; copied
     * @throws InvalidInputException if the arrays do not form such a matrix
     */
    public PairCounts(int rows, int columns, int[] rowStart, int[] columnIndices, int[] counts) {
        Csr.check("pair counts", rows, columns, rowStart, columnIndices, counts.length);
        for (int k = 0; k < counts.length; k++) {
            if (counts[k] <= 0) {
                throw new InvalidInputException("pair counts: entry " + k + " is " + counts[k] + ", not positive");
            }
        }
        this.rows = rows;
        this.columns = columns;
        this.rowStart = rowStart.clone();
        this.columnIndices = columnIndices.clone();
        this.counts = counts.clone();
    }

    /** @return the number of rows (base vocabulary size) */
    public int rows() {
        return rows;
    }

    /** @return the number of columns (value vocabulary size) */
    public int columns() {
        return columns;
    }

    /** @return the number of stored (non-zero) entries */
    public int entries() {
        return counts.length;
    }

    /** @return the sum of all counts: the number of aligned pairs seen */
    public long total() {
        long sum = 0;
        for (int c : counts) {
            sum += c;
        }
        return sum;
    }

    /**
     * @param row a row
     * @param column a column
     * @return the count of that pair, 0 if none
     */
    public int count(int row, int column) {
        int k = Arrays.binarySearch(columnIndices, rowStart[row], rowStart[row + 1], column);
        return k >= 0 ? counts[k] : 0;
    }

    /** @return a copy of the row offsets ({@code rows + 1}) */
    public int[] rowStart() {
        return rowStart.clone();
    }

    /** @return a copy of the entries' columns */
    public int[] columnIndices() {
        return columnIndices.clone();
    }

    /** @return a copy of the entries' counts */
    public int[] counts() {
        return counts.clone();
    }

    int start(int row) {
        return rowStart[row];
    }

    int end(int row) {
        return rowStart[row + 1];
    }

    int column(int entry) {
        return columnIndices[entry];
    }

    int countAt(int entry) {
        return counts[entry];
    }

    @Override
    public String toString() {
        return "PairCounts[" + rows + " x " + columns + ", " + entries() + " entries]";
    }
}
