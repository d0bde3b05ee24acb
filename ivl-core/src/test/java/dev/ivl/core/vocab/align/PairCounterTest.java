package dev.ivl.core.vocab.align;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link PairCounter}: counts like a hash map, across growth and merging. */
class PairCounterTest {
    @Test
    void pairCounterMatchesAHashMapAcrossGrowthAndMerging() {
        SplittableRandom r = new SplittableRandom(11);
        Map<Long, Integer> want = new HashMap<>();
        PairCounter a = new PairCounter();
        PairCounter b = new PairCounter();
        for (int i = 0; i < 30_000; i++) {
            int row = r.nextInt(300);
            int col = r.nextInt(70_000);
            int amount = 1 + r.nextInt(3);
            (i % 2 == 0 ? a : b).add(row, col, amount);
            want.merge((long) row << 32 | col, amount, Integer::sum);
        }
        a.addAll(b);
        PairCounts counts = a.toCounts(300, 70_000);
        assertEquals(want.size(), counts.entries());
        want.forEach((key, count) -> assertEquals(count, counts.count((int) (key >>> 32), (int) (long) key)));
        assertEquals(want.values().stream().mapToLong(Integer::longValue).sum(), counts.total());
    }
}
