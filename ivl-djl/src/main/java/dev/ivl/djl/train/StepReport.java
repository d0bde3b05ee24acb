package dev.ivl.djl.train;

/**
 * Progress after one optimizer step.
 *
 * @param step optimizer steps done (1-based)
 * @param totalSteps optimizer steps planned
 * @param epoch the current epoch (0-based)
 * @param loss the step's loss: cross-entropy plus λ·mean|z_delta|
 * @param crossEntropy the mean cross-entropy over the step's label tokens
 * @param meanAbsDelta mean |z_delta| over label positions and vocabulary (0 for plain causal-LM training)
 * @param learningRate the rate used for this step
 * @param tokens label tokens seen so far
 * @param tokensPerSecond training throughput over the run so far, in tokens fed (all tokens, not only labels)
 * @param elapsedSeconds time since training started (or resumed)
 */
public record StepReport(int step, int totalSteps, int epoch, double loss, double crossEntropy, double meanAbsDelta,
        double learningRate, long tokens, double tokensPerSecond, double elapsedSeconds) {}
