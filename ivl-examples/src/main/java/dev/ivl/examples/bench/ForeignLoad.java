package dev.ivl.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How busy the other processes kept the CPUs over an interval: all CPUs' busy time from {@code /proc/stat} minus
 * this process's from {@code /proc/self/stat}, over the elapsed time, in cores. A benchmark repetition during which
 * others used a sizeable part of a core was disturbed. Reads nothing and reports NaN where {@code /proc} is absent.
 */
final class ForeignLoad {
    /** USER_HZ, 100 on every Linux architecture that ivl runs on. */
    private static final double TICKS_PER_SECOND = 100;

    private final long startBusy;
    private final long startOwn;
    private final long startNanos;

    private ForeignLoad(long busy, long own) {
        this.startBusy = busy;
        this.startOwn = own;
        this.startNanos = System.nanoTime();
    }

    /** @return a measurement starting now */
    static ForeignLoad start() {
        return new ForeignLoad(busyTicks(), ownTicks());
    }

    /** @return the mean number of cores the other processes kept busy since {@link #start()}, or NaN if unknown */
    double cores() {
        long busy = busyTicks();
        long own = ownTicks();
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        if (busy < 0 || own < 0 || startBusy < 0 || startOwn < 0 || seconds <= 0) {
            return Double.NaN;
        }
        double ticks = (busy - startBusy) - (own - startOwn);
        return Math.max(0, ticks / TICKS_PER_SECOND / seconds);
    }

    /** @return user + nice + system + irq + softirq + steal ticks of all CPUs, or -1 */
    private static long busyTicks() {
        String line = firstLine(Path.of("/proc/stat"));
        if (line == null || !line.startsWith("cpu ")) {
            return -1;
        }
        String[] f = line.trim().split("\\s+");
        long busy = 0;
        for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
            busy += i < f.length ? Long.parseLong(f[i]) : 0;
        }
        return busy;
    }

    /** @return this process's user + system ticks, or -1 */
    private static long ownTicks() {
        String line = firstLine(Path.of("/proc/self/stat"));
        if (line == null) {
            return -1;
        }
        // the command name (field 2) may hold spaces: count fields after its closing parenthesis
        String[] f = line.substring(line.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
    }

    private static String firstLine(Path file) {
        try {
            return Files.isReadable(file) ? Files.readAllLines(file).get(0) : null;
        } catch (IOException e) {
            return null;
        }
    }
}
