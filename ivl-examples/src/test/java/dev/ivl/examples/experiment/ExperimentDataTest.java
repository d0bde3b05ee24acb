package dev.ivl.examples.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the corpus, the pre-training samples and the demonstration set built from them. */
class ExperimentDataTest {
    static final String TEXT = """

            Genesis 1

              1 In the beginning God created the heaven and the earth.
              2 And the earth was without form, and void; and darkness was upon the face of
            the deep. And the Spirit of God moved upon the face of the waters.
              3 And God said, Let there be light: and there was light.

            Genesis 2

              1 Thus the heavens and the earth were finished, and all the host of them.
            """;

    static List<Verse> parse(String text) throws IOException {
        return KjvText.parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "test");
    }

    @Test
    void versesAreReadWithTheirReferencesAndWrappedLinesJoined() throws IOException {
        List<Verse> verses = parse(TEXT);
        assertEquals(4, verses.size());
        assertEquals(new Verse("Genesis", 1, 2, "And the earth was without form, and void; and darkness was upon the"
                + " face of the deep. And the Spirit of God moved upon the face of the waters."), verses.get(1));
        assertEquals("Genesis 1:3 And God said, Let there be light: and there was light.", verses.get(2).line());
        assertEquals("Genesis 2:1", verses.get(3).reference());
    }

    @Test
    void theShippedGenesisHasItsFiftyChaptersAnd1533Verses() {
        List<Verse> genesis = KjvText.shippedGenesis();
        assertEquals(1533, genesis.size());
        assertEquals("Genesis 50:26", genesis.get(genesis.size() - 1).reference());
        assertEquals("In the beginning God created the heaven and the earth.", genesis.get(0).text());
        assertEquals(50, genesis.stream().map(Verse::chapter).distinct().count());
    }

    @Test
    void aCorpusWithoutVersesOrMissingIsRefusedNamingIt(@TempDir Path tmp) throws IOException {
        InvalidInputException none = assertThrows(InvalidInputException.class, () -> parse("just some prose\n"));
        assertTrue(none.getMessage().contains("no verse found"), none.getMessage());
        Path missing = tmp.resolve("nothing.txt");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> KjvText.read(missing));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("no such file"),
                e.getMessage());
        Path plain = tmp.resolve("kjv.txt");
        Files.writeString(plain, TEXT);
        assertEquals(parse(TEXT), KjvText.read(plain));
    }

    @Test
    void pretrainingSamplesKeepEveryVerseOnceWithinChaptersAndWordLimits() throws IOException {
        List<Verse> verses = parse(TEXT);
        List<String> chunks = Pretraining.chunks(verses, 30);
        assertEquals(List.of(
                "Genesis 1:1 In the beginning God created the heaven and the earth.",
                verses.get(1).line(), // 30 words with the first: over the limit
                "Genesis 1:3 And God said, Let there be light: and there was light.",
                "Genesis 2:1 Thus the heavens and the earth were finished, and all the host of them."), chunks);
        assertEquals(List.of(verses.get(0).line() + " " + verses.get(1).line() + " " + verses.get(2).line(),
                verses.get(3).line()), Pretraining.chunks(verses, 1000), "a chapter ends a sample");
        assertEquals(verses.subList(0, 3), Pretraining.firstChapters(verses, 1));
        assertEquals(verses, Pretraining.firstChapters(verses, 2));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Pretraining.firstChapters(verses, 3));
        assertTrue(e.getMessage().contains("2 chapters, fewer than the 3"), e.getMessage());
    }

    @Test
    void aDemonstrationAsksForTheVersesSecondHalfInTheFixedFormat() throws IOException {
        Demonstration d = Demonstration.of(parse(TEXT).get(2), 5);
        assertEquals("Continue Genesis 1:3 And God said, Let there", d.request());
        assertEquals("Continuation: be light: and there was light.", d.reference());
        assertEquals("be light: and there was light.", d.continuation());
    }

    @Test
    void theHeldOutSplitSharesNoVerseWithTheTrainingSplitAndComesFromThePretrainingText() {
        List<Verse> genesis = Pretraining.firstChapters(KjvText.shippedGenesis(), 12);
        DemoSet set = DemoSet.build(genesis, 40, 1000, 8, 30, 7);
        assertEquals(40, set.eval().size());
        Set<Verse> eval = set.eval().stream().map(Demonstration::verse).collect(Collectors.toSet());
        Set<Verse> train = set.train().stream().map(Demonstration::verse).collect(Collectors.toSet());
        assertEquals(40, eval.size());
        assertEquals(set.train().size(), train.size());
        assertFalse(train.isEmpty());
        Set<Verse> both = new HashSet<>(eval);
        both.retainAll(train);
        assertTrue(both.isEmpty(), "shared verses: " + both);
        assertTrue(genesis.containsAll(eval) && genesis.containsAll(train));
        String pretraining = String.join("\n", Pretraining.chunks(genesis, 60));
        for (Demonstration d : set.eval()) {
            int words = d.verse().text().split(" ").length;
            assertTrue(words >= 8 && words <= 30, d.verse().toString());
            assertTrue(pretraining.contains(d.verse().line()), d.verse().reference());
            // request head + answer continuation rebuild the verse exactly
            String head = d.request().substring(("Continue " + d.verse().reference() + " ").length());
            assertEquals(d.verse().text(), head + " " + d.continuation());
            assertEquals(words / 2, head.split(" ").length);
        }
        assertEquals(set, DemoSet.build(genesis, 40, 1000, 8, 30, 7), "the same seed gives the same split");
        assertNotEquals(set.eval(), DemoSet.build(genesis, 40, 1000, 8, 30, 8).eval());
        assertEquals(5, DemoSet.build(genesis, 40, 5, 8, 30, 7).train().size());
    }

    @Test
    void impossibleSplitsAreRefusedNamingTheParameter() {
        List<Verse> genesis = Pretraining.firstChapters(KjvText.shippedGenesis(), 1);
        assertThrows(IllegalParameterException.class, () -> DemoSet.build(genesis, 0, 10, 8, 30, 1));
        assertThrows(IllegalParameterException.class, () -> DemoSet.build(genesis, 4, 10, 8, 7, 1));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> DemoSet.build(genesis, 1000, 10, 8, 30, 1));
        assertTrue(e.getMessage().contains("too few for 1000 held-out"), e.getMessage());
    }
}
