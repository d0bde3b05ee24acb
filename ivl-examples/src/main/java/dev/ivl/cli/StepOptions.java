package dev.ivl.cli;

import dev.ivl.core.combine.Stepping;
import picocli.CommandLine.Option;

/** How combined models step and the thread budget, shared by the commands that decode. */
final class StepOptions {
    @Option(names = "--stepping", defaultValue = "auto",
            description = "with a value model: run the forward passes concurrent (each model on its own thread, the"
                    + " threads sharing their matrix products), sequential (one after the other, each with all"
                    + " threads), or auto: concurrent on a GPU, sequential on the CPU, as measured faster; see"
                    + " docs/BENCHMARKS.md (default: ${DEFAULT-VALUE})")
    String stepping;

    @Option(names = "--threads", description = "thread budget: PyTorch intra-op threads, and the threads of a"
            + " concurrent step (default: the cores)")
    Integer threads;

    private Stepping mode;
    private int budget;

    /**
     * Checks the stepping and sets the thread budget; call first, before anything starts the engine (which reads the
     * budget once).
     */
    void configure() {
        mode = switch (stepping.toLowerCase(java.util.Locale.ROOT)) {
            case "auto" -> null;
            case "concurrent" -> Stepping.CONCURRENT;
            case "sequential" -> Stepping.SEQUENTIAL;
            default -> throw new dev.ivl.core.IllegalParameterException("--stepping", stepping,
                    "must be one of auto, concurrent, sequential");
        };
        budget = Cli.configureThreads(threads);
    }

    /** @return the stepping asked for, once {@link #configure} has checked it; null for auto */
    Stepping stepping() {
        return mode;
    }

    /** @return the thread budget, once {@link #configure} has set it */
    int budget() {
        return budget;
    }
}
