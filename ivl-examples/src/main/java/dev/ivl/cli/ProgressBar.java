package dev.ivl.cli;

import java.io.Console;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of a long job, for a person watching a terminal or for a log.
 *
 * <p>On a terminal it is one line redrawn in place (with {@code \r}, at most ten times a second):
 * {@code step 120/1000 [##----------------]  12%  loss 2.3456  ETA 3m12s}. Elsewhere (output redirected, CI) it
 * prints the same text as a plain line at the first update, each time another 10% is done, at least once a minute,
 * and at the end. The estimate of the time left uses the rate since the first update, so start-up time (loading
 * models) does not distort it. Not thread-safe: call it from one thread.
 */
final class ProgressBar {
    private static final int BAR_WIDTH = 20;
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final long PLAIN_SILENCE_NANOS = 60_000_000_000L;
    private static final int PLAIN_PERCENT_STEP = 10;

    private final PrintWriter out;
    private final boolean terminal;
    private final String label;
    private final LongSupplier clock;
    private long firstDone = -1;
    private long firstNanos;
    private long lastPrintNanos;
    private long lastPrintedBucket = -1;
    /** The text on the terminal's progress line, empty if none. */
    private String line = "";
    /** The latest text not drawn yet (updates come faster than redraws), or null. */
    private String pending;

    /**
     * @param out where to write
     * @param terminal whether {@code out} is a terminal (redraw one line) or not (plain lines)
     * @param label what is counted, e.g. {@code step}
     * @param clock the time in nanoseconds ({@code System::nanoTime})
     */
    ProgressBar(PrintWriter out, boolean terminal, String label, LongSupplier clock) {
        this.out = out;
        this.terminal = terminal;
        this.label = label;
        this.clock = clock;
    }

    /**
     * @param label what is counted
     * @return a progress bar on standard error, redrawn in place when the process runs in a terminal
     */
    static ProgressBar onStderr(String label) {
        return new ProgressBar(new PrintWriter(System.err, false, StandardCharsets.UTF_8), isTerminal(), label,
                System::nanoTime);
    }

    /**
     * @param done units done, 1 to total
     * @param total units planned
     * @param status a short note shown after the percentage (e.g. the current loss), or empty
     */
    void update(long done, long total, String status) {
        long now = clock.getAsLong();
        if (firstDone < 0) {
            firstDone = done;
            firstNanos = now;
        }
        boolean last = done >= total;
        if (terminal) {
            pending = format(done, total, status, now);
            if (last || now - lastPrintNanos >= REDRAW_NANOS || line.isEmpty()) {
                draw(pending);
                pending = null;
                lastPrintNanos = now;
            }
            return;
        }
        long bucket = total <= 0 ? 0 : done * 100 / total / PLAIN_PERCENT_STEP;
        boolean due = lastPrintedBucket < 0 || bucket > lastPrintedBucket || last
                || now - lastPrintNanos >= PLAIN_SILENCE_NANOS;
        if (due) {
            out.println(format(done, total, status, now));
            out.flush();
            lastPrintedBucket = bucket;
            lastPrintNanos = now;
        }
    }

    /** Prints a line of text; on a terminal it appears above the progress line, which is redrawn below it. */
    void message(String text) {
        if (terminal && !line.isEmpty()) {
            out.print("\r" + " ".repeat(line.length()) + "\r" + text + "\n");
            String current = pending != null ? pending : line;
            line = "";
            pending = null;
            draw(current);
        } else {
            out.println(text);
        }
        out.flush();
    }

    /** Ends the progress line: on a terminal, shows the latest update and moves the cursor below it. */
    void finish() {
        if (pending != null) {
            draw(pending);
            pending = null;
        }
        if (terminal && !line.isEmpty()) {
            out.println();
            out.flush();
            line = "";
        }
    }

    private void draw(String next) {
        int clear = Math.max(0, line.length() - next.length());
        out.print("\r" + next + " ".repeat(clear));
        out.flush();
        line = next;
    }

    private String format(long done, long total, String status, long now) {
        StringBuilder s = new StringBuilder();
        s.append(label).append(' ').append(done).append('/').append(total).append(" [");
        long filled = total <= 0 ? 0 : Math.min(BAR_WIDTH, done * BAR_WIDTH / total);
        s.append("#".repeat((int) filled)).append("-".repeat(BAR_WIDTH - (int) filled)).append("] ");
        long percent = total <= 0 ? 0 : Math.min(100, done * 100 / total);
        s.append(String.format(Locale.ROOT, "%3d%%", percent));
        if (!status.isEmpty()) {
            s.append("  ").append(status);
        }
        s.append("  ETA ");
        long doneSinceFirst = done - firstDone;
        if (done >= total) {
            s.append(duration(0));
        } else if (doneSinceFirst <= 0) {
            s.append("--");
        } else {
            double perUnit = (now - firstNanos) / 1e9 / doneSinceFirst;
            s.append(duration(Math.round(perUnit * (total - done))));
        }
        return s.toString();
    }

    /** @return e.g. {@code 45s}, {@code 3m12s}, {@code 2h05m} */
    static String duration(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds / 60 % 60);
    }

    /**
     * @return whether standard output is a terminal: {@code System.console()} exists (before Java 22) and, on Java
     *     22 and later, says it is a terminal; {@code TERM=dumb} counts as no terminal
     */
    static boolean isTerminal() {
        Console console = System.console();
        if (console == null || "dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (NoSuchMethodException e) {
            return true; // before Java 22, a console exists only when the process runs in a terminal
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }
}
