package dev.ivl.core.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class NegExpTest {
    /** Stated tolerance: relative error at most 1e-15 (Math.exp itself is within 1 ulp, about 1.1e-16). */
    private static final double TOLERANCE = 1e-15;

    private static void check(float d) {
        double expected = Math.exp(-(double) d);
        double actual = NegExp.of(d);
        assertTrue(Math.abs(actual - expected) <= TOLERANCE * expected,
                () -> "exp(-" + d + "): " + actual + " vs " + expected);
    }

    @Test
    void agreesWithMathExpOverTheWholeRange() {
        for (float d = 0; d < 45f; d += 1f / 1024) { // every table step, and past the table's end at 40
            check(d);
            check(Math.nextDown(d + 1f / 64));
        }
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 200_000; i++) {
            check((float) random.nextDouble(0, 60));
        }
        check(Float.MIN_VALUE);
        check(700f);
    }

    @Test
    void handlesTheEdges() {
        assertEquals(1.0, NegExp.of(0f));
        assertEquals(0.0, NegExp.of(Float.POSITIVE_INFINITY));
        assertTrue(Double.isNaN(NegExp.of(Float.NaN)));
    }
}
