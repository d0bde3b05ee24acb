package dev.ivl.core.generate;

/** Why a generation ended. */
public enum FinishReason {
    /** {@code maxNewTokens} tokens were generated. */
    LENGTH,
    /** A stop token (a configured one or the tokenizer's end of sequence) was generated. */
    STOP_TOKEN,
    /** The text came to contain a stop string. */
    STOP_STRING,
    /** {@link CancellationToken#cancel()} was called. */
    CANCELLED,
    /** The model's context ({@code maxSequenceLength}) is full. */
    CONTEXT_FULL
}
