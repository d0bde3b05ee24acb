package dev.ivl.core.vocab.align;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Edit costs and DTW paths on hand-made sequences, checked against costs and tables worked out by hand. */
class DtwTest {
    static byte[][] forms(String... tokens) {
        return Arrays.stream(tokens).map(t -> t.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
    }

    static int[] align(byte[][] a, byte[][] b) {
        int[] path = new int[2 * (a.length + b.length)];
        int n = new Dtw().align(a, b, path);
        return Arrays.copyOf(path, 2 * n);
    }

    @Test
    void editDistanceIsLevenshteinOverBytes() {
        EditCost c = new EditCost();
        assertEquals(3, c.distance(bytes("kitten"), bytes("sitting")));
        assertEquals(3, c.distance(bytes("the"), bytes("cat")));
        assertEquals(0, c.distance(bytes("abc"), bytes("abc")));
        assertEquals(2, c.distance(bytes(""), bytes("ab")));
        assertEquals(2, c.distance(bytes("é"), bytes("e")), "é is two bytes, both differ from e");
    }

    @Test
    void costIsDiscountedTenfoldWhenOneFormContainsTheOther() {
        EditCost c = new EditCost();
        assertEquals(0.1f, c.cost(bytes("hello"), bytes("hell")), 1e-7f);
        assertEquals(0.2f, c.cost(bytes("at"), bytes("cats")), 1e-7f);
        assertEquals(0.2f, c.cost(bytes(""), bytes("ab")), 1e-7f, "the empty form is in every form");
        assertEquals(3f, c.cost(bytes("abc"), bytes("xyz")));
        assertEquals(1f, c.cost(bytes("sat"), bytes("cat")), "no containment, no discount");
        assertEquals(0f, c.cost(bytes("same"), bytes("same")));
    }

    @Test
    void alignsTheCatSatAsWorkedOutByHand() {
        // costs: the/th 0.1, the/e 0.2, cat/cat 0, sat/s 0.2, sat/at 0.1; cumulative table D(2,4) = 0.6 via
        // (0,0) (0,1) (1,2) (2,3) (2,4); every other route costs at least 3.3
        int[] path = align(forms("the", "cat", "sat"), forms("th", "e", "cat", "s", "at"));
        assertArrayEquals(new int[] {2, 4, 2, 3, 1, 2, 0, 1, 0, 0}, path);
    }

    @Test
    void identicalSequencesAlignOneToOneEvenWhereEveryPathTies() {
        assertArrayEquals(new int[] {2, 2, 1, 1, 0, 0}, align(forms("a", "a", "a"), forms("a", "a", "a")));
        assertArrayEquals(new int[] {3, 3, 2, 2, 1, 1, 0, 0},
                align(forms("x", "y", "x", "y"), forms("x", "y", "x", "y")));
    }

    @Test
    void oneTokenAgainstSeveralTakesThemAll() {
        assertArrayEquals(new int[] {0, 2, 0, 1, 0, 0}, align(forms("hello"), forms("he", "ll", "o")));
        assertArrayEquals(new int[] {2, 0, 1, 0, 0, 0}, align(forms("he", "ll", "o"), forms("hello")));
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
