package dev.ivl.core.model;

import dev.ivl.core.text.TextTokenizer;
import java.util.Optional;

/**
 * A causal language model seen as a source of next-token logits. Implementations are thread-safe: any number of
 * sessions may be open and used from different threads at once (one session is used by one thread at a time).
 */
public interface LanguageModel {
    /** @return the number of logits a session returns per step */
    int vocabSize();

    /** @return the most tokens a session can hold (prompt plus generated tokens) */
    int maxSequenceLength();

    /**
     * Opens a session: the state (KV cache, position) of one sequence, starting empty at position 0.
     *
     * @return a new session that the caller closes
     */
    Session newSession();

    /**
     * The tokenizer whose ids this model's logits are indexed by, when the model knows it: a model loaded from a
     * folder with its {@code tokenizer.json}, or a combination (which samples in its base's vocabulary, or the one
     * it was built to sample in). Generators take it from here, and combiners check with it that ids mean the same
     * tokens in every part.
     *
     * @return the tokenizer, or empty when the model does not know it (the default)
     */
    default Optional<? extends TextTokenizer> tokenizer() {
        return Optional.empty();
    }
}
