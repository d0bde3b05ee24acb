package dev.ivl.core.text;

import java.util.OptionalInt;

/** Turns text into token ids and back. Implementations are thread-safe. */
public interface TextTokenizer {
    /** @return the number of ids the tokenizer can produce */
    int vocabSize();

    /**
     * Encodes text as the tokenizer does by default, adding its special tokens (Llama-2 prepends {@code <s>};
     * Llama-3 and GPT-2 add nothing).
     *
     * @param text the text
     * @return the token ids
     */
    default int[] encode(String text) {
        return encode(text, true);
    }

    /**
     * @param text the text
     * @param addSpecialTokens whether to add the tokenizer's special tokens (such as BOS)
     * @return the token ids
     */
    int[] encode(String text, boolean addSpecialTokens);

    /**
     * Decodes ids to text, leaving out special tokens. Incomplete UTF-8 sequences (a byte-fallback token cut off
     * from the rest of its character) decode to U+FFFD.
     *
     * @param ids token ids
     * @return the text
     */
    String decode(int[] ids);

    /** @return the ids that end a generation by default (end of sequence, end of turn); may be empty */
    default int[] eosTokenIds() {
        return new int[0];
    }

    /** @return the beginning-of-sequence id, if the tokenizer has one; empty by default */
    default OptionalInt bosTokenId() {
        return OptionalInt.empty();
    }

    /**
     * The token's string as the vocabulary spells it, word-prefix marker and byte notation included (e.g.
     * {@code ▁Hello}, {@code ĠHello}, {@code <0xE2>}). Vocabulary alignment needs it.
     *
     * @param id a token id in {@code [0, vocabSize)}
     * @return the string, or null if no token has this id or the tokenizer does not expose token strings (the
     *     default)
     */
    default String tokenString(int id) {
        return null;
    }

    /** @return a new decoder that turns a stream of ids into complete UTF-8 text pieces */
    default IncrementalDecoder newDecoder() {
        return new IncrementalDecoder(this);
    }
}
