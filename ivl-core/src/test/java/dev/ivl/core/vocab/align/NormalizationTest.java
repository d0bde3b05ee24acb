package dev.ivl.core.vocab.align;

import dev.ivl.core.vocab.TokenMap;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import org.junit.jupiter.api.Test;

/** The normalisations on a 3 × 3 count matrix, against weights computed by hand. */
class NormalizationTest {
    /** Rows: {0: 6, 1: 2}, {1: 4}, {0: 1, 1: 5, 2: 3}. */
    static final PairCounts COUNTS = new PairCounts(3, 3, new int[] {0, 2, 3, 6}, new int[] {0, 1, 1, 0, 1, 2},
            new int[] {6, 2, 4, 1, 5, 3});

    @Test
    void paperNormalisationIsTheAuthorsComputationOnTheDenseMatrix() {
        // row means over all 3 columns: 8/3, 4/3, 9/3. C' (masked zeros in brackets):
        //   row 0: 6 - 8/3 = 10/3, 2 - 8/3 = -2/3, [0]
        //   row 1: [0], 4 - 4/3 = 8/3, [0]
        //   row 2: 1 - 3 = -2, 5 - 3 = 2, 3 - 3 = 0
        // column 0 {10/3, 0, -2}: min -2, max 10/3; column 1 {-2/3, 8/3, 2} (no zero): min -2/3, max 8/3;
        // column 2 {0, 0, 0}: max = min, divided by 1
        // W: row 0: (10/3 + 2)/(16/3) = 1, 0; row 1: (8/3 + 2/3)/(10/3) = 1; row 2: 0, (2 + 2/3)/(10/3) = 0.8, 0
        TokenMap map = new Normalization.Paper().apply(COUNTS);
        assertEquals(3, map.entries(), "one entry per row");
        assertEquals(0, map.top(0));
        assertEquals(1f, map.weight(0, 0), 1e-6f);
        assertEquals(1, map.top(1));
        assertEquals(1f, map.weight(1, 1), 1e-6f);
        assertEquals(1, map.top(2));
        assertEquals(0.8f, map.weight(2, 1), 1e-6f);
        assertEquals(0f, map.weight(2, 2), "not kept");
    }

    @Test
    void paperTiesKeepTheLowerColumn() {
        // one row, counts 4 and 4 in columns 0 and 2 of a 3-column, 2-row matrix: equal weights
        PairCounts tie = new PairCounts(2, 3, new int[] {0, 2, 2}, new int[] {0, 2}, new int[] {4, 4});
        TokenMap map = new Normalization.Paper().apply(tie);
        assertEquals(0, map.top(0));
    }

    @Test
    void nonZeroMinMaxCentersOnNonZerosAndScalesOverNonZeros() {
        // centred by row mean: row 0 (mean 4): +2, -2; row 1 (mean 4): 0; row 2 (mean 3): -2, +2, 0
        // column 0 {+2, -2} -> 1, 0; column 1 {-2, 0, +2} -> 0, 0.5, 1; column 2 {0} alone -> 1
        // row 2 ties at 1 between columns 1 and 2: the larger count (5) wins
        TokenMap map = new Normalization.NonZeroMinMax().apply(COUNTS);
        assertEquals(3, map.entries(), "one entry per row");
        assertEquals(0, map.top(0));
        assertEquals(1f, map.weight(0, 0));
        assertEquals(1, map.top(1));
        assertEquals(0.5f, map.weight(1, 1));
        assertEquals(1, map.top(2));
        assertEquals(1f, map.weight(2, 1));
        assertEquals(0f, map.weight(2, 2), "not kept");
    }

    @Test
    void probabilityNormalisationKeepsTopKAndRenormalises() {
        TokenMap k2 = new Normalization.ProbTopK(2).apply(COUNTS);
        assertEquals(0.75f, k2.weight(0, 0));
        assertEquals(0.25f, k2.weight(0, 1));
        assertEquals(1f, k2.weight(1, 1));
        assertEquals(0f, k2.weight(2, 0), "count 1 is not among row 2's top two");
        assertEquals(0.625f, k2.weight(2, 1));
        assertEquals(0.375f, k2.weight(2, 2));
        TokenMap k1 = new Normalization.ProbTopK(1).apply(COUNTS);
        assertEquals(3, k1.entries());
        assertEquals(1f, k1.weight(2, 1));
    }

    @Test
    void probabilityTiesKeepTheLowerColumn() {
        PairCounts tie = new PairCounts(1, 3, new int[] {0, 2}, new int[] {0, 2}, new int[] {4, 4});
        TokenMap map = new Normalization.ProbTopK(1).apply(tie);
        assertEquals(0, map.top(0));
        assertEquals(1f, map.weight(0, 0));
    }

    @Test
    void emptyRowsStayEmpty() {
        PairCounts counts = new PairCounts(3, 2, new int[] {0, 0, 1, 1}, new int[] {1}, new int[] {7});
        for (Normalization n : new Normalization[] {new Normalization.Paper(), new Normalization.NonZeroMinMax(),
            new Normalization.ProbTopK(3)}) {
            TokenMap map = n.apply(counts);
            assertEquals(-1, map.top(0), n.toString());
            assertEquals(1, map.top(1), n.toString());
            assertEquals(-1, map.top(2), n.toString());
        }
    }

    @Test
    void parsesAndPrintsTheCommandLineSpelling() {
        assertEquals(new Normalization.Paper(), Normalization.parse("paper"));
        assertEquals(new Normalization.ProbTopK(8), Normalization.parse("prob-topk:8"));
        assertEquals("prob-topk:8", Normalization.parse("prob-topk:8").toString());
        assertEquals("paper", new Normalization.Paper().toString());
        assertEquals(new Normalization.NonZeroMinMax(), Normalization.parse("nonzero-minmax"));
        assertEquals("nonzero-minmax", new Normalization.NonZeroMinMax().toString());
        IllegalParameterException e = assertThrows(IllegalParameterException.class,
                () -> Normalization.parse("prob-topk:x"));
        assertEquals("normalize", e.parameter());
        assertThrows(IllegalParameterException.class, () -> Normalization.parse("prob-topk:0"));
        assertThrows(IllegalParameterException.class, () -> Normalization.parse("minmax"));
    }

    @Test
    void countsMustFormAValidSparseMatrix() {
        assertThrows(InvalidInputException.class,
                () -> new PairCounts(2, 2, new int[] {0, 1, 2}, new int[] {0, 2}, new int[] {1, 1}), "column 2");
        assertThrows(InvalidInputException.class,
                () -> new PairCounts(1, 3, new int[] {0, 2}, new int[] {1, 1}, new int[] {1, 1}), "repeated column");
        assertThrows(InvalidInputException.class,
                () -> new PairCounts(1, 3, new int[] {0, 1}, new int[] {1}, new int[] {0}), "zero count");
        assertThrows(InvalidInputException.class,
                () -> new PairCounts(2, 3, new int[] {0, 1}, new int[] {1}, new int[] {1}), "row_start length");
    }
}
