package dev.ivl.core.model;

import dev.ivl.core.InvalidInputException;

/**
 * The state of one sequence in one model: its tokens so far (as a KV cache) and its position. Feed the prompt with
 * one {@link #append} call, then one token per step. Not thread-safe: one thread uses a session at a time.
 */
public interface Session extends AutoCloseable {
    /**
     * Appends tokens at {@link #position()} and returns the logits for the token after the last one.
     *
     * @param tokens at least one token id, each in {@code [0, vocabSize)}
     * @return a new array of {@code vocabSize} logits, owned by the caller
     * @throws InvalidInputException if an id is out of range, no token is given, or the tokens do not fit in the
     *     model's {@code maxSequenceLength}
     */
    float[] append(int... tokens);

    /** @return the number of tokens the session holds */
    int position();

    /**
     * Forgets every token from {@code position} on, so that the next {@link #append} writes there.
     *
     * @param position the new position, in {@code [0, position()]}
     * @throws InvalidInputException if {@code position} is out of that range
     */
    void rewind(int position);

    /** Frees the session's state. Closing twice is allowed; any other use after closing throws. */
    @Override
    void close();
}
