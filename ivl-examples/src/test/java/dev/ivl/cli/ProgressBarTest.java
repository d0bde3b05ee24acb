package dev.ivl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The progress line on a terminal (redrawn in place) and in a log (plain lines every 10% or minute). */
class ProgressBarTest {
    static final long SECOND = 1_000_000_000L;
    final StringWriter text = new StringWriter();
    final AtomicLong now = new AtomicLong();

    ProgressBar bar(boolean terminal) {
        return new ProgressBar(new PrintWriter(text), terminal, "step", now::get);
    }

    @Test
    void plainLinesAtTheFirstUpdateEveryTenPercentAndTheEnd() {
        ProgressBar bar = bar(false);
        for (int done = 1; done <= 20; done++) {
            now.set(done * SECOND);
            bar.update(done, 20, "loss 1.0");
        }
        bar.finish();
        List<String> lines = text.toString().lines().toList();
        // 1 (first), then 2, 4, ..., 20: each completes another 10% of 20 steps
        assertEquals(11, lines.size(), text.toString());
        assertEquals("step 1/20 [#-------------------]   5%  loss 1.0  ETA --", lines.get(0));
        // 9 steps in the 9 s since the first update: 1 s per step, 10 steps left
        assertEquals("step 10/20 [##########----------]  50%  loss 1.0  ETA 10s", lines.get(5));
        assertEquals("step 20/20 [####################] 100%  loss 1.0  ETA 0s", lines.get(10));
    }

    @Test
    void plainLinesAtLeastOnceAMinute() {
        ProgressBar bar = bar(false);
        bar.update(1, 1000, "");
        now.set(30 * SECOND);
        bar.update(2, 1000, "");
        now.set(61 * SECOND);
        bar.update(3, 1000, "");
        List<String> lines = text.toString().lines().toList();
        assertEquals(2, lines.size(), text.toString());
        // 61 s for 2 steps: 997 steps left take 30,408.5 s = 8 h 26 min
        assertEquals("step 3/1000 [--------------------]   0%  ETA 8h26m", lines.get(1));
    }

    @Test
    void onATerminalOneLineIsRedrawnAtMostTenTimesASecondWithMessagesAboveIt() {
        ProgressBar bar = bar(true);
        bar.update(1, 4, "");
        now.set(SECOND / 20);
        bar.update(2, 4, ""); // 50 ms after the last redraw: not drawn yet
        bar.message("note");
        now.set(SECOND / 5);
        bar.update(3, 4, "");
        now.set(SECOND / 5 + 1);
        bar.update(4, 4, ""); // the last update is always drawn
        bar.finish();
        String l1 = "step 1/4 [#####---------------]  25%  ETA --";
        String l2 = "step 2/4 [##########----------]  50%  ETA 0s";
        String l3 = "step 3/4 [###############-----]  75%  ETA 0s";
        String l4 = "step 4/4 [####################] 100%  ETA 0s";
        assertEquals("\r" + l1 + "\r" + " ".repeat(l1.length()) + "\rnote\n\r" + l2 + "\r" + l3 + "\r" + l4
                + System.lineSeparator(), text.toString());
    }

    @Test
    void finishShowsAnUpdateThatWasNotDrawnYet() {
        ProgressBar bar = bar(true);
        bar.update(1, 10, "a");
        bar.update(2, 10, "b"); // same instant: pending
        bar.finish();
        assertEquals("\rstep 1/10 [##------------------]  10%  a  ETA --"
                + "\rstep 2/10 [####----------------]  20%  b  ETA 0s" + System.lineSeparator(), text.toString());
    }

    @Test
    void durations() {
        assertEquals("45s", ProgressBar.duration(45));
        assertEquals("3m12s", ProgressBar.duration(192));
        assertEquals("2h05m", ProgressBar.duration(7500));
    }
}
