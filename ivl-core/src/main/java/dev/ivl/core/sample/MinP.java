package dev.ivl.core.sample;

import dev.ivl.core.IllegalParameterException;

/**
 * Min-p filtering: drops every token whose probability is below {@code minP × p_max}. Since
 * {@code p_i / p_max = exp(z_i − z_max)}, that is every logit below {@code z_max + ln(minP)}; no softmax is needed.
 * The most likely token is always kept.
 *
 * @param minP in (0, 1)
 */
public record MinP(float minP) implements LogitsProcessor {
    /** Validates min-p. */
    public MinP {
        if (!(minP > 0 && minP < 1)) {
            throw new IllegalParameterException("minP", minP, "must be in (0, 1)");
        }
    }

    @Override
    public void process(float[] logits, TokenHistory history) {
        float max = Float.NEGATIVE_INFINITY;
        for (float z : logits) {
            max = Math.max(max, z);
        }
        double threshold = max + Math.log(minP);
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] < threshold) {
                logits[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }
}
