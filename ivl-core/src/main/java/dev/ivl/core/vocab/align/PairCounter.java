package dev.ivl.core.vocab.align;

import java.util.Arrays;

/**
 * Counts (row, column) pairs in an open-addressing hash table keyed by {@code row << 32 | column}: memory grows with
 * the number of distinct pairs, never with the vocabulary sizes' product. Not thread-safe; one per worker, merged
 * at the end.
 */
final class PairCounter {
    private static final long EMPTY = -1L;

    private long[] keys = new long[1 << 12];
    private int[] counts = new int[1 << 12];
    private int size;

    PairCounter() {
        Arrays.fill(keys, EMPTY);
    }

    /** Adds {@code amount} to the count of {@code (row, column)}. */
    void add(int row, int column, int amount) {
        long key = (long) row << 32 | column;
        int mask = keys.length - 1;
        int slot = mix(key) & mask;
        while (keys[slot] != EMPTY && keys[slot] != key) {
            slot = (slot + 1) & mask;
        }
        boolean added = keys[slot] == EMPTY;
        keys[slot] = key;
        counts[slot] += amount;
        if (added && ++size * 2 > keys.length) {
            grow();
        }
    }

    /** Adds every count of {@code other} to this counter. */
    void addAll(PairCounter other) {
        for (int s = 0; s < other.keys.length; s++) {
            long key = other.keys[s];
            if (key != EMPTY) {
                add((int) (key >>> 32), (int) key, other.counts[s]);
            }
        }
    }

    /** @return the distinct pairs counted */
    int size() {
        return size;
    }

    /**
     * @param rows the number of rows
     * @param columns the number of columns
     * @return the counts as a sparse matrix
     */
    PairCounts toCounts(int rows, int columns) {
        long[] sorted = new long[size];
        int n = 0;
        for (long key : keys) {
            if (key != EMPTY) {
                sorted[n++] = key;
            }
        }
        Arrays.sort(sorted); // row-major, columns ascending within a row
        int[] rowStart = new int[rows + 1];
        int[] cols = new int[size];
        int[] values = new int[size];
        for (int k = 0; k < size; k++) {
            long key = sorted[k];
            rowStart[(int) (key >>> 32) + 1]++;
            cols[k] = (int) key;
            values[k] = get(key);
        }
        for (int r = 0; r < rows; r++) {
            rowStart[r + 1] += rowStart[r];
        }
        return new PairCounts(rows, columns, rowStart, cols, values);
    }

    private int get(long key) {
        int mask = keys.length - 1;
        int slot = mix(key) & mask;
        while (keys[slot] != key) {
            slot = (slot + 1) & mask;
        }
        return counts[slot];
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldCounts = counts;
        keys = new long[oldKeys.length * 2];
        counts = new int[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        int mask = keys.length - 1;
        for (int s = 0; s < oldKeys.length; s++) {
            if (oldKeys[s] != EMPTY) {
                int slot = mix(oldKeys[s]) & mask;
                while (keys[slot] != EMPTY) {
                    slot = (slot + 1) & mask;
                }
                keys[slot] = oldKeys[s];
                counts[slot] = oldCounts[s];
            }
        }
    }

    private static int mix(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
