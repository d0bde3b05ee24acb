package dev.ivl.djl.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Seeded shuffling and first-fit packing: every sample once per epoch, rows within budget, targets exact. */
class BatcherTest {
    static final int BUDGET = 64;

    /** Samples of 1 to {@code maxLength} tokens with random labels; token ids encode (sample, position). */
    static List<Sample> samples(int count, int maxLength, long seed) {
        Random random = new Random(seed);
        List<Sample> samples = new ArrayList<>();
        for (int s = 0; s < count; s++) {
            int n = 1 + random.nextInt(maxLength);
            int[] tokens = new int[n];
            boolean[] target = new boolean[n];
            for (int i = 0; i < n; i++) {
                tokens[i] = s * 1000 + i;
                target[i] = i > 0 && random.nextBoolean();
            }
            samples.add(new Sample(tokens, target, s));
        }
        return samples;
    }

    @Test
    void packsByHand() {
        Sample a = new Sample(new int[] {10, 11, 12, 13}, new boolean[] {false, false, true, true}, 0);
        Sample b = new Sample(new int[] {20, 21, 22}, new boolean[] {false, true, false}, 1);
        PackedBatch row = Batcher.pack(List.of(a, b));
        assertArrayEquals(new int[] {10, 11, 12, 13, 20, 21, 22}, row.tokens());
        assertArrayEquals(new int[] {0, 1, 2, 3, 0, 1, 2}, row.positions());
        assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1, 1}, row.segments());
        // 11 predicts 12, 12 predicts 13; 20 predicts 21; 13 never predicts 20 (another sample)
        assertArrayEquals(new int[] {1, 2, 4}, row.targetRows());
        assertArrayEquals(new int[] {12, 13, 21}, row.targetIds());
        assertEquals(7, row.length());
        assertEquals(3, row.targetCount());
    }

    @Test
    void everySampleOncePerEpochInRowsWithinBudgetWithExactTargets() {
        List<Sample> samples = samples(300, BUDGET, 1);
        Batcher batcher = new Batcher(samples, BUDGET, 42);
        for (int epoch = 0; epoch < 3; epoch++) {
            List<PackedBatch> rows = batcher.epoch(epoch);
            int[] seen = new int[samples.size()];
            for (PackedBatch row : rows) {
                assertTrue(row.length() >= 1 && row.length() <= BUDGET, "row of " + row.length() + " tokens");
                for (Sample s : unpack(row, samples)) {
                    seen[s.source()]++;
                }
            }
            int[] once = new int[samples.size()];
            Arrays.fill(once, 1);
            assertArrayEquals(once, seen, "epoch " + epoch);
            long tokens = rows.stream().mapToLong(PackedBatch::length).sum();
            assertEquals(samples.stream().mapToLong(s -> s.tokens().length).sum(), tokens);
        }
    }

    /**
     * Splits a row back into its samples, checking positions, segments and targets against the originals.
     *
     * @return the samples found, in row order
     */
    static List<Sample> unpack(PackedBatch row, List<Sample> samples) {
        List<Sample> found = new ArrayList<>();
        List<Integer> expectedTargetRows = new ArrayList<>();
        int offset = 0;
        for (int segment = 0; offset < row.length(); segment++) {
            Sample s = samples.get(row.tokens()[offset] / 1000);
            int n = s.tokens().length;
            assertArrayEquals(s.tokens(), Arrays.copyOfRange(row.tokens(), offset, offset + n));
            assertArrayEquals(IntStream.range(0, n).toArray(), Arrays.copyOfRange(row.positions(), offset,
                    offset + n));
            int[] segments = new int[n];
            Arrays.fill(segments, segment);
            assertArrayEquals(segments, Arrays.copyOfRange(row.segments(), offset, offset + n));
            for (int i = 0; i + 1 < n; i++) {
                if (s.target()[i + 1]) {
                    expectedTargetRows.add(offset + i);
                }
            }
            found.add(s);
            offset += n;
        }
        assertArrayEquals(expectedTargetRows.stream().mapToInt(Integer::intValue).toArray(), row.targetRows());
        int[] ids = Arrays.stream(row.targetRows()).map(r -> row.tokens()[r + 1]).toArray();
        assertArrayEquals(ids, row.targetIds());
        return found;
    }

    @Test
    void rowsArePackedFirstFitInShuffledOrder() {
        List<Sample> samples = samples(200, 40, 2);
        Batcher batcher = new Batcher(samples, BUDGET, 7);
        int[] order = batcher.order(3);
        int[] rank = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            rank[order[i]] = i;
        }
        List<PackedBatch> rows = batcher.epoch(3);
        List<List<Sample>> unpacked = rows.stream().map(r -> unpack(r, samples)).toList();
        for (int j = 0; j < rows.size(); j++) {
            List<Sample> row = unpacked.get(j);
            for (int k = 1; k < row.size(); k++) {
                assertTrue(rank[row.get(k - 1).source()] < rank[row.get(k).source()], "row " + j);
            }
            Sample opener = row.get(0);
            if (j > 0) {
                assertTrue(rank[unpacked.get(j - 1).get(0).source()] < rank[opener.source()], "rows in opening order");
            }
            for (int i = 0; i < j; i++) {
                // first fit: the sample that opened row j did not fit into any earlier row, even at its end
                assertTrue(rows.get(i).length() + opener.tokens().length > BUDGET, "rows " + i + " and " + j);
            }
        }
        long tokens = samples.stream().mapToLong(s -> s.tokens().length).sum();
        assertTrue(rows.size() <= 2 * Math.ceil(tokens / (double) BUDGET), rows.size() + " rows for " + tokens);
    }

    @Test
    void theSameSeedAndEpochGiveTheSameRowsAndOtherEpochsAnotherOrder() {
        List<Sample> samples = samples(100, BUDGET, 3);
        List<PackedBatch> first = new Batcher(samples, BUDGET, 5).epoch(1);
        List<PackedBatch> again = new Batcher(new ArrayList<>(samples), BUDGET, 5).epoch(1);
        assertEquals(first.size(), again.size());
        for (int i = 0; i < first.size(); i++) {
            assertArrayEquals(first.get(i).tokens(), again.get(i).tokens());
            assertArrayEquals(first.get(i).targetRows(), again.get(i).targetRows());
        }
        Batcher batcher = new Batcher(samples, BUDGET, 5);
        assertFalse(Arrays.equals(batcher.order(0), batcher.order(1)));
        assertFalse(Arrays.equals(batcher.order(1), new Batcher(samples, BUDGET, 6).order(1)));
        assertFalse(Arrays.equals(IntStream.range(0, 100).toArray(), batcher.order(0)), "shuffled");
    }

    @Test
    void shufflesAreUniform() {
        List<Sample> three = samples(3, 4, 4);
        Map<String, Integer> counts = new HashMap<>();
        int runs = 6000;
        for (int seed = 0; seed < runs; seed++) {
            counts.merge(Arrays.toString(new Batcher(three, BUDGET, seed).order(0)), 1, Integer::sum);
        }
        assertEquals(6, counts.size(), counts.toString());
        // each permutation 1000 times expected; 5 standard deviations is about 144
        counts.values().forEach(c -> assertTrue(Math.abs(c - 1000) < 144, counts.toString()));
    }

    @Test
    void theGeneratorIsSplitMix64() {
        // reference outputs of SplitMix64 for seed 1234567 (as published with the algorithm's reference code)
        SplitMix64 reference = new SplitMix64(1234567);
        for (String expected : List.of("6457827717110365317", "3203168211198807973", "9817491932198370423",
                "4593380528125082431", "16408922859458223821")) {
            assertEquals(Long.parseUnsignedLong(expected), reference.nextLong());
        }
        for (long seed : new long[] {0, 1, -1, 42, Long.MIN_VALUE}) {
            SplitMix64 mine = new SplitMix64(seed);
            SplittableRandom jdk = new SplittableRandom(seed);
            for (int i = 0; i < 100; i++) {
                assertEquals(jdk.nextLong(), mine.nextLong(), "seed " + seed + ", output " + i);
            }
        }
    }

    @Test
    void rejectsSamplesLongerThanARowAndNoSamples() {
        List<Sample> samples = List.of(new Sample(new int[5], new boolean[5], 0),
                new Sample(new int[9], new boolean[9], 6));
        IllegalParameterException e = assertThrows(IllegalParameterException.class,
                () -> new Batcher(samples, 8, 0));
        assertEquals("batchTokens", e.parameter());
        assertTrue(e.getMessage().contains("line 7, 9 tokens"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> new Batcher(List.of(), 8, 0));
        assertThrows(InvalidInputException.class,
                () -> new Batcher(List.of(new Sample(new int[3], new boolean[2], 0)), 8, 0));
    }
}
