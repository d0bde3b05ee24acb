package dev.ivl.core.model;

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
}
