package dev.ivl.examples.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The task metrics against hand-computed values. */
class ExperimentMetricsTest {
    static final String EXPECTED = "Let there be light: and there was light.";

    @Test
    void exactMatchComparesTheContinuationUpToWhiteSpace() {
        assertTrue(Metrics.exactMatch("Continuation: Let there be light: and there was light.", EXPECTED));
        assertTrue(Metrics.exactMatch(" Continuation:  Let there be light:\nand there was light. ", EXPECTED));
        assertTrue(Metrics.exactMatch(EXPECTED, EXPECTED), "without the prefix the whole text is the continuation");
        assertFalse(Metrics.exactMatch("Continuation: Let there be light: and there was light", EXPECTED));
        assertFalse(Metrics.exactMatch("Continuation: let there be light: and there was light.", EXPECTED));
    }

    @Test
    void tokenF1CountsWordsWithMultiplicity() {
        assertEquals(1.0, Metrics.tokenF1("Continuation: Let there be light: and there was light.", EXPECTED));
        // got [let, there, be, darkness], want [let, there, be, light, and, there, was, light]: 3 common,
        // P = 3/4, R = 3/8, F1 = 2PR/(P+R) = 1/2
        assertEquals(0.5, Metrics.tokenF1("Continuation: let there be DARKNESS", EXPECTED), 1e-12);
        // got [there, there, there], want [there, was]: 1 common, P = 1/3, R = 1/2, F1 = 2/5
        assertEquals(0.4, Metrics.tokenF1("there there there", "there was"), 1e-12);
        assertEquals(0.0, Metrics.tokenF1("Continuation: nothing alike", EXPECTED));
        assertEquals(0.0, Metrics.tokenF1("Continuation:", EXPECTED));
        assertEquals(1.0, Metrics.tokenF1("Continuation: ...", "!"), "no words on either side");
    }

    @Test
    void formatNeedsThePrefixAContinuationAndTheEndOfSequence() {
        assertTrue(Metrics.formatCompliant(" Continuation: Let there be light.", true));
        assertFalse(Metrics.formatCompliant("Continuation: Let there be light.", false), "cut at the token limit");
        assertFalse(Metrics.formatCompliant("Let there be light.", true), "no prefix");
        assertFalse(Metrics.formatCompliant("Continuation:  ", true), "nothing after the prefix");
        assertFalse(Metrics.formatCompliant("continuation: Let there be light.", true), "the prefix is exact");
        assertEquals("Let there be light.", Metrics.continuation(" Continuation: Let there be light. "));
    }
}
