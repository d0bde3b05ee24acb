package dev.ivl.djl.train.data;

/**
 * Several samples packed into one row for a training step: each keeps its own positions (from 0) and attends only
 * to itself.
 *
 * @param tokens the concatenated tokens, length T
 * @param positions each token's position within its sample
 * @param segments each token's sample index within the row (0, 1, …): attention never crosses segments
 * @param targetRows the rows i whose next token {@code tokens[i + 1]} is a label (same segment), ascending
 * @param targetIds the label of each target row: {@code tokens[targetRows[j] + 1]}
 */
public record PackedBatch(int[] tokens, int[] positions, int[] segments, int[] targetRows, int[] targetIds) {
    /** @return the number of tokens in the row */
    public int length() {
        return tokens.length;
    }

    /** @return the number of labels in the row */
    public int targetCount() {
        return targetRows.length;
    }
}
