package dev.ivl.core.vocab;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.text.TextTokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * How a tokenizer spells its tokens, found by watching it encode probe texts (never from its class or file name):
 * the word-prefix marker that stands for a preceding space, whether token strings are byte-level characters, and
 * whether encoding puts a space before the text (sentencepiece's dummy prefix).
 *
 * @param marker the word-prefix marker: {@code ▁} (sentencepiece style), {@code Ġ} (byte-level BPE), or empty if
 *     spaces are not marked in token strings
 * @param byteLevel whether token strings are byte-level characters ({@code Ġ} for 0x20, {@code Ċ} for 0x0A, ...)
 *     rather than text with {@code <0xHH>} byte-fallback tokens
 * @param prefixSpace whether encoding a text adds a space before it ({@code "a"} encodes as {@code ▁a})
 */
public record TokenizerProfile(String marker, boolean byteLevel, boolean prefixSpace) {
    /** Validates the marker. */
    public TokenizerProfile {
        if (marker == null) {
            throw new InvalidInputException("marker must not be null (use \"\" for none)");
        }
    }

    /**
     * Encodes {@code "a b"} and {@code "é\n"} without special tokens and reads the token strings: the text
     * between {@code a} and {@code b} is the marker, text before {@code a} means a prefix space, and token strings
     * spelling the UTF-8 bytes of {@code "é\n"} in byte-level characters mean a byte-level tokenizer.
     *
     * @param tokenizer the tokenizer
     * @return its profile
     * @throws InvalidInputException if the tokenizer exposes no token strings
     */
    public static TokenizerProfile detect(TextTokenizer tokenizer) {
        String ab = joined(tokenizer, "a b");
        int a = ab.indexOf('a');
        int b = ab.lastIndexOf('b');
        String marker = a >= 0 && b > a ? ab.substring(a + 1, b) : "";
        boolean prefixSpace = a > 0 && ab.substring(0, a).equals(marker);
        String rendered = ByteLevel.render("é\n".getBytes(StandardCharsets.UTF_8));
        String probe = joined(tokenizer, "é\n");
        boolean byteLevel = probe.equals(rendered) || probe.equals(marker + rendered);
        return new TokenizerProfile(marker, byteLevel, prefixSpace);
    }

    /** @return the token strings of the text's encoding, joined, with runs of byte-fallback tokens decoded */
    private static String joined(TextTokenizer tokenizer, String text) {
        StringBuilder s = new StringBuilder();
        ByteArrayOutputStream fallback = new ByteArrayOutputStream();
        for (int id : tokenizer.encode(text, false)) {
            String token = tokenizer.tokenString(id);
            if (token == null) {
                throw new InvalidInputException("tokenizer " + tokenizer + " gives no token string for id " + id
                        + ": vocabulary alignment needs TextTokenizer.tokenString");
            }
            int b = TokenBytes.fallbackByte(token);
            if (b >= 0) {
                fallback.write(b);
            } else {
                s.append(fallback.toString(StandardCharsets.UTF_8)).append(token);
                fallback.reset();
            }
        }
        return s.append(fallback.toString(StandardCharsets.UTF_8)).toString();
    }
}
