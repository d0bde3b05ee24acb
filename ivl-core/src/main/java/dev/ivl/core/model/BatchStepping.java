package dev.ivl.core.model;

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
}
