package dev.ivl.core.text;

import java.util.Arrays;

/**
 * Decodes a stream of token ids into text pieces that are always complete: a character split over several
 * byte-level tokens comes out whole once its last byte arrives, and word-boundary markers turn into the right
 * spaces. Not thread-safe.
 *
 * <p>It decodes a short window of recent ids twice, with and without the newest, and emits the difference, holding
 * it back while the decoded window ends in U+FFFD (an incomplete character). The window restarts after each
 * emitted piece, so each step costs time proportional to the window, not to the whole text.
 */
public final class IncrementalDecoder {
    private final TextTokenizer tokenizer;
    private int[] ids = new int[64];
    private int size;
    private int prefixOffset;
    private int readOffset;

    /** @param tokenizer the tokenizer whose {@link TextTokenizer#decode} defines the text */
    public IncrementalDecoder(TextTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * @param id the next token id
     * @return the text that became complete with it; often empty, never a partial character
     */
    public String push(int id) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
        }
        ids[size++] = id;
        String prefix = tokenizer.decode(Arrays.copyOfRange(ids, prefixOffset, readOffset));
        String text = tokenizer.decode(Arrays.copyOfRange(ids, prefixOffset, size));
        if (text.length() > prefix.length() && !text.endsWith("\uFFFD")) {
            prefixOffset = readOffset;
            readOffset = size;
            return text.substring(prefix.length());
        }
        return "";
    }

    /** @return whatever text is still held back (an incomplete character decodes as U+FFFD); then resets */
    public String flush() {
        String prefix = tokenizer.decode(Arrays.copyOfRange(ids, prefixOffset, readOffset));
        String text = tokenizer.decode(Arrays.copyOfRange(ids, prefixOffset, size));
        prefixOffset = size;
        readOffset = size;
        return text.length() > prefix.length() ? text.substring(prefix.length()) : "";
    }
}
