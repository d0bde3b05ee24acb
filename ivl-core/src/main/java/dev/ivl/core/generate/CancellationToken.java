package dev.ivl.core.generate;

/**
 * Lets another thread stop a generation. The generator checks it before each new token and then ends with
 * {@link FinishReason#CANCELLED}, returning what it has so far.
 */
public final class CancellationToken {
    private volatile boolean cancelled;

    /** Asks the generation to stop; safe to call from any thread, any number of times. */
    public void cancel() {
        cancelled = true;
    }

    /** @return whether {@link #cancel()} was called */
    public boolean isCancelled() {
        return cancelled;
    }
}
