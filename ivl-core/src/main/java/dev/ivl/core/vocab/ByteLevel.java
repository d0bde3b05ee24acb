package dev.ivl.core.vocab;

import java.util.Arrays;

/**
 * The byte-to-character table of byte-level BPE (GPT-2's {@code bytes_to_unicode}): printable Latin-1 bytes
 * ({@code !}–{@code ~}, {@code ¡}–{@code ¬}, {@code ®}–{@code ÿ}) stand for themselves, the other 68 bytes for the
 * characters U+0100, U+0101, ... in byte order. So the space 0x20 is {@code Ġ} (U+0120) and the newline {@code Ċ}.
 */
final class ByteLevel {
    private static final char[] CHAR_OF_BYTE = new char[256];
    /** Byte by character, for characters below U+0200; -1 where a character stands for no byte. */
    private static final short[] BYTE_OF_CHAR = new short[512];

    static {
        Arrays.fill(BYTE_OF_CHAR, (short) -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            CHAR_OF_BYTE[b] = c;
            BYTE_OF_CHAR[c] = (short) b;
        }
    }

    private ByteLevel() {}

    /** @return the character that stands for byte {@code b} (0–255) */
    static char charOf(int b) {
        return CHAR_OF_BYTE[b];
    }

    /** @return the byte (0–255) that character {@code c} stands for, or -1 if it stands for none */
    static int byteOf(char c) {
        return c < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[c] : -1;
    }

    /** @return the byte-level spelling of these bytes */
    static String render(byte[] bytes) {
        StringBuilder s = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            s.append(charOf(b & 0xff));
        }
        return s.toString();
    }
}
