package dev.ivl.core.model;

/**
 * A value model trained by inverse value learning: its logits are z_delta, the change that post-training makes to
 * a base model's logits. How it may be plugged into a base depends on the {@link #scheme()} it was trained with:
 * under {@link Scheme#RESIDUAL} it sees only the tokens so far and runs beside the base; under the cascade schemes
 * it also needs the base's next-token distribution of the same step.
 */
public interface ValueModel extends LanguageModel {
    /**
     * @return the scheme the model was trained with; {@link Scheme#RESIDUAL} when nothing records one (a value model
     *     made elsewhere), the default
     */
    default Scheme scheme() {
        return Scheme.RESIDUAL;
    }
}
