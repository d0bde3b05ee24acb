package dev.ivl.core.fakes;

import dev.ivl.core.text.TextTokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A byte-level tokenizer for tests: ids 0–255 are the bytes of the UTF-8 text, {@link #EOS} and {@link #BOS} are
 * special tokens that decode to nothing. Incomplete UTF-8 sequences decode to U+FFFD.
 */
public final class ByteTokenizer implements TextTokenizer {
    /** End of sequence. */
    public static final int EOS = 256;
    /** Beginning of sequence, added by {@link #encode(String)}. */
    public static final int BOS = 257;
    /** Vocabulary size. */
    public static final int VOCAB = 258;

    @Override
    public int vocabSize() {
        return VOCAB;
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int offset = addSpecialTokens ? 1 : 0;
        int[] ids = new int[bytes.length + offset];
        if (addSpecialTokens) {
            ids[0] = BOS;
        }
        for (int i = 0; i < bytes.length; i++) {
            ids[i + offset] = bytes[i] & 0xff;
        }
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id < 256) {
                out.write(id);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public int[] eosTokenIds() {
        return new int[] {EOS};
    }

    /** @return the byte ids of a text, without special tokens */
    public static int[] bytes(String text) {
        return new ByteTokenizer().encode(text, false);
    }
}
