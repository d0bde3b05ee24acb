package dev.ivl.core.vocab.align;

import dev.ivl.core.vocab.TokenMap;
import dev.ivl.core.vocab.ToyTokenizer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ivl.core.IllegalParameterException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Counting aligned pairs and completing the normalised map, on toy tokenizers. */
class VocabularyAlignerTest {
    static final List<String> TEXTS = List.of("the cat sat on the mat", "hello world", "the cat", "a hat",
            "hello there, the world", "cats and hats");

    @Test
    void countsTheAlignedPairsOfAHandCheckedText() {
        ToyTokenizer base = ToyTokenizer.sentencepiece(" the", " cat");
        ToyTokenizer value = ToyTokenizer.byteLevel("the", " c", "at");
        // base ▁the ▁cat, value the Ġc at (no space before the first word); forms the|cat and the|c|at; the path
        // (see DtwTest's arithmetic): the-the (0), cat-c (0.2), cat-at (0.1)
        PairCounts counts = new VocabularyAligner(base, value).count(List.of("the cat"), 1, null);
        assertEquals(3, counts.entries());
        assertEquals(1, counts.count(base.id("▁the"), value.id("the")));
        assertEquals(1, counts.count(base.id("▁cat"), value.id("Ġc")));
        assertEquals(1, counts.count(base.id("▁cat"), value.id("at")));
        assertEquals(base.vocabSize(), counts.rows());
        assertEquals(value.vocabSize(), counts.columns());
    }

    @Test
    void identicalTokenizersGiveTheIdentityMap() {
        ToyTokenizer t = ToyTokenizer.sentencepiece(" the", " cat", " sat", " on", " mat", " hello", " world", "at");
        VocabularyAligner aligner = new VocabularyAligner(t, t);
        PairCounts counts = aligner.count(TEXTS, 2, null);
        for (int r = 0; r < counts.rows(); r++) {
            for (int k = counts.start(r); k < counts.end(r); k++) {
                assertEquals(r, counts.column(k), "only diagonal pairs are counted");
            }
        }
        for (Normalization n : List.of(new Normalization.Paper(), new Normalization.ProbTopK(4))) {
            TokenMap map = aligner.map(counts, n);
            assertEquals(t.vocabSize(), map.entries(), n + ": one entry per token");
            for (int id = 0; id < t.vocabSize(); id++) {
                assertEquals(id, map.top(id), n + ": token " + t.tokenString(id));
                assertEquals(1f, map.weight(id, id), n + ": token " + t.tokenString(id));
            }
        }
    }

    @Test
    void countingIsTheSameOnOneThreadOrSeveral() {
        ToyTokenizer base = ToyTokenizer.sentencepiece(" the", " cat", " hel", "lo", " wor", "ld", " at");
        ToyTokenizer value = ToyTokenizer.byteLevel(" the", " ca", "t", " hello", " world", "s");
        VocabularyAligner aligner = new VocabularyAligner(base, value);
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            many.addAll(TEXTS);
        }
        AtomicInteger last = new AtomicInteger();
        PairCounts one = aligner.count(many, 1, null);
        PairCounts three = aligner.count(many, 3, n -> last.accumulateAndGet(n, Math::max));
        assertEquals(many.size(), last.get(), "progress reaches the number of texts");
        assertEquals(one.entries(), three.entries());
        for (int r = 0; r < one.rows(); r++) {
            for (int k = one.start(r); k < one.end(r); k++) {
                assertEquals(one.countAt(k), three.count(r, one.column(k)));
            }
        }
        assertEquals(50 * new VocabularyAligner(base, value).count(TEXTS, 1, null).total(), one.total());
    }

    @Test
    void unseenTokensFallBackToTheTokenOfTheSameBytesAndEndTokensToEachOther() {
        ToyTokenizer base = ToyTokenizer.sentencepiece(" the", " cat", " mat", " zebra");
        ToyTokenizer value = ToyTokenizer.byteLevel("the", " c", "at", " mat");
        VocabularyAligner aligner = new VocabularyAligner(base, value);
        TokenMap map = aligner.map(aligner.count(List.of("the cat"), 1, null), new Normalization.Paper());
        assertEquals(value.id("Ġmat"), map.top(base.id("▁mat")), "never seen; same bytes");
        assertEquals(1f, map.weight(base.id("▁mat"), value.id("Ġmat")));
        assertEquals(value.id("the"), map.top(base.id("▁the")), "seen: from the counts");
        assertEquals(-1, map.top(base.id("▁zebra")), "no value token spells ' zebra'");
        assertEquals(value.id("<|endoftext|>"), map.top(2), "</s> maps to <|endoftext|>");
        assertEquals(value.id("a"), map.top(base.id("<0x61>")), "byte fallback 'a' falls back to the byte token 'a'");
    }

    @Test
    void fallbackPrefersTheSameTokenStringThenANonByteToken() {
        ToyTokenizer t = ToyTokenizer.sentencepiece("a");
        VocabularyAligner aligner = new VocabularyAligner(t, t);
        TokenMap map = aligner.map(aligner.count(List.of(), 1, null), new Normalization.Paper());
        assertEquals(t.id("a"), map.top(t.id("a")), "'a' and <0x61> spell the same byte; 'a' keeps 'a'");
        assertEquals(t.id("<0x61>"), map.top(t.id("<0x61>")));
        // Ġ (a space) against ▁ and <0x20>: no string is the same, so the piece beats the lower-id byte token
        ToyTokenizer base = ToyTokenizer.byteLevel();
        ToyTokenizer value = ToyTokenizer.sentencepiece(" ");
        VocabularyAligner cross = new VocabularyAligner(base, value);
        TokenMap map2 = cross.map(cross.count(List.of(), 1, null), new Normalization.Paper());
        assertEquals(value.id("▁"), map2.top(base.id("Ġ")));
        assertNotEquals(value.id("<0x20>"), map2.top(base.id("Ġ")));
    }

    @Test
    void overlapCountsRecoveredGoldenTokensAsMultisets() {
        ToyTokenizer base = ToyTokenizer.sentencepiece(" the", " cat");
        ToyTokenizer value = ToyTokenizer.byteLevel("the", " c", "at");
        VocabularyAligner aligner = new VocabularyAligner(base, value);
        TokenMap map = aligner.map(aligner.count(List.of("the cat"), 1, null), new Normalization.Paper());
        // ▁cat ties between Ġc and at (one count each, both alone in their columns): the lower column, Ġc, wins
        assertEquals(value.id("Ġc"), map.top(base.id("▁cat")));
        // "the cat": mapped {the, Ġc}, golden [the, Ġc, at] -> 2 of 3
        // "the the": mapped {the, the}, golden [the, Ġ, the] -> 2 of 3
        TokenOverlap overlap = TokenOverlap.measure(map, base, value, List.of("the cat", "the the"));
        assertEquals(new TokenOverlap(4, 6), overlap);
        assertEquals(4.0 / 6, overlap.fraction(), 1e-12);
        assertThrows(dev.ivl.core.InvalidInputException.class,
                () -> TokenOverlap.measure(map, value, base, List.of("x")), "a map used the wrong way round");
    }

    @Test
    void longTextsAreCutAtWhiteSpace() {
        String text = "word ".repeat(2000);
        List<String> pieces = VocabularyAligner.pieces(text);
        assertEquals(text, String.join("", pieces));
        for (String p : pieces) {
            assertEquals(true, p.length() <= VocabularyAligner.MAX_PIECE_CHARS, "piece of " + p.length());
        }
        assertEquals(List.of("short"), VocabularyAligner.pieces("short"));
    }

    @Test
    void threadsMustBePositive() {
        ToyTokenizer t = ToyTokenizer.byteLevel();
        assertThrows(IllegalParameterException.class, () -> new VocabularyAligner(t, t).count(TEXTS, 0, null));
    }

    @Test
    void corpusHashDependsOnTheTextsAndTheirBoundaries() {
        String h = VocabularyAligner.corpusSha256(List.of("ab", "c"));
        assertEquals(64, h.length());
        assertEquals(h, VocabularyAligner.corpusSha256(List.of("ab", "c")));
        assertNotEquals(h, VocabularyAligner.corpusSha256(List.of("a", "bc")));
        // SHA-256 of the empty input, a published constant
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                VocabularyAligner.corpusSha256(List.of()));
    }
}
