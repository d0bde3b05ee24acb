package dev.ivl.core.vocab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.fakes.ByteTokenizer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Profile detection from encoding behaviour, and token bytes under each spelling. */
class TokenBytesTest {
    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void sentencepieceStyleIsDetectedFromItsTokens() {
        ToyTokenizer t = ToyTokenizer.sentencepiece(" the", "the", " a", " b");
        assertEquals(new TokenizerProfile("▁", false, true), TokenizerProfile.detect(t));
        TokenBytes bytes = TokenBytes.of(t);
        assertArrayEquals(utf8(" the"), bytes.bytes(t.id("▁the")));
        assertArrayEquals(utf8("the"), bytes.normalized(t.id("▁the")));
        assertArrayEquals(utf8("the"), bytes.normalized(t.id("the")));
        assertArrayEquals(new byte[] {(byte) 0xE2}, bytes.bytes(t.id("<0xE2>")), "byte fallback");
        assertTrue(bytes.isByteFallback(t.id("<0xE2>")));
        assertFalse(bytes.isByteFallback(t.id("the")));
    }

    @Test
    void theMarkerIsWhateverTheTokenizerUsesNotAFixedCharacter() {
        ToyTokenizer t = ToyTokenizer.sentencepiece('~', " hello", " a", " b");
        assertEquals(new TokenizerProfile("~", false, true), TokenizerProfile.detect(t));
        TokenBytes bytes = TokenBytes.of(t);
        assertArrayEquals(utf8(" hello"), bytes.bytes(t.id("~hello")));
        assertArrayEquals(utf8("hello"), bytes.normalized(t.id("~hello")));
    }

    @Test
    void byteLevelStyleIsDetectedAndItsCharactersMapToBytes() {
        ToyTokenizer t = ToyTokenizer.byteLevel(" the", "é");
        assertEquals(new TokenizerProfile("Ġ", true, false), TokenizerProfile.detect(t));
        TokenBytes bytes = TokenBytes.of(t);
        assertArrayEquals(utf8(" the"), bytes.bytes(t.id("Ġthe")));
        assertArrayEquals(utf8("the"), bytes.normalized(t.id("Ġthe")));
        assertArrayEquals(utf8("\n"), bytes.bytes(t.id("Ċ")));
        assertArrayEquals(utf8("é"), bytes.bytes(t.id("Ã©")), "é is 0xC3 0xA9, spelled Ã©");
        assertArrayEquals(new byte[] {(byte) 0xA0}, bytes.bytes(t.id("ł")), "0xA0 is the 67th unprintable byte");
        assertArrayEquals(new byte[] {(byte) 0xAD}, bytes.bytes(t.id("Ń")), "0xAD is the 68th and last");
        assertArrayEquals(utf8("<|endoftext|>"), bytes.bytes(t.id("<|endoftext|>")));
    }

    @Test
    void aTokenizerWithoutTokenStringsIsRefusedClearly() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> TokenBytes.of(new ByteTokenizer()));
        assertTrue(e.getMessage().contains("tokenString"), e.getMessage());
    }
}
