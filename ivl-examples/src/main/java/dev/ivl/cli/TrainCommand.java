package dev.ivl.cli;

import dev.ivl.djl.train.IvlTrainer;
import dev.ivl.core.model.Scheme;
import dev.ivl.djl.train.TrainConfig;
import dev.ivl.djl.train.TrainResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Trains a value model (or runs plain causal-LM training) from a JSONL file. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a value model by inverse value learning: it learns z_delta so that "
                + "z_base + z_delta fits the data's assistant replies. Progress goes to stderr, a loss log to "
                + "OUT/train-log.jsonl, the model to OUT: written in OUT.ivl-partial, moved to OUT when complete.")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--value-init", required = true, paramLabel = "DIR",
            description = "pretrained checkpoint the value model starts from")
    Path valueInit;

    @Option(names = "--base", split = ",", paramLabel = "DIR",
            description = "frozen base model(s), comma separated or repeated; several form a curriculum, in order")
    List<Path> bases = new ArrayList<>();

    @Option(names = "--data", required = true, paramLabel = "FILE",
            description = "JSONL, one example a line: {\"messages\": [{\"role\", \"content\"}, ...]} or "
                    + "{\"instruction\", \"response\"} (optional \"input\", \"system\"), or {\"text\"} for plain "
                    + "pre-training (every token a label)")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder")
    Path out;

    @Option(names = "--scheme", paramLabel = "NAME",
            description = "residual, cascade, cascade-no-text or causal-lm (default: residual)")
    String scheme;

    @Option(names = "--lambda", paramLabel = "L", description = "weight of the L1 term on z_delta (default: 0)")
    Float lambda;

    @Option(names = "--lr", paramLabel = "LR", description = "peak AdamW learning rate (default: 1e-4)")
    Float learningRate;

    @Option(names = "--epochs", paramLabel = "N", description = "passes over the data (default: 1)")
    Integer epochs;

    @Option(names = "--batch-tokens", paramLabel = "N", description = "most tokens in a packed row (default: 2048)")
    Integer batchTokens;

    @Option(names = "--max-length", paramLabel = "N",
            description = "longest sample in tokens; longer ones are skipped (default: 1024)")
    Integer maxLength;

    @Option(names = "--template", paramLabel = "NAME",
            description = "chat template: own (the tokenizer's), llama2 or zephyr (default: llama2)")
    String template;

    @Option(names = "--grad-accum", paramLabel = "N", description = "packed rows per optimizer step (default: 1)")
    Integer gradientAccumulation;

    @Option(names = "--warmup-ratio", paramLabel = "R",
            description = "share of steps with linear warm-up, then cosine decay (default: 0.03)")
    Float warmupRatio;

    @Option(names = "--weight-decay", paramLabel = "W", description = "AdamW decoupled weight decay (default: 0)")
    Float weightDecay;

    @Option(names = "--clip-norm", paramLabel = "C", description = "global gradient-norm clip, 0 = none (default: 1)")
    Float clipNorm;

    @Option(names = "--seed", paramLabel = "N", description = "seeds the data order (default: 0)")
    Long seed;

    @Option(names = "--max-steps", paramLabel = "N", defaultValue = "0",
            description = "stop after N optimizer steps; 0 = every epoch's (default: ${DEFAULT-VALUE})")
    int maxSteps;

    @Option(names = "--checkpoint-every", paramLabel = "N",
            description = "write a resumable checkpoint every N steps, 0 = never (default: 0)")
    Integer checkpointEvery;

    @Option(names = "--resume", description = "continue an interrupted run into the output folder from its "
            + "checkpoint, if there is one; it must have been made with the same data, models and settings")
    boolean resume;

    @Option(names = "--force", description = "replace a model already in the output folder (it stays intact until "
            + "the new one is complete), or discard an interrupted run's checkpoint")
    boolean force;

    @Option(names = "--device", paramLabel = "DEV", description = "cpu, gpu or gpu:<index> (default: cpu)")
    String device;

    @Option(names = "--threads", paramLabel = "N", description = "PyTorch intra-op threads (default: all cores)")
    Integer threads;

    /**
     * @return the options as a training configuration; options not given keep {@link TrainConfig}'s defaults
     * @throws dev.ivl.core.IllegalParameterException naming the first invalid setting
     */
    TrainConfig toConfig() {
        TrainConfig.Builder b = TrainConfig.builder().valueInit(valueInit).bases(bases).data(data).out(out)
                .resume(resume).force(force);
        if (scheme != null) {
            b.scheme(Cli.enumOption("--scheme", scheme, Scheme.class));
        }
        if (lambda != null) {
            b.lambda(lambda);
        }
        if (learningRate != null) {
            b.learningRate(learningRate);
        }
        if (epochs != null) {
            b.epochs(epochs);
        }
        if (batchTokens != null) {
            b.batchTokens(batchTokens);
        }
        if (maxLength != null) {
            b.maxLength(maxLength);
        }
        if (template != null) {
            b.template(template);
        }
        if (gradientAccumulation != null) {
            b.gradientAccumulation(gradientAccumulation);
        }
        if (warmupRatio != null) {
            b.warmupRatio(warmupRatio);
        }
        if (weightDecay != null) {
            b.weightDecay(weightDecay);
        }
        if (clipNorm != null) {
            b.clipNorm(clipNorm);
        }
        if (seed != null) {
            b.seed(seed);
        }
        b.maxSteps(maxSteps);
        if (checkpointEvery != null) {
            b.checkpointEvery(checkpointEvery);
        }
        if (device != null) {
            b.device(device);
        }
        return b.build();
    }

    @Override
    public Integer call() {
        TrainConfig config = toConfig();
        Cli.configureThreads(threads);
        TrainResult result;
        try (TrainProgress progress = new TrainProgress(ProgressBar.onStderr("step"))) {
            result = new IvlTrainer(config).train(progress);
        }
        System.out.printf(Locale.ROOT, "trained %d steps, final loss %.4f, %d samples skipped%nmodel: %s%n"
                + "loss log: %s%n", result.steps(), result.finalLoss(), result.skippedSamples(), result.out(),
                result.out().resolve(IvlTrainer.LOG_FILE));
        return 0;
    }
}
