package dev.ivl.core.combine;

/** How a {@link CombinedModel} runs the forward passes of its models in one decoding step. */
public enum Stepping {
    /** One after the other, on the calling thread. */
    SEQUENTIAL,
    /**
     * At the same time: the first model on the calling thread, every other model on a worker thread of its own
     * that the session starts and stops. Possible because the value model only sees the tokens so far, never the
     * base model's output (the residual scheme). Gives the same logits as {@link #SEQUENTIAL}.
     */
    CONCURRENT
}
