package dev.ivl.cli;

import dev.ivl.core.combine.CombinedModel;
import dev.ivl.core.combine.Stepping;
import dev.ivl.core.model.LanguageModel;
import picocli.CommandLine.Option;

/** How combined models step and the thread budget, shared by the commands that decode. */
final class StepOptions {
    @Option(names = "--stepping", defaultValue = "concurrent",
            description = "with a value model: run the forward passes concurrent (each model on its own thread, the"
                    + " threads sharing their matrix products) or sequential (one after the other, each with all"
                    + " threads); see docs/BENCHMARKS.md (default: ${DEFAULT-VALUE})")
    String stepping;

    @Option(names = "--threads", description = "thread budget: PyTorch intra-op threads, and the threads of a"
            + " concurrent step (default: the cores)")
    Integer threads;

    private int budget;

    /** Sets the thread budget; call before anything starts the engine, which reads it once. */
    void configure() {
        budget = Cli.configureThreads(threads);
    }

    /** @return the stepping asked for */
    Stepping stepping() {
        return Cli.enumOption("--stepping", stepping, Stepping.class);
    }

    /** @return the thread budget, once {@link #configure} has set it */
    int budget() {
        return budget;
    }

    /**
     * @param combined models combined on the host
     * @return the combination as these options run it: on the models' device when it can be
     */
    LanguageModel apply(CombinedModel combined) {
        return Cli.onDevice(combined, stepping(), budget);
    }
}
