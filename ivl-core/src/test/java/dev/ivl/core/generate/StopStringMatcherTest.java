package dev.ivl.core.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringMatcherTest {
    @Test
    void holdsBackAPossibleStartAndReleasesItWhenItDiverges() {
        StopStringMatcher m = new StopStringMatcher(List.of("END"));
        assertEquals("a ", m.accept("a "));
        assertEquals("", m.accept("E"));
        assertEquals("", m.accept("N"));
        assertEquals("EN ", m.accept(" "));
        assertEquals("b ", m.accept("b E"));
        assertEquals("", m.accept("ND and more"));
        assertTrue(m.matched());
        assertEquals("", m.accept("later"));
        assertEquals("", m.finish());
    }

    @Test
    void releasesTheTextBeforeTheEarliestStop() {
        StopStringMatcher m = new StopStringMatcher(List.of("world", "lo, "));
        assertEquals("Hel", m.accept("Hello, world"));
        assertTrue(m.matched());
    }

    @Test
    void findsAStopThatStartsInsideAHeldBackRepetition() {
        StopStringMatcher m = new StopStringMatcher(List.of("aab"));
        assertEquals("", m.accept("a"));
        assertEquals("", m.accept("a"));
        assertEquals("a", m.accept("a"));
        assertEquals("", m.accept("b"));
        assertTrue(m.matched());
    }

    @Test
    void finishReleasesAnUncompletedStart() {
        StopStringMatcher m = new StopStringMatcher(List.of("END", "STOP"));
        assertEquals("abc", m.accept("abcST"));
        assertFalse(m.matched());
        assertEquals("ST", m.finish());
        assertEquals("", m.finish());
    }

    @Test
    void withoutStopStringsEverythingPassesThrough() {
        StopStringMatcher m = new StopStringMatcher(List.of());
        assertEquals("anything", m.accept("anything"));
        assertFalse(m.matched());
        assertEquals("", m.finish());
    }
}
