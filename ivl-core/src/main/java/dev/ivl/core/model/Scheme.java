package dev.ivl.core.model;

import java.util.Locale;
import java.util.Optional;

/** How a model was trained, which decides how it may be plugged into a base model. */
public enum Scheme {
    /** IVL's default: the value model sees the text only; z_post = stop_gradient(z_base) + z_delta. */
    RESIDUAL,
    /** The value model's input is {@code p_base·W_e + embed(x)}: the base's distribution through the embeddings. */
    CASCADE,
    /** As {@link #CASCADE} without the text embedding: {@code p_base·W_e} only. */
    CASCADE_NO_TEXT,
    /** Plain causal-LM training with no base model (pre-training, full fine-tuning, baselines): not a value model. */
    CAUSAL_LM;

    /** @return the name used on the command line and in {@code ivl.json}, e.g. {@code cascade-no-text} */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** @return whether the value model's input holds the base's next-token distribution */
    public boolean cascade() {
        return this == CASCADE || this == CASCADE_NO_TEXT;
    }

    /**
     * @param label a name as {@link #label()} writes it
     * @return the scheme, or empty if no scheme has this label
     */
    public static Optional<Scheme> ofLabel(String label) {
        for (Scheme s : values()) {
            if (s.label().equals(label)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
