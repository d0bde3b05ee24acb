package dev.ivl.core.generate;

import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.text.TextTokenizer;
import dev.ivl.core.text.Vocabularies;
import java.util.Optional;

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
     * Checks that a model can draft for a target: the same vocabulary size and, when both tokenizers are known, the
     * same tokens.
     *
     * @param draft the draft model
     * @param targetVocabSize the target's vocabulary size
     * @param targetTokenizer the tokenizer the target samples in, or null when unknown
     * @throws InvalidInputException in one line, if the vocabularies differ
     */
    public static void requireOneVocabulary(LanguageModel draft, int targetVocabSize, TextTokenizer targetTokenizer) {
        if (draft.vocabSize() != targetVocabSize) {
            throw new InvalidInputException("the draft has a vocabulary of " + draft.vocabSize() + " tokens and the"
                    + " target one of " + targetVocabSize + ": speculative decoding needs one vocabulary");
        }
        Optional<? extends TextTokenizer> theirs = draft.tokenizer();
        if (theirs.isPresent() && targetTokenizer != null) {
            Vocabularies.difference(targetTokenizer, theirs.get(), targetVocabSize).ifPresent(d -> {
                throw new InvalidInputException("the draft's tokenizer differs from the target's (" + d
                        + "): speculative decoding needs one vocabulary");
            });
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
