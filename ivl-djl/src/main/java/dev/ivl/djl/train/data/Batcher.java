package dev.ivl.djl.train.data;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Packs samples into rows of at most {@code batchTokens} tokens, in a new order every epoch.
 *
 * <p>Each epoch shuffles the samples with a Fisher–Yates shuffle driven by a {@link SplitMix64} generator seeded
 * from (seed, epoch) alone, so an epoch's rows are the same on every run, JVM and platform: a resumed run recomputes
 * {@link #epoch(int)} and skips the rows it has done. The samples are then placed first-fit in shuffled order: each
 * goes into the first row that still has room for it, or opens a new row. Rows keep their opening order; every
 * sample appears exactly once per epoch.
 */
public final class Batcher {
    private final List<Sample> samples;
    private final int batchTokens;
    private final long seed;

    /**
     * @param samples the samples, each with at least one token
     * @param batchTokens the most tokens in a row; must hold the longest sample
     * @param seed seeds the shuffles
     * @throws InvalidInputException if there are no samples or one has no tokens
     * @throws IllegalParameterException if a sample is longer than {@code batchTokens}
     */
    public Batcher(List<Sample> samples, int batchTokens, long seed) {
        this.samples = List.copyOf(samples);
        if (this.samples.isEmpty()) {
            throw new InvalidInputException("no samples to batch");
        }
        for (Sample s : this.samples) {
            if (s.tokens().length == 0 || s.tokens().length != s.target().length) {
                throw new InvalidInputException("the sample of line " + (s.source() + 1) + " has " + s.tokens().length
                        + " tokens and " + s.target().length + " target flags: it needs one flag per token");
            }
            if (s.tokens().length > batchTokens) {
                throw new IllegalParameterException("batchTokens", batchTokens, "must hold the longest sample (line "
                        + (s.source() + 1) + ", " + s.tokens().length + " tokens)");
            }
        }
        this.batchTokens = batchTokens;
        this.seed = seed;
    }

    /**
     * @param epoch the epoch, from 0
     * @return the epoch's rows, in training order; the same for the same (seed, epoch)
     */
    public List<PackedBatch> epoch(int epoch) {
        List<List<Sample>> rows = new ArrayList<>();
        FirstFit fit = new FirstFit(samples.size(), batchTokens);
        for (int index : order(epoch)) {
            Sample sample = samples.get(index);
            int row = fit.place(sample.tokens().length);
            if (row == rows.size()) {
                rows.add(new ArrayList<>());
            }
            rows.get(row).add(sample);
        }
        List<PackedBatch> batches = new ArrayList<>(rows.size());
        for (List<Sample> row : rows) {
            batches.add(pack(row));
        }
        return batches;
    }

    /** @return the sample indices in the epoch's order */
    int[] order(int epoch) {
        int[] order = new int[samples.size()];
        Arrays.setAll(order, i -> i);
        SplitMix64 random = new SplitMix64(SplitMix64.mix(seed) ^ SplitMix64.mix(epoch + 0x632be59bd9b4e019L));
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /**
     * Concatenates samples into one row: positions restart at 0 and the segment index grows with each sample; row i
     * is a target when token i + 1 of the same sample is a label (a label on a sample's first token has nothing to
     * be predicted from and is dropped).
     *
     * @param row the samples, in row order
     * @return the packed row
     */
    static PackedBatch pack(List<Sample> row) {
        int length = row.stream().mapToInt(s -> s.tokens().length).sum();
        int[] tokens = new int[length];
        int[] positions = new int[length];
        int[] segments = new int[length];
        int[] targetRows = new int[length];
        int[] targetIds = new int[length];
        int offset = 0;
        int targets = 0;
        for (int segment = 0; segment < row.size(); segment++) {
            Sample s = row.get(segment);
            int n = s.tokens().length;
            System.arraycopy(s.tokens(), 0, tokens, offset, n);
            for (int i = 0; i < n; i++) {
                positions[offset + i] = i;
                segments[offset + i] = segment;
                if (i + 1 < n && s.target()[i + 1]) {
                    targetRows[targets] = offset + i;
                    targetIds[targets++] = s.tokens()[i + 1];
                }
            }
            offset += n;
        }
        return new PackedBatch(tokens, positions, segments, Arrays.copyOf(targetRows, targets),
                Arrays.copyOf(targetIds, targets));
    }

    /** First-fit placement in O(log rows): a max-tree over the room left in each row (unopened rows are empty). */
    private static final class FirstFit {
        private final int leaves;
        private final int[] room;

        FirstFit(int maxRows, int capacity) {
            int n = 1;
            while (n < maxRows) {
                n <<= 1;
            }
            leaves = n;
            room = new int[2 * n];
            Arrays.fill(room, capacity);
        }

        /** @return the first row with room for {@code size} tokens, whose room is then reduced */
        int place(int size) {
            int node = 1;
            while (node < leaves) {
                node = room[2 * node] >= size ? 2 * node : 2 * node + 1;
            }
            int leaf = node;
            room[leaf] -= size;
            for (node >>= 1; node >= 1; node >>= 1) {
                room[node] = Math.max(room[2 * node], room[2 * node + 1]);
            }
            return leaf - leaves;
        }
    }
}
