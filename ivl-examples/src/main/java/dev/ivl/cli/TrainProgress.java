package dev.ivl.cli;

import dev.ivl.djl.train.StepReport;
import dev.ivl.djl.train.TrainListener;
import java.util.Locale;

/** Shows a training run's progress and writes its loss log; the listener of {@code ivl train}. */
final class TrainProgress implements TrainListener, AutoCloseable {
    private final ProgressBar bar;
    private final TrainLog log;

    /**
     * @param bar shows the steps, loss, throughput and time left
     * @param log receives every step
     */
    TrainProgress(ProgressBar bar, TrainLog log) {
        this.bar = bar;
        this.log = log;
    }

    @Override
    public void onStep(StepReport r) {
        log.write(r);
        bar.update(r.step(), r.totalSteps(), String.format(Locale.ROOT, "epoch %d  loss %.4f  %.0f tok/s",
                r.epoch() + 1, r.loss(), r.tokensPerSecond()));
    }

    @Override
    public void onMessage(String message) {
        bar.message(message);
    }

    /** Ends the progress line and closes the log. */
    @Override
    public void close() {
        try {
            bar.finish();
        } finally {
            log.close();
        }
    }
}
