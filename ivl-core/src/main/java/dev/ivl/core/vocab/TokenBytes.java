package dev.ivl.core.vocab;

import dev.ivl.core.text.TextTokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The bytes each token of a vocabulary stands for, read from its token strings under the tokenizer's
 * {@link TokenizerProfile}: byte-level characters become their bytes, {@code <0xHH>} byte-fallback tokens their
 * byte, the word-prefix marker a space, anything else its UTF-8 bytes. The <em>normalised</em> form drops the
 * leading space a word-prefix marker stands for, so {@code ▁the} and {@code Ġthe} both normalise to {@code the}.
 * Immutable and thread-safe.
 */
public final class TokenBytes {
    private static final byte[] NONE = new byte[0];

    private final TokenizerProfile profile;
    private final byte[][] full;
    private final byte[][] normalized;
    private final boolean[] byteFallback;

    private TokenBytes(TokenizerProfile profile, byte[][] full, byte[][] normalized, boolean[] byteFallback) {
        this.profile = profile;
        this.full = full;
        this.normalized = normalized;
        this.byteFallback = byteFallback;
    }

    /**
     * Detects the tokenizer's profile and reads the bytes of every token.
     *
     * @param tokenizer the tokenizer
     * @return its token bytes; ids without a token string stand for no bytes
     * @throws dev.ivl.core.InvalidInputException if the tokenizer exposes no token strings
     */
    public static TokenBytes of(TextTokenizer tokenizer) {
        TokenizerProfile profile = TokenizerProfile.detect(tokenizer);
        int size = tokenizer.vocabSize();
        byte[][] full = new byte[size][];
        byte[][] normalized = new byte[size][];
        boolean[] byteFallback = new boolean[size];
        String marker = profile.marker();
        for (int id = 0; id < size; id++) {
            String token = tokenizer.tokenString(id);
            if (token == null) {
                full[id] = NONE;
                normalized[id] = NONE;
                continue;
            }
            int fallback = profile.byteLevel() ? -1 : fallbackByte(token);
            byteFallback[id] = fallback >= 0;
            full[id] = fallback >= 0 ? new byte[] {(byte) fallback} : bytes(token, profile);
            boolean marked = !marker.isEmpty() && token.startsWith(marker) && full[id].length > 0
                    && full[id][0] == ' ';
            normalized[id] = marked ? Arrays.copyOfRange(full[id], 1, full[id].length) : full[id];
        }
        return new TokenBytes(profile, full, normalized, byteFallback);
    }

    /** @return how the tokenizer spells its tokens */
    public TokenizerProfile profile() {
        return profile;
    }

    /** @return the vocabulary size */
    public int size() {
        return full.length;
    }

    /**
     * @param id a token id
     * @return a copy of the bytes the token stands for, a leading space for a word-prefix marker included
     */
    public byte[] bytes(int id) {
        return full[id].clone();
    }

    /**
     * @param id a token id
     * @return a copy of the token's normalised bytes: {@link #bytes} without the space of a word-prefix marker
     */
    public byte[] normalized(int id) {
        return normalized[id].clone();
    }

    /** @return the token's bytes, not copied (for the aligner): callers must not modify them */
    public byte[] bytesView(int id) {
        return full[id];
    }

    /** @return the token's normalised bytes, not copied: callers must not modify them */
    public byte[] normalizedView(int id) {
        return normalized[id];
    }

    /** @return whether the token is a {@code <0xHH>} byte-fallback token */
    public boolean isByteFallback(int id) {
        return byteFallback[id];
    }

    /** @return the byte of a {@code <0xHH>} token, or -1 if the token is not one */
    static int fallbackByte(String token) {
        if (token.length() != 6 || !token.startsWith("<0x") || token.charAt(5) != '>') {
            return -1;
        }
        int hi = Character.digit(token.charAt(3), 16);
        int lo = Character.digit(token.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    private static byte[] bytes(String token, TokenizerProfile profile) {
        if (profile.byteLevel()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(token.length());
            for (int i = 0; i < token.length(); ) {
                int c = token.codePointAt(i);
                int b = c < Character.MIN_SUPPLEMENTARY_CODE_POINT ? ByteLevel.byteOf((char) c) : -1;
                if (b >= 0) {
                    out.write(b);
                } else { // not a byte-level character (an added token's text): its own UTF-8
                    out.writeBytes(Character.toString(c).getBytes(StandardCharsets.UTF_8));
                }
                i += Character.charCount(c);
            }
            return out.toByteArray();
        }
        String text = profile.marker().isEmpty() ? token : token.replace(profile.marker(), " ");
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
