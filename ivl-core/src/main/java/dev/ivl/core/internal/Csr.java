package dev.ivl.core.internal;

import dev.ivl.core.InvalidInputException;

/** Checks of compressed sparse row (CSR) arrays.  Not API. */
public final class Csr {
    private Csr() {}

    /**
     * @param what the matrix's name, for messages
     * @param rows number of rows
     * @param columns number of columns
     * @param rowStart {@code rows + 1} offsets: row r holds entries {@code [rowStart[r], rowStart[r+1])}
     * @param columnIndices the entries' columns, strictly increasing within a row
     * @param entries the number of entries the value array holds
     * @throws InvalidInputException naming the first defect
     */
    public static void check(String what, int rows, int columns, int[] rowStart, int[] columnIndices, int entries) {
        if (rows < 0 || columns < 0) {
            throw new InvalidInputException(what + ": negative shape " + rows + " x " + columns);
        }
        if (rowStart.length != rows + 1) {
            throw new InvalidInputException(what + ": row_start has " + rowStart.length
                    + " entries, expected rows + 1 = " + (rows + 1));
        }
        if (columnIndices.length != entries) {
            throw new InvalidInputException(what + ": " + columnIndices.length + " column indices but " + entries
                    + " values");
        }
        if (rowStart[0] != 0 || rowStart[rows] != entries) {
            throw new InvalidInputException(what + ": row_start must run from 0 to " + entries + ", got " + rowStart[0]
                    + " to " + rowStart[rows]);
        }
        for (int r = 0; r < rows; r++) {
            if (rowStart[r + 1] < rowStart[r]) {
                throw new InvalidInputException(what + ": row_start decreases at row " + r);
            }
            for (int k = rowStart[r]; k < rowStart[r + 1]; k++) {
                int c = columnIndices[k];
                if (c < 0 || c >= columns) {
                    throw new InvalidInputException(what + ": row " + r + " has column " + c + ", outside [0, "
                            + columns + ")");
                }
                if (k > rowStart[r] && c <= columnIndices[k - 1]) {
                    throw new InvalidInputException(what + ": columns of row " + r + " are not strictly increasing");
                }
            }
        }
    }
}
