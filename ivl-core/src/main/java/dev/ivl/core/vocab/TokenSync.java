package dev.ivl.core.vocab;

import dev.ivl.core.text.TextTokenizer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Keeps a token sequence equal to a tokenizer's encoding (without special tokens) of a text that changes at its
 * end, re-encoding only a window at the end of the text where it can.
 *
 * <p>The stable-prefix rule: a token boundary at byte {@code e} of the text is an <em>anchor</em> when the byte at
 * {@code e} is a space, the character before it is not white space and the character after it is not white space,
 * and all of that lies in the part of the text that did not change. Pre-tokenizers split there (GPT-2 and Llama-3
 * regexes start a word with its space), and sentencepiece vocabularies have no piece that spans a space after a
 * non-space, so no token can cross an anchor: the tokens before it stay, and only the text from it on is encoded
 * again (a tokenizer that adds a prefix space gets the window without its first space, which its dummy prefix puts
 * back). Each window's tokens must spell exactly the window's bytes; if they do not, or there is no anchor, the whole
 * text is encoded again. A tokenizer whose tokens do not spell its input (a normalizer that changes text) is always
 * encoded whole. Not thread-safe.
 */
final class TokenSync {
    private final TextTokenizer tokenizer;
    private final TokenBytes bytes;
    private int[] tokens = new int[64];
    /** {@code ends[i]}: the text byte offset where token i ends; valid while {@link #spelled}. */
    private int[] ends = new int[64];
    private int size;
    private boolean spelled;
    private long windowEncodes;

    /**
     * @param tokenizer the tokenizer whose encoding is kept
     * @param bytes its token bytes, or null if it exposes no token strings (then the text is always encoded whole)
     */
    TokenSync(TextTokenizer tokenizer, TokenBytes bytes) {
        this.tokenizer = tokenizer;
        this.bytes = bytes;
    }

    /**
     * Re-derives the tokens of a text.
     *
     * @param text UTF-8 bytes of the text in {@code [0, length)}, complete characters only
     * @param length the text's length in bytes
     * @param unchanged how many leading bytes are the same as in the text of the previous call (0 on the first)
     * @return how many leading tokens are the same as before the call
     */
    int update(byte[] text, int length, int unchanged) {
        int anchor = spelled ? anchor(text, Math.min(unchanged, length)) : -1;
        if (anchor > 0) {
            int from = ends[anchor - 1];
            String window = new String(text, from, length - from, StandardCharsets.UTF_8);
            boolean prefixSpace = bytes.profile().prefixSpace();
            int[] ids = tokenizer.encode(prefixSpace ? window.substring(1) : window, false);
            int[] newEnds = spell(ids, text, from, length, false);
            if (newEnds != null) {
                windowEncodes++;
                return replace(anchor, ids, newEnds);
            }
        }
        int[] ids = tokenizer.encode(new String(text, 0, length, StandardCharsets.UTF_8), false);
        int[] newEnds = bytes == null ? null : spell(ids, text, 0, length, bytes.profile().prefixSpace());
        spelled = newEnds != null;
        return replace(0, ids, spelled ? newEnds : new int[ids.length]);
    }

    /** @return the number of tokens */
    int size() {
        return size;
    }

    /** @return token {@code i} */
    int token(int i) {
        return tokens[i];
    }

    /** @return a copy of the tokens */
    int[] tokens() {
        return Arrays.copyOf(tokens, size);
    }

    /** @return how often a window, not the whole text, was encoded */
    long windowEncodes() {
        return windowEncodes;
    }

    /** Replaces the tokens from {@code at} on; returns the length of the common prefix of old and new tokens. */
    private int replace(int at, int[] ids, int[] newEnds) {
        int common = at;
        while (common < size && common - at < ids.length && tokens[common] == ids[common - at]) {
            common++;
        }
        int newSize = at + ids.length;
        if (tokens.length < newSize) {
            tokens = Arrays.copyOf(tokens, Math.max(newSize, tokens.length * 2));
            ends = Arrays.copyOf(ends, tokens.length);
        }
        System.arraycopy(ids, 0, tokens, at, ids.length);
        System.arraycopy(newEnds, 0, ends, at, ids.length);
        size = newSize;
        return common;
    }

    /**
     * @return the number of tokens before the last anchor that lies in {@code [0, unchanged)}, or -1 if there is
     *     none
     */
    private int anchor(byte[] text, int unchanged) {
        for (int j = size; j >= 1; j--) {
            int e = ends[j - 1];
            if (e + 1 >= unchanged || e < 1) {
                continue;
            }
            if (text[e] != ' ') {
                continue;
            }
            int next = codePointAt(text, e + 1, unchanged);
            if (next < 0 || isSpace(next) || isSpace(codePointBefore(text, e))) {
                continue;
            }
            return j;
        }
        return -1;
    }

    /**
     * Checks that tokens spell {@code text[from, to)}, with an extra leading space when {@code virtualSpace} (a
     * dummy prefix), and gives each token's end offset.
     *
     * @return the end offsets, or null if the tokens spell something else
     */
    private int[] spell(int[] ids, byte[] text, int from, int to, boolean virtualSpace) {
        int[] out = new int[ids.length];
        int at = virtualSpace ? from - 1 : from; // position of the next byte; -1 stands for the dummy space
        for (int i = 0; i < ids.length; i++) {
            for (byte b : bytes.bytesView(ids[i])) {
                byte want = at < from ? (byte) ' ' : at < to ? text[at] : 0;
                if (at >= to || b != want) {
                    return null;
                }
                at++;
            }
            out[i] = Math.max(at, from);
        }
        return at == to ? out : null;
    }

    /** @return the code point starting at byte {@code i}, or -1 if it does not end before {@code limit} */
    private static int codePointAt(byte[] text, int i, int limit) {
        int lead = text[i] & 0xff;
        int length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        if (i + length > limit) {
            return -1;
        }
        return new String(text, i, length, StandardCharsets.UTF_8).codePointAt(0);
    }

    /** @return the code point that ends just before byte {@code end} */
    private static int codePointBefore(byte[] text, int end) {
        int start = end - 1;
        while (start > 0 && end - start < 4 && (text[start] & 0xC0) == 0x80) {
            start--;
        }
        return new String(text, start, end - start, StandardCharsets.UTF_8).codePointAt(0);
    }

    private static boolean isSpace(int codePoint) {
        return Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint);
    }
}
