package dev.ivl.djl.train;

import java.nio.file.Path;

/**
 * PLACEHOLDER (see {@link IvlTrainer}): the lead's branch defines the real record.
 *
 * @param out the folder the trained model was written to
 * @param steps optimizer steps done
 * @param finalLoss the last step's loss
 * @param skippedSamples data lines skipped
 */
public record TrainResult(Path out, int steps, double finalLoss, int skippedSamples) {}
