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

    /**
     * Like {@link #append}, but returns the logits after every one of the tokens: what a target model needs to
     * check drafted tokens in one pass (speculative decoding). The default appends the tokens one at a time (after a
     * failure, those before it stay appended); models override it with one forward pass.
     *
     * @param tokens at least one token id, each in {@code [0, vocabSize)}
     * @return logits {@code [tokens.length][vocabSize]}, new arrays owned by the caller
     * @throws InvalidInputException as {@link #append}
     */
    default float[][] appendAll(int... tokens) {
        if (tokens.length == 0) {
            throw new InvalidInputException("append needs at least one token");
        }
        float[][] rows = new float[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            rows[i] = append(tokens[i]);
        }
        return rows;
    }

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
