package dev.ivl.core.sample;

import dev.ivl.core.IllegalParameterException;

/**
 * The Hugging Face repetition penalty: for every distinct token already in the prompt or output, a positive logit
 * is divided by the penalty and a negative one multiplied by it ({@code where(z < 0, z·θ, z/θ)}).
 *
 * @param penalty θ &gt; 0; above 1 discourages repetition
 */
public record RepetitionPenalty(float penalty) implements LogitsProcessor {
    /** Validates θ. */
    public RepetitionPenalty {
        if (!(penalty > 0) || Float.isInfinite(penalty)) {
            throw new IllegalParameterException("repetitionPenalty", penalty, "must be a finite number > 0");
        }
    }

    @Override
    public void process(float[] logits, TokenHistory history) {
        history.forEachDistinct(t -> {
            if (t < logits.length) {
                float z = logits[t];
                logits[t] = z < 0 ? z * penalty : z / penalty;
            }
        });
    }
}
