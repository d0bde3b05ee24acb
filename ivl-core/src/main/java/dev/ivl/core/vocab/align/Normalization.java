package dev.ivl.core.vocab.align;

import dev.ivl.core.vocab.TokenMap;
import dev.ivl.core.IllegalParameterException;
import java.util.Arrays;

/**
 * How pair counts become the weights of a {@link TokenMap}. Written {@code paper}, {@code nonzero-minmax} or
 * {@code prob-topk:K} ({@link #parse}, {@link #toString}).
 */
public sealed interface Normalization permits Normalization.Paper, Normalization.NonZeroMinMax,
        Normalization.ProbTopK {
    /**
     * @param counts pair counts
     * @return the map these counts normalise to; rows without counts stay empty
     */
    TokenMap apply(PairCounts counts);

    /**
     * @param text {@code paper}, {@code nonzero-minmax} or {@code prob-topk:K} with K ≥ 1
     * @return the normalisation
     * @throws IllegalParameterException naming {@code normalize} for anything else
     */
    static Normalization parse(String text) {
        if ("paper".equals(text)) {
            return new Paper();
        }
        if ("nonzero-minmax".equals(text)) {
            return new NonZeroMinMax();
        }
        if (text != null && text.startsWith("prob-topk:")) {
            try {
                return new ProbTopK(Integer.parseInt(text.substring("prob-topk:".length())));
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new IllegalParameterException("normalize", text, "must be paper, nonzero-minmax or prob-topk:K with an integer K"
                + " >= 1");
    }

    /**
     * The paper's normalisation, as the authors' released script computes it on the dense count matrix C
     * (|V_base| × |V_value|): with the mask M = (C ≠ 0), centre each row by its mean over all |V_value| columns
     * (zeros included), C' = (C − rowmean)·M; scale each column by its minimum and maximum over all rows, zeros of
     * C' included (a column whose maximum equals its minimum is divided by 1), W = (C' − min)/(max − min)·M; then
     * keep each row's largest entry (ties: the lower column). Each non-empty row keeps one entry.
     */
    record Paper() implements Normalization {
        @Override
        public TokenMap apply(PairCounts counts) {
            int columns = counts.columns();
            double[] centered = centered(counts, nonZero -> columns); // the row mean over every column
            double[][] minMax = columnRange(counts, centered, true);
            double[] min = minMax[0];
            double[] max = minMax[1];
            return topOfEachRow(counts, k -> {
                int c = counts.column(k);
                double width = max[c] - min[c];
                return (centered[k] - min[c]) / (width == 0 ? 1 : width);
            }, false);
        }

        @Override
        public String toString() {
            return "paper";
        }
    }

    /**
     * ivl's first reading of the paper: from each row's counts subtract the mean of that row's non-zero counts,
     * scale each column min-max to [0, 1] over its non-zero entries only (a column whose entries are all equal gets
     * 1), then keep the top entry of each row (ties: the larger count, then the lower column). It differs from
     * {@link Paper} in giving the weakest base token of every shared column weight 0.
     */
    record NonZeroMinMax() implements Normalization {
        @Override
        public TokenMap apply(PairCounts counts) {
            double[] centered = centered(counts, nonZero -> Math.max(1, nonZero)); // the mean of the non-zeros
            double[][] minMax = columnRange(counts, centered, false);
            double[] min = minMax[0];
            double[] max = minMax[1];
            return topOfEachRow(counts, k -> {
                int c = counts.column(k);
                return max[c] > min[c] ? (centered[k] - min[c]) / (max[c] - min[c]) : 1.0;
            }, true);
        }

        @Override
        public String toString() {
            return "nonzero-minmax";
        }
    }

    /**
     * @param counts the pair counts
     * @param divisor a row's mean is its sum divided by this, given the row's number of non-zero counts
     * @return each entry's count minus its row's mean, by entry index
     */
    private static double[] centered(PairCounts counts, java.util.function.IntUnaryOperator divisor) {
        double[] centered = new double[counts.entries()];
        for (int r = 0; r < counts.rows(); r++) {
            int start = counts.start(r);
            int end = counts.end(r);
            double mean = 0;
            for (int k = start; k < end; k++) {
                mean += counts.countAt(k);
            }
            mean /= divisor.applyAsInt(end - start);
            for (int k = start; k < end; k++) {
                centered[k] = counts.countAt(k) - mean;
            }
        }
        return centered;
    }

    /**
     * @param counts the pair counts
     * @param values a value per entry
     * @param zerosIncluded whether a column that misses some row also ranges over 0 (the dense matrix's zeros)
     * @return {@code {min, max}} per column, over the column's entries (±∞ for a column without any)
     */
    private static double[][] columnRange(PairCounts counts, double[] values, boolean zerosIncluded) {
        int columns = counts.columns();
        double[] min = new double[columns];
        double[] max = new double[columns];
        int[] nonZero = new int[columns];
        Arrays.fill(min, Double.POSITIVE_INFINITY);
        Arrays.fill(max, Double.NEGATIVE_INFINITY);
        for (int k = 0; k < values.length; k++) {
            int c = counts.column(k);
            min[c] = Math.min(min[c], values[k]);
            max[c] = Math.max(max[c], values[k]);
            nonZero[c]++;
        }
        for (int c = 0; zerosIncluded && c < columns; c++) {
            if (nonZero[c] < counts.rows()) {
                min[c] = Math.min(min[c], 0);
                max[c] = Math.max(max[c], 0);
            }
        }
        return new double[][] {min, max};
    }

    /**
     * @param counts the pair counts
     * @param weight the weight of each entry, by its index in {@code counts}
     * @param largerCountFirst on a tie of weights, prefer the larger count before the lower column
     * @return the map keeping each non-empty row's largest weight
     */
    private static TokenMap topOfEachRow(PairCounts counts, java.util.function.IntToDoubleFunction weight,
            boolean largerCountFirst) {
        int rows = counts.rows();
        int[] rowStart = new int[rows + 1];
        int[] cols = new int[rows];
        float[] weights = new float[rows];
        int n = 0;
        for (int r = 0; r < rows; r++) {
            int best = -1;
            double bestWeight = 0;
            for (int k = counts.start(r); k < counts.end(r); k++) { // columns ascend within a row
                double w = weight.applyAsDouble(k);
                if (best < 0 || w > bestWeight
                        || (largerCountFirst && w == bestWeight && counts.countAt(k) > counts.countAt(best))) {
                    best = k;
                    bestWeight = w;
                }
            }
            if (best >= 0) {
                cols[n] = counts.column(best);
                weights[n++] = (float) bestWeight;
            }
            rowStart[r + 1] = n;
        }
        return new TokenMap(rows, counts.columns(), rowStart, Arrays.copyOf(cols, n), Arrays.copyOf(weights, n));
    }

    /**
     * Conditional probabilities: keep each row's {@code k} largest counts (ties: the lower column) and divide them by
     * their sum, so each non-empty row is a distribution P(value token | base token) over at most {@code k} tokens.
     *
     * @param k how many entries a row keeps, at least 1
     */
    record ProbTopK(int k) implements Normalization {
        /** Validates k. */
        public ProbTopK {
            if (k < 1) {
                throw new IllegalParameterException("normalize", "prob-topk:" + k, "needs K >= 1");
            }
        }

        @Override
        public TokenMap apply(PairCounts counts) {
            int rows = counts.rows();
            int[] rowStart = new int[rows + 1];
            int[] cols = new int[Math.min(counts.entries(), (int) Math.min(Integer.MAX_VALUE, (long) rows * k))];
            float[] weights = new float[cols.length];
            int n = 0;
            Integer[] order = new Integer[0];
            for (int r = 0; r < rows; r++) {
                int start = counts.start(r);
                int size = counts.end(r) - start;
                if (order.length < size) {
                    order = new Integer[size];
                }
                for (int i = 0; i < size; i++) {
                    order[i] = start + i;
                }
                // entries are in column order, so a stable sort by count keeps the lower column first on ties
                Arrays.sort(order, 0, size, (x, y) -> Integer.compare(counts.countAt(y), counts.countAt(x)));
                int kept = Math.min(k, size);
                Arrays.sort(order, 0, kept); // back to column order for the CSR row
                long sum = 0;
                for (int i = 0; i < kept; i++) {
                    sum += counts.countAt(order[i]);
                }
                for (int i = 0; i < kept; i++) {
                    cols[n] = counts.column(order[i]);
                    weights[n++] = (float) ((double) counts.countAt(order[i]) / sum);
                }
                rowStart[r + 1] = n;
            }
            return new TokenMap(rows, counts.columns(), rowStart, Arrays.copyOf(cols, n),
                    Arrays.copyOf(weights, n));
        }

        @Override
        public String toString() {
            return "prob-topk:" + k;
        }
    }
}
