package dev.ivl.djl.vocab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ivl.core.vocab.TokenBytes;
import dev.ivl.core.vocab.TokenizerProfile;
import dev.ivl.djl.tokenizer.HfTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Word-prefix marker detection and token bytes for the four shared tokenizers: the profile is read from encoding
 * behaviour, and the bytes of the tokens of every test text spell that text exactly.
 */
class TokenizerProfilesTest {
    static final TokenizerProfile SENTENCEPIECE = new TokenizerProfile("▁", false, true);
    static final TokenizerProfile BYTE_LEVEL = new TokenizerProfile("Ġ", true, false);

    @Test
    void llama2IsSentencepieceStyleWithByteFallback() {
        try (HfTokenizer t = SharedTokenizers.llama2()) {
            assertEquals(SENTENCEPIECE, TokenizerProfile.detect(t));
            TokenBytes bytes = TokenBytes.of(t);
            assertArrayEquals(utf8(" the"), bytes.bytes(t.id("▁the").getAsInt()));
            assertArrayEquals(utf8("the"), bytes.normalized(t.id("▁the").getAsInt()));
            assertArrayEquals(new byte[] {0x0A}, bytes.bytes(t.id("<0x0A>").getAsInt()));
            assertArrayEquals(new byte[] {(byte) 0xF0}, bytes.bytes(t.id("<0xF0>").getAsInt()));
            assertArrayEquals(utf8("  "), bytes.bytes(t.id("▁▁").getAsInt()));
            assertArrayEquals(utf8(" "), bytes.normalized(t.id("▁▁").getAsInt()), "one marker is the prefix");
            assertSpells(t, bytes, true);
        }
    }

    @Test
    void gpt2IsByteLevel() {
        try (HfTokenizer t = SharedTokenizers.gpt2()) {
            assertEquals(BYTE_LEVEL, TokenizerProfile.detect(t));
            TokenBytes bytes = TokenBytes.of(t);
            assertArrayEquals(utf8(" the"), bytes.bytes(t.id("Ġthe").getAsInt()));
            assertArrayEquals(utf8("the"), bytes.normalized(t.id("Ġthe").getAsInt()));
            assertArrayEquals(utf8("\n"), bytes.bytes(t.id("Ċ").getAsInt()));
            assertArrayEquals(utf8(" \u00a0"), bytes.bytes(t.id("ĠÂł").getAsInt()), "space, no-break space");
            assertArrayEquals(utf8("<|endoftext|>"), bytes.bytes(t.id("<|endoftext|>").getAsInt()));
            assertSpells(t, bytes, false);
        }
    }

    @Test
    void llama3IsByteLevel() {
        try (HfTokenizer t = SharedTokenizers.llama3()) {
            assertEquals(BYTE_LEVEL, TokenizerProfile.detect(t));
            TokenBytes bytes = TokenBytes.of(t);
            assertArrayEquals(utf8(" 日本"), bytes.bytes(t.id("ĠæĹ¥æľ¬").getAsInt()));
            assertArrayEquals(utf8("日本"), bytes.normalized(t.id("ĠæĹ¥æľ¬").getAsInt()));
            assertSpells(t, bytes, false);
        }
    }

    @Test
    void mistralIsSentencepieceStyle() {
        try (HfTokenizer t = SharedTokenizers.mistral()) {
            assertEquals(SENTENCEPIECE, TokenizerProfile.detect(t));
            assertSpells(t, TokenBytes.of(t), true);
        }
    }

    /** The bytes of the tokens of each sample text are the text's UTF-8 (after a space if there is a dummy prefix). */
    static void assertSpells(HfTokenizer t, TokenBytes bytes, boolean prefixSpace) {
        List<String> texts = new ArrayList<>(SharedTokenizers.sample());
        texts.add("  leading spaces,\ttabs\n\nand 🦙 emoji");
        for (String text : texts) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (int id : t.encode(text, false)) {
                out.writeBytes(bytes.bytes(id));
            }
            assertEquals((prefixSpace ? " " : "") + text, out.toString(StandardCharsets.UTF_8), t + ": " + text);
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
