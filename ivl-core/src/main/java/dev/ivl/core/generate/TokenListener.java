package dev.ivl.core.generate;

/**
 * Receives a generation as it happens. {@link #onText} gets complete UTF-8 text only (never half a character) and
 * never text of a stop string; then exactly one of {@link #onComplete} and {@link #onError}. Callbacks run on the
 * generating thread.
 */
@FunctionalInterface
public interface TokenListener {
    /** A listener that ignores everything. */
    TokenListener NONE = text -> {};

    /** @param text the next piece of generated text, never empty */
    void onText(String text);

    /** @param tokenId the token just generated (stop tokens included) */
    default void onToken(int tokenId) {}

    /** @param result the generation's result, after the last token and text */
    default void onComplete(GenerationResult result) {}

    /** @param error why the generation failed; the generator throws it after this call */
    default void onError(RuntimeException error) {}
}
