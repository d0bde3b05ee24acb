package dev.ivl.core.vocab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.text.TextTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The synced token sequence always equals a whole-text encoding, character by character, while only windows are
 * encoded where the stable-prefix rule allows.
 */
class TokenSyncTest {
    static final List<String> TEXTS = List.of(
            "hello world, the cat sat on the mat",
            "hello  world   with   merged    spaces and\ttabs\nand newlines\n\n end",
            "héllo wörld € 日本語 — ok, naïve café",
            " leading space and trailing ",
            "unbrokenwordwithoutanyspacesatallforalongwhile then spaces");

    static final ToyTokenizer SENTENCEPIECE = ToyTokenizer.sentencepiece(" hel", " hello", "lo", " wor", " world",
            "ld", " the", " cat", " sat", " on", " mat", " ", "  ", "é", " w", "ö", "or", "  world", " and", "an");
    static final ToyTokenizer BYTE_LEVEL = ToyTokenizer.byteLevel(" hel", " hello", "lo", " wor", " world", "ld",
            " the", " cat", " sat", " on", " mat", "  ", "é", " é", "日本", " and", "an", "\n\n");

    /** Feeds the text one character at a time and compares with whole-text encodings after every character. */
    static TokenSync grow(TextTokenizer tokenizer, String text) {
        TokenSync sync = new TokenSync(tokenizer, TokenBytes.of(tokenizer));
        int[] previous = new int[0];
        int previousLength = 0;
        for (int end = 0; end < text.length(); end = text.offsetByCodePoints(end, 1)) {
            String prefix = text.substring(0, text.offsetByCodePoints(end, 1));
            byte[] bytes = prefix.getBytes(StandardCharsets.UTF_8);
            int common = sync.update(bytes, bytes.length, previousLength);
            int[] want = tokenizer.encode(prefix, false);
            assertArrayEquals(want, sync.tokens(), tokenizer + " after \"" + prefix + "\"");
            int lcp = 0;
            while (lcp < previous.length && lcp < want.length && previous[lcp] == want[lcp]) {
                lcp++;
            }
            assertEquals(lcp, common, "common prefix after \"" + prefix + "\"");
            previous = want;
            previousLength = bytes.length;
        }
        return sync;
    }

    @Test
    void sentencepieceStyleStaysEqualToWholeTextEncoding() {
        long windows = 0;
        for (String text : TEXTS) {
            windows += grow(SENTENCEPIECE, text).windowEncodes();
        }
        assertTrue(windows > 100, "most steps encode a window only: " + windows);
    }

    @Test
    void byteLevelStaysEqualToWholeTextEncoding() {
        long windows = 0;
        for (String text : TEXTS) {
            windows += grow(BYTE_LEVEL, text).windowEncodes();
        }
        assertTrue(windows > 100, "most steps encode a window only: " + windows);
    }

    @Test
    void aTailChangeReportsTheFirstChangedToken() {
        TokenSync sync = new TokenSync(SENTENCEPIECE, TokenBytes.of(SENTENCEPIECE));
        byte[] hel = "say hel".getBytes(StandardCharsets.UTF_8);
        sync.update(hel, hel.length, 0);
        int[] before = sync.tokens();
        assertEquals(SENTENCEPIECE.id("▁hel"), before[before.length - 1]);
        byte[] hello = "say hello".getBytes(StandardCharsets.UTF_8);
        assertEquals(before.length - 1, sync.update(hello, hello.length, hel.length), "▁hel became ▁hello");
        assertEquals(SENTENCEPIECE.id("▁hello"), sync.token(sync.size() - 1));
    }

    @Test
    void aShorterOrDifferentTextIsFollowedToo() {
        TokenSync sync = new TokenSync(BYTE_LEVEL, TokenBytes.of(BYTE_LEVEL));
        byte[] a = "the cat sat on the mat".getBytes(StandardCharsets.UTF_8);
        sync.update(a, a.length, 0);
        byte[] b = "the cat sat in".getBytes(StandardCharsets.UTF_8);
        sync.update(b, b.length, "the cat sat ".length());
        assertArrayEquals(BYTE_LEVEL.encode("the cat sat in", false), sync.tokens());
    }

    @Test
    void aTokenizerWhoseTokensDoNotSpellItsInputIsEncodedWhole() {
        // lower-cases its input (a normalizer): token bytes no longer spell the text, so windows cannot be trusted
        TextTokenizer lower = new TextTokenizer() {
            @Override
            public int vocabSize() {
                return BYTE_LEVEL.vocabSize();
            }

            @Override
            public int[] encode(String text, boolean addSpecialTokens) {
                return BYTE_LEVEL.encode(text.toLowerCase(java.util.Locale.ROOT), addSpecialTokens);
            }

            @Override
            public String decode(int[] ids) {
                return BYTE_LEVEL.decode(ids);
            }

            @Override
            public String tokenString(int id) {
                return BYTE_LEVEL.tokenString(id);
            }
        };
        TokenSync sync = grow(lower, "The Cat Sat On The Mat");
        assertEquals(0, sync.windowEncodes());
        assertTrue(Arrays.equals(lower.encode("The Cat Sat On The Mat", false), sync.tokens()));
    }
}
