package dev.ivl.core.text;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Whether two tokenizers give ids the same meaning. Sizes are not enough: Llama-2 and Mistral both have 32,000
 * tokens, but id 1000 is another token in each. Two vocabularies are the same when every id maps to the same token
 * string.
 */
public final class Vocabularies {
    private Vocabularies() {}

    /**
     * Compares the token strings of ids {@code [0, ids)}.
     *
     * @param a a tokenizer
     * @param b another tokenizer
     * @param ids how many leading ids must agree; at most both vocabulary sizes
     * @return a description of the first id that differs, or empty when they agree or when a tokenizer does not
     *     expose its token strings (then nothing can be told)
     */
    public static Optional<String> difference(TextTokenizer a, TextTokenizer b, int ids) {
        if (a == b) {
            return Optional.empty();
        }
        if (ids > a.vocabSize() || ids > b.vocabSize()) {
            return Optional.of("the vocabularies have " + a.vocabSize() + " and " + b.vocabSize() + " tokens");
        }
        if (!exposesStrings(a, ids) || !exposesStrings(b, ids)) {
            return Optional.empty();
        }
        for (int id = 0; id < ids; id++) {
            String x = a.tokenString(id);
            String y = b.tokenString(id);
            if (x == null ? y != null : !x.equals(y)) {
                return Optional.of("id " + id + " is " + quote(x) + " in one vocabulary and " + quote(y)
                        + " in the other");
            }
        }
        return Optional.empty();
    }

    /**
     * A short identity of a vocabulary: the SHA-256 of its size and every id's token string, as recorded beside a
     * value model to name the vocabulary it was trained in.
     *
     * @param tokenizer a tokenizer
     * @return {@code sha256:<hex>}, or empty when the tokenizer does not expose its token strings
     */
    public static Optional<String> fingerprint(TextTokenizer tokenizer) {
        int size = tokenizer.vocabSize();
        if (!exposesStrings(tokenizer, size)) {
            return Optional.empty();
        }
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
        sha.update((size + "\n").getBytes(StandardCharsets.UTF_8));
        for (int id = 0; id < size; id++) {
            String s = tokenizer.tokenString(id);
            sha.update(((s == null ? "" : s.length() + ":" + s) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return Optional.of("sha256:" + HexFormat.of().formatHex(sha.digest()));
    }

    /** Whether any of the ids has a token string (a tokenizer without strings returns null for every id). */
    private static boolean exposesStrings(TextTokenizer t, int ids) {
        int probe = Math.min(ids, 256);
        for (int id = 0; id < probe; id++) {
            if (t.tokenString(id) != null) {
                return true;
            }
        }
        return false;
    }

    private static String quote(String s) {
        return s == null ? "(no token)" : "\"" + s + "\"";
    }
}
