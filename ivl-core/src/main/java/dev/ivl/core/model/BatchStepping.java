package dev.ivl.core.model;

import dev.ivl.core.InvalidInputException;
import java.util.List;

/**
 * A model that can append one token to each of several of its sessions in one forward pass, reading its weights
 * once for all of them. {@link dev.ivl.core.generate.BatchGenerator} uses it; models without it step their
 * sessions one by one.
 */
public interface BatchStepping {
    /**
     * @param sessions distinct open sessions of this model
     * @param tokens one token for each
     * @return the logits after each session's token, {@code [B][vocabSize]}, as each session's own
     *     {@link Session#append} would give them (up to the summation order of a batched product)
     */
    float[][] appendEach(List<? extends Session> sessions, int[] tokens);

    /**
     * The plain way: each session appends its token on its own, one after the other.
     *
     * @param sessions open sessions
     * @param tokens one token for each
     * @return the logits after each session's token
     * @throws InvalidInputException if the counts differ
     */
    static float[][] oneByOne(List<? extends Session> sessions, int[] tokens) {
        if (sessions.size() != tokens.length) {
            throw new InvalidInputException("appendEach needs one token per session, got " + sessions.size()
                    + " session(s) and " + tokens.length + " token(s)");
        }
        float[][] rows = new float[tokens.length][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = sessions.get(i).append(tokens[i]);
        }
        return rows;
    }
}
