package dev.ivl.djl.train;

/** Receives training progress; callbacks run on the training thread. */
public interface TrainListener {
    /** A listener that ignores everything. */
    TrainListener NONE = report -> {};

    /** @param report progress after an optimizer step */
    void onStep(StepReport report);

    /** @param message a notice for the user (skipped samples, checkpoints written, the base switched) */
    default void onMessage(String message) {}
}
