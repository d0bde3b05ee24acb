package dev.ivl.djl.train;

import java.nio.file.Path;

/**
 * What a training run produced.
 *
 * @param out the folder holding the trained model
 * @param steps optimizer steps taken in all (resumed steps included)
 * @param finalLoss the loss of the last step
 * @param skippedSamples data lines skipped (unlabellable or too long), each reported
 */
public record TrainResult(Path out, int steps, double finalLoss, int skippedSamples) {}
