package dev.ivl.djl.train;

/** What the trained model learns and how it sees the base model. */
public enum Scheme {
    /** IVL's default: the value model sees the text only; z_post = stop_gradient(z_base) + z_delta. */
    RESIDUAL,
    /** The value model's input is {@code p_base·W_e + embed(x)}: the base's distribution through the embeddings. */
    CASCADE,
    /** As {@link #CASCADE} without the text embedding: {@code p_base·W_e} only. */
    CASCADE_NO_TEXT,
    /** Plain causal-LM training with no base model (pre-training, full fine-tuning, baselines). */
    CAUSAL_LM
}
