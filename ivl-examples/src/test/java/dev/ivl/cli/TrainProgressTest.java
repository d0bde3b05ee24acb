package dev.ivl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ivl.djl.train.StepReport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The listener of {@code ivl train}: the progress lines. */
class TrainProgressTest {
    static StepReport report(int step, double loss) {
        return new StepReport(step, 10, step / 5, loss, loss - 0.25, 0.125, 1e-4 * step, 100L * step, 2500.5,
                1.5 * step);
    }

    @Test
    void showsProgress() {
        StringWriter text = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(text), false, "step", () -> 0L);
        try (TrainProgress progress = new TrainProgress(bar)) {
            progress.onStep(report(1, 2.5));
            progress.onMessage("skipped a sample");
            progress.onStep(report(5, Double.NaN));
        }
        List<String> shown = text.toString().lines().toList();
        assertEquals(List.of("step 1/10 [##------------------]  10%  epoch 1  loss 2.5000  2501 tok/s  ETA --",
                "skipped a sample",
                "step 5/10 [##########----------]  50%  epoch 2  loss NaN  2501 tok/s  ETA 0s"), shown);
    }
}
