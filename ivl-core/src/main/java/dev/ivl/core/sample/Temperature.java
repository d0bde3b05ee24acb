package dev.ivl.core.sample;

import dev.ivl.core.IllegalParameterException;

/**
 * Divides every logit by the temperature: {@code z / T}.
 *
 * @param temperature T &gt; 0 (greedy decoding, T = 0, uses {@link GreedySampler} instead)
 */
public record Temperature(float temperature) implements LogitsProcessor {
    /** Validates T. */
    public Temperature {
        if (!(temperature > 0) || Float.isInfinite(temperature)) {
            throw new IllegalParameterException("temperature", temperature, "must be a finite number > 0");
        }
    }

    @Override
    public void process(float[] logits, TokenHistory history) {
        float inv = 1f / temperature;
        for (int i = 0; i < logits.length; i++) {
            logits[i] *= inv;
        }
    }
}
