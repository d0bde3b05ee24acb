package dev.ivl.core.generate;

import dev.ivl.core.IllegalParameterException;

/**
 * How speculative decoding drafts ({@link Generator#withDraft}): the draft model proposes up to
 * {@code draftTokens} tokens, the target checks them all in one forward pass.
 *
 * @param draftTokens the tokens drafted per round, k; in {@code [1, 64]}
 * @param adaptive whether k follows the acceptance: after a round that kept every drafted token k grows by one (up
 *     to {@code draftTokens}), after one that rejected a token it shrinks by one (down to 1); rounds start at
 *     {@code draftTokens}
 */
public record Speculation(int draftTokens, boolean adaptive) {
    /** The most tokens a round may draft. */
    public static final int MAX_DRAFT_TOKENS = 64;

    /** @throws IllegalParameterException if {@code draftTokens} is outside {@code [1, 64]} */
    public Speculation {
        if (draftTokens < 1 || draftTokens > MAX_DRAFT_TOKENS) {
            throw new IllegalParameterException("draftTokens", draftTokens, "must be in [1, " + MAX_DRAFT_TOKENS + "]");
        }
    }

    /**
     * @param draftTokens the tokens drafted per round
     * @return a fixed k
     */
    public static Speculation of(int draftTokens) {
        return new Speculation(draftTokens, false);
    }
}
