package dev.ivl.djl.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.IvlException;
import dev.ivl.core.text.Vocabularies;
import dev.ivl.djl.llama.IvlManifest;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.llama.LoadOptions;
import dev.ivl.djl.tokenizer.HfTokenizer;
import dev.ivl.djl.train.data.Batcher;
import dev.ivl.djl.train.data.PackedBatch;
import dev.ivl.djl.train.data.TrainingData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Trains a value model by inverse value learning next to frozen base models (or a plain causal LM), and writes it
 * as a standard Hugging Face {@code LlamaForCausalLM} folder with an {@code ivl.json} describing the run.
 *
 * <p>Each optimizer step takes {@code gradientAccumulation} packed rows; the loss is the mean over their label
 * tokens of {@code CE(stop_gradient(z_base) + z_delta)} plus {@code λ·mean|z_delta|}. AdamW with linear warm-up and
 * cosine decay, global gradient-norm clipping. With several bases the steps are split evenly among them, in order
 * (a curriculum). Checkpoints hold the weights, AdamW's moments and the position in the data, so that a resumed run
 * continues exactly where the interrupted one stopped; they also record the data's hash, the models and the
 * settings, and a run resumes only a checkpoint made with the same.
 *
 * <p>The output folder appears whole or not at all, and one run at a time writes it: the run writes
 * {@code <out>.ivl-partial} (which {@link LlamaModel#load} refuses until it is complete) and renames it to
 * {@code out} at the end; a model already in {@code out} is replaced only with {@link TrainConfig#force()}.
 */
public final class IvlTrainer {
    static final String OPTIMIZER_FILE = "optimizer.safetensors";
    static final String IVL_FILE = IvlManifest.FILE_NAME;
    /** The loss log a run writes in its output folder, one JSON line per optimizer step. */
    public static final String LOG_FILE = TrainLog.FILE_NAME;

    private final TrainConfig config;

    /** @param config what and how to train */
    public IvlTrainer(TrainConfig config) {
        this.config = config;
    }

    /**
     * Runs the training.
     *
     * @param listener receives progress and notices
     * @return the result; the model is in {@link TrainConfig#out()}
     * @throws IvlException if another run writes the same folder, the folder holds a model (without
     *     {@link TrainConfig#force()}) or files that are not a model's, the checkpoint to resume was made with other
     *     data, models or settings, or training fails; {@code out} is then as it was
     */
    public TrainResult train(TrainListener listener) {
        try (OutputFolder folder = OutputFolder.open(config.out(), config.force(), config.resume())) {
            return train(folder, listener);
        }
    }

    private TrainResult train(OutputFolder folder, TrainListener listener) {
        HfTokenizer tokenizer = HfTokenizer.load(config.valueInit());
        TrainingData data;
        try {
            data = TrainingData.load(config.data(), tokenizer, TrainingData.template(tokenizer, config.template()),
                    config.maxLength(), listener::onMessage);
        } finally {
            tokenizer.close();
        }
        Batcher batcher = new Batcher(data.samples(), config.batchTokens(), config.seed());
        List<Integer> stepsPerEpoch = new ArrayList<>();
        int left = config.maxSteps() > 0 ? config.maxSteps() : Integer.MAX_VALUE;
        for (int e = 0; e < config.epochs(); e++) {
            int steps = Math.min(left, ceilDiv(batcher.epoch(e).size(), config.gradientAccumulation()));
            stepsPerEpoch.add(steps); // maxSteps cuts the last epochs short
            left -= steps;
        }
        int totalSteps = stepsPerEpoch.stream().mapToInt(Integer::intValue).sum();
        LearningRateSchedule schedule = new LearningRateSchedule(config.learningRate(),
                (int) Math.ceil(config.warmupRatio() * totalSteps), totalSteps);

        RunState state = RunState.of(config, data.sha256(), totalSteps);
        Path checkpoint = folder.checkpoint();
        boolean resuming = config.resume() && folder.hasCheckpoint();
        Path stateFile = checkpoint.resolve(RunState.FILE_NAME);
        int firstStep = resuming ? state.resumeFrom(RunState.read(stateFile), stateFile) : 0;
        folder.begin(resuming);
        LoadOptions options = LoadOptions.builder().device(config.device()).dtype(DataType.FLOAT32).build();
        try (LlamaModel value = LlamaModel.load(resuming ? checkpoint : config.valueInit(), options);
                NDManager manager = NDManager.newBaseManager(value.device(), "PyTorch");
                Bases bases = new Bases(config.bases(), options, totalSteps, value.vocabSize(), listener)) {
            // the frozen base runs its forward pass on a worker thread, at the same time as the value model's
            ExecutorService baseWorker = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "ivl-train-base");
                t.setDaemon(true);
                return t;
            });
            try {
                try (TrainLog log = new TrainLog(folder.work(), resuming)) {
                    return run(value, manager, bases, baseWorker, data, batcher, stepsPerEpoch, schedule, folder,
                            state, firstStep, log.logging(listener));
                }
            } finally {
                baseWorker.shutdown();
            }
        }
    }

    private TrainResult run(LlamaModel value, NDManager manager, Bases bases, ExecutorService baseWorker,
            TrainingData data, Batcher batcher, List<Integer> stepsPerEpoch, LearningRateSchedule schedule,
            OutputFolder folder, RunState state, int firstStep, TrainListener listener) {
        if (config.maxLength() > value.maxSequenceLength()) {
            throw new IllegalParameterException("maxLength", config.maxLength(), "exceeds the context of "
                    + config.valueInit() + " (" + value.maxSequenceLength() + " tokens)");
        }
        Map<String, NDArray> params = value.parameters();
        params.values().forEach(p -> p.setRequiresGradient(true));
        AdamW optimizer = new AdamW(params, manager, config.weightDecay());
        int totalSteps = state.totalSteps();
        Path checkpoint = folder.checkpoint();
        int step = firstStep;
        if (step > 0) {
            optimizer.load(checkpoint.resolve(OPTIMIZER_FILE));
            listener.onMessage("resuming from " + checkpoint + " at step " + step + " of " + totalSteps);
        }
        long start = System.nanoTime();
        long tokensFed = 0;
        long labelsSeen = 0;
        double lastLoss = Double.NaN;
        int firstStepOfEpoch = 0;
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            for (int epoch = 0; epoch < config.epochs(); epoch++) {
                List<PackedBatch> batches = batcher.epoch(epoch);
                int epochSteps = stepsPerEpoch.get(epoch);
                for (int s = Math.max(0, step - firstStepOfEpoch); s < epochSteps; s++) {
                    List<PackedBatch> group = batches.subList(s * config.gradientAccumulation(),
                            Math.min(batches.size(), (s + 1) * config.gradientAccumulation()));
                    int labels = group.stream().mapToInt(PackedBatch::targetCount).sum();
                    LlamaModel base = bases.forStep(step);
                    double nll = 0;
                    double abs = 0;
                    for (PackedBatch batch : group) {
                        IvlLoss.Sums sums = IvlLoss.backward(value, base, config.scheme(), batch, config.lambda(), labels,
                                collector, manager, baseWorker);
                        nll += sums.nllSum();
                        abs += sums.absDeltaSum();
                        tokensFed += sums.tokens();
                    }
                    optimizer.clipGradients(config.clipNorm());
                    double lr = schedule.at(step);
                    optimizer.step(lr);
                    step++;
                    labelsSeen += labels;
                    double ce = nll / labels;
                    double meanAbs = abs / ((double) labels * value.vocabSize());
                    lastLoss = ce + config.lambda() * meanAbs;
                    if (!Double.isFinite(lastLoss)) {
                        throw new IvlException("training diverged at step " + step + ": loss is " + lastLoss
                                + " (lower the learning rate --lr " + config.learningRate() + ")");
                    }
                    double elapsed = (System.nanoTime() - start) / 1e9;
                    listener.onStep(new StepReport(step, totalSteps, epoch, lastLoss, ce, meanAbs, lr, labelsSeen,
                            tokensFed / elapsed, elapsed));
                    if (config.checkpointEvery() > 0 && step % config.checkpointEvery() == 0 && step < totalSteps) {
                        writeCheckpoint(value, optimizer, checkpoint, state.at(step));
                        listener.onMessage("checkpoint at step " + step + ": " + checkpoint);
                    }
                }
                firstStepOfEpoch += epochSteps;
            }
        }
        params.values().forEach(p -> p.setRequiresGradient(false));
        value.save(folder.work(), DataType.FLOAT32); // with the tokenizer files of valueInit
        writeIvlJson(folder.work(), data, step, value.tokenizer().flatMap(Vocabularies::fingerprint).orElse(null));
        folder.commit();
        return new TrainResult(config.out(), step, lastLoss, data.skipped());
    }

    /** The base models of a curriculum, loaded one at a time as the steps reach them. */
    private static final class Bases implements AutoCloseable {
        private final List<Path> dirs;
        private final LoadOptions options;
        private final int totalSteps;
        private final int vocabSize;
        private final TrainListener listener;
        private int current = -1;
        private LlamaModel model;

        Bases(List<Path> dirs, LoadOptions options, int totalSteps, int vocabSize, TrainListener listener) {
            this.dirs = dirs;
            this.options = options;
            this.totalSteps = totalSteps;
            this.vocabSize = vocabSize;
            this.listener = listener;
        }

        /** @return the base for a 0-based step (null without bases) */
        LlamaModel forStep(int step) {
            if (dirs.isEmpty()) {
                return null;
            }
            int index = (int) Math.min(dirs.size() - 1, (long) step * dirs.size() / Math.max(1, totalSteps));
            if (index != current) {
                close();
                model = LlamaModel.load(dirs.get(index), options);
                current = index;
                if (model.vocabSize() != vocabSize) {
                    throw new InvalidInputException("vocabulary mismatch: base " + dirs.get(index) + " has "
                            + model.vocabSize() + " tokens, the value model " + vocabSize);
                }
                if (dirs.size() > 1) {
                    listener.onMessage("curriculum: base " + (index + 1) + "/" + dirs.size() + " " + dirs.get(index)
                            + " from step " + (step + 1));
                }
            }
            return model;
        }

        @Override
        public void close() {
            if (model != null) {
                model.close();
                model = null;
                current = -1;
            }
        }
    }

    private static void writeCheckpoint(LlamaModel value, AdamW optimizer, Path dir, RunState state) {
        Path partial = dir.resolveSibling(dir.getFileName() + ".partial");
        OutputFolder.deleteTree(partial);
        value.save(partial, DataType.FLOAT32);
        optimizer.save(partial.resolve(OPTIMIZER_FILE));
        state.write(partial.resolve(RunState.FILE_NAME));
        OutputFolder.deleteTree(dir);
        try {
            Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new IvlException("cannot move checkpoint into " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Writes the {@link IvlManifest} of the trained model, with what else makes the run reproducible. */
    private void writeIvlJson(Path dir, TrainingData data, int steps, String vocabulary) {
        JsonObject json = new JsonObject();
        json.addProperty("format", "ivl-value-model");
        json.addProperty("version", 1);
        json.addProperty("scheme", config.scheme().label());
        json.addProperty("lambda", config.lambda());
        var bases = new com.google.gson.JsonArray();
        config.bases().forEach(b -> bases.add(b.toAbsolutePath().normalize().toString()));
        json.add("bases", bases);
        json.addProperty("valueInit", config.valueInit().toAbsolutePath().normalize().toString());
        json.addProperty("template", config.template());
        if (vocabulary != null) {
            json.addProperty("vocabulary", vocabulary);
        }
        JsonObject d = new JsonObject();
        d.addProperty("file", config.data().toAbsolutePath().normalize().toString());
        d.addProperty("sha256", data.sha256());
        d.addProperty("samples", data.samples().size());
        d.addProperty("skipped", data.skipped());
        json.add("data", d);
        json.addProperty("steps", steps);
        json.addProperty("epochs", config.epochs());
        json.addProperty("learningRate", config.learningRate());
        json.addProperty("seed", config.seed());
        Path file = dir.resolve(IVL_FILE);
        try {
            Files.writeString(file, new GsonBuilder().setPrettyPrinting().create().toJson(json) + "\n");
        } catch (IOException e) {
            throw new IvlException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
