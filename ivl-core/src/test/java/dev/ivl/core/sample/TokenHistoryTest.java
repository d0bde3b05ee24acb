package dev.ivl.core.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenHistoryTest {
    @Test
    void keepsTokensInOrderAndDistinctTokensInOrderOfFirstAppearance() {
        TokenHistory history = new TokenHistory(5, 3, 5);
        for (int i = 0; i < 40; i++) {
            history.add(i % 7 + 2); // grows past the initial capacity; 3 and 5 reappear
        }
        assertEquals(43, history.size());
        assertEquals(3, history.get(1));
        assertEquals(2, history.get(3));
        assertEquals(8, history.get(9));
        int[] tokens = history.toArray();
        assertEquals(43, tokens.length);
        assertArrayEquals(new int[] {5, 3, 5, 2, 3, 4}, java.util.Arrays.copyOf(tokens, 6));
        List<Integer> distinct = new ArrayList<>();
        history.forEachDistinct(distinct::add);
        assertEquals(List.of(5, 3, 2, 4, 6, 7, 8), distinct);
    }

    @Test
    void anEmptyHistoryHasNothing() {
        TokenHistory history = new TokenHistory();
        assertEquals(0, history.size());
        List<Integer> distinct = new ArrayList<>();
        history.forEachDistinct(distinct::add);
        assertEquals(List.of(), distinct);
        assertThrows(IndexOutOfBoundsException.class, () -> history.get(0));
    }

    @Test
    void rejectsIndicesOutsideTheSequence() {
        TokenHistory history = new TokenHistory(1, 2);
        assertThrows(IndexOutOfBoundsException.class, () -> history.get(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> history.get(2));
    }

    @Test
    void toArrayIsACopy() {
        TokenHistory history = new TokenHistory(1, 2);
        history.toArray()[0] = 9;
        assertEquals(1, history.get(0));
    }

    @Test
    void truncateForgetsTheTokensAfterTheCutAndTheDistinctTokensOnlyTheyHad() {
        TokenHistory history = new TokenHistory(5, 3);
        history.add(7);
        history.add(5);
        history.add(9);
        history.truncate(3); // keeps 5 3 7
        assertArrayEquals(new int[] {5, 3, 7}, history.toArray());
        List<Integer> distinct = new ArrayList<>();
        history.forEachDistinct(distinct::add);
        assertEquals(List.of(5, 3, 7), distinct, "9 first appeared after the cut; 5 before it");
        history.add(9);
        distinct.clear();
        history.forEachDistinct(distinct::add);
        assertEquals(List.of(5, 3, 7, 9), distinct);
        assertThrows(IndexOutOfBoundsException.class, () -> history.truncate(1), "into the prompt");
        assertThrows(IndexOutOfBoundsException.class, () -> history.truncate(5), "beyond the end");
    }
}
