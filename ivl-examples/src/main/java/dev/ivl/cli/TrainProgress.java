package dev.ivl.cli;

import dev.ivl.djl.train.StepReport;
import dev.ivl.djl.train.TrainListener;
import java.util.Locale;

/** Shows a training run's progress; the listener of {@code ivl train} (the trainer writes the loss log). */
final class TrainProgress implements TrainListener, AutoCloseable {
    private final ProgressBar bar;

    /** @param bar shows the steps, loss, throughput and time left */
    TrainProgress(ProgressBar bar) {
        this.bar = bar;
    }

    @Override
    public void onStep(StepReport r) {
        bar.update(r.step(), r.totalSteps(), String.format(Locale.ROOT, "epoch %d  loss %.4f  %.0f tok/s",
                r.epoch() + 1, r.loss(), r.tokensPerSecond()));
    }

    @Override
    public void onMessage(String message) {
        bar.message(message);
    }

    /** Ends the progress line. */
    @Override
    public void close() {
        bar.finish();
    }
}
