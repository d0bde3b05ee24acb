package dev.ivl.cli;

import ai.djl.pytorch.jni.JniUtils;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.IvlException;
import dev.ivl.djl.llama.LlamaConfig;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.core.combine.ResidualCombiner;
import dev.ivl.core.combine.Stepping;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.djl.llama.LlamaCombinedModel;
import dev.ivl.examples.bench.ConcurrencyBench;
import dev.ivl.examples.bench.ServeLoad;
import dev.ivl.examples.bench.SpeculationBench;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.text.TextTokenizer;
import dev.ivl.djl.tokenizer.ChatMessage;
import java.util.ArrayList;
import dev.ivl.examples.serve.ServedModel;
import dev.ivl.djl.plug.PlugOptions;
import dev.ivl.djl.plug.PluggedModel;
import dev.ivl.examples.bench.DecodeBench;
import dev.ivl.examples.bench.MatmulFloor;
import dev.ivl.examples.bench.PrecisionQuality;
import dev.ivl.djl.vocab.CorpusTexts;
import dev.ivl.examples.bench.OpCount;
import dev.ivl.examples.bench.PairBench;
import dev.ivl.fixtures.RandomCheckpoint;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Benchmarks decoding: prefill, decode latency, and the matrix-product floor of a decode step, in one run. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Benchmark LLaMA decoding: prefill tokens/s, decode ms/token, and the matrix products of one "
                + "decode step alone (the memory-bandwidth floor on CPU), with interleaved repetitions and medians.")
final class BenchCommand implements Callable<Integer> {
    @ArgGroup(multiplicity = "0..1")
    Weights weights;

    static final class Weights {
        @Option(names = {"--model", "--base"}, description = "a Hugging Face checkpoint folder (the base with --value)")
        Path model;

        @Option(names = "--random", paramLabel = "SHAPE",
                description = "random weights of a named shape (tinyllama-1.1b, llama2-7b, cpu-base, cpu-value, "
                        + "tiny) or of a config.json file; written once to --cache")
        String random;
    }

    @ArgGroup(multiplicity = "0..1")
    ValueWeights value;

    static final class ValueWeights {
        @Option(names = "--value", description = "a value model folder: benchmark base alone, value alone, "
                + "sequential and concurrent combined decoding")
        Path model;

        @Option(names = "--value-random", paramLabel = "SHAPE", description = "a value model of random weights")
        String random;
    }

    @Option(names = "--seed", defaultValue = "0", description = "seed of random weights and prompt (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--cache", description = "folder of random checkpoints (default: <java.io.tmpdir>/ivl-random-checkpoints)")
    Path cache;

    @Option(names = "--storage", defaultValue = "f16", description = "how random weights are stored on disk: f16 or f32 (default: ${DEFAULT-VALUE})")
    String storage;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--prompt-tokens", defaultValue = "32", description = "default: ${DEFAULT-VALUE}")
    int promptTokens;

    @Option(names = "--new-tokens", defaultValue = "128", description = "decode steps per repetition (default: ${DEFAULT-VALUE})")
    int newTokens;

    @Option(names = "--repetitions", defaultValue = "5", description = "default: ${DEFAULT-VALUE}")
    int repetitions;

    @Option(names = "--warmup", defaultValue = "1", description = "uncounted repetitions first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--threads", description = "thread budget: PyTorch intra-op threads, and with --value the threads"
            + " of a concurrent step (default: the cores)")
    Integer threads;

    @Option(names = "--redo-disturbed",
            description = "run a repetition again when other processes used more than 0.2 core during it "
                    + "(at most 2 x --repetitions times)")
    boolean redoDisturbed;

    @Option(names = "--json", description = "print the report as JSON")
    boolean json;

    @Option(names = "--ops", description = "instead of timing, count the engine operations per decoder layer of a "
            + "decode step's engine pass on --device/--dtype (PyTorch's profiler, two small random models; on a CPU"
            + " most models decode a token in Java, with no engine call)")
    boolean ops;

    @Option(names = "--concurrency", paramLabel = "N", description = "instead of the decode figures, run N requests "
            + "at once through continuous batching against one alone (--new-tokens each, greedy), with --value as a "
            + "residual pair stepped in one batched pass per model")
    Integer concurrency;

    @Option(names = "--serve-load", paramLabel = "SECONDS", description = "instead of timing a model, run --clients "
            + "streaming clients against ivl serve's server on --model (with --value) for SECONDS, on 127.0.0.1, "
            + "and check what the server leaves behind")
    Integer serveLoad;

    @Option(names = "--clients", defaultValue = "32", description = "with --serve-load (default: ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--quality", paramLabel = "FILE", description = "instead of timing, score --model with f32, f16 "
            + "and int8 weights on the texts of FILE (.txt, or .jsonl with a \"text\" field; at most 200): mean NLL "
            + "per token, and greedy continuations compared with f32's")
    Path quality;

    @Option(names = "--draft", paramLabel = "DIR", description = "instead of the decode figures, measure speculative "
            + "decoding: this small base plus --value drafts for --model plus --value, against plain decoding with "
            + "--model plus --value, on the prompts of --prompts (trained models: random weights accept nothing)")
    Path draft;

    @Option(names = "--draft-tokens", split = ",", defaultValue = "2,4,8", paramLabel = "K",
            description = "with --draft: the tokens drafted per round to measure (default: ${DEFAULT-VALUE})")
    List<Integer> draftTokens;

    @Option(names = "--temperatures", split = ",", defaultValue = "0,0.7", paramLabel = "T",
            description = "with --draft: 0 = greedy (default: ${DEFAULT-VALUE})")
    List<Float> temperatures;

    @Option(names = "--prompts", paramLabel = "FILE", description = "with --draft: the prompts, a .txt (a line each) or "
            + ".jsonl (a \"prompt\" or \"text\" field) file")
    Path prompts;

    @Option(names = "--stepping", defaultValue = "sequential", description = "with --draft: how the models of the "
            + "plain and the speculative decoding step, sequential or concurrent (default: ${DEFAULT-VALUE})")
    String stepping;

    @Option(names = "--chat", description = "with --draft: wrap each prompt as a user turn in the value model's chat"
            + " template (stop at the end of sequence); without it, prompts are raw text continued for --new-tokens")
    boolean chat;

    @Override
    public Integer call() {
        int budget = Cli.configureThreads(threads); // before anything starts the engine, which reads it once
        if (draft != null) {
            if (weights == null || weights.model == null || value == null || value.model == null || prompts == null) {
                throw new IllegalParameterException("--draft", draft, "needs --model DIR, --value DIR and --prompts"
                        + " FILE (trained models)");
            }
            return speculation(weights.model, value.model, Cli.enumOption("--stepping", stepping, Stepping.class),
                    budget);
        }
        if (serveLoad != null) {
            if (weights == null || weights.model == null || (value != null && value.model == null) || serveLoad < 1
                    || clients < 1) {
                throw new IllegalParameterException("--serve-load", serveLoad, "needs --model DIR (and --value DIR), "
                        + "a positive duration and --clients");
            }
            return serveLoad(weights.model, value == null ? null : value.model);
        }
        if (quality != null) {
            if (weights == null || weights.model == null || value != null || ops) {
                throw new IllegalParameterException("--quality", quality, "needs --model DIR (a trained model with"
                        + " its tokenizer) and no --random, --value or --ops");
            }
            List<String> texts = CorpusTexts.read(List.of(quality), 200, List.of("text"));
            System.out.print(PrecisionQuality.table(PrecisionQuality.measure(weights.model, texts)));
            return 0;
        }
        if (ops) {
            if (weights != null || value != null) {
                throw new IllegalParameterException("--ops", true, "counts on small random models: give no weights");
            }
            Path work = cache != null ? cache : Path.of(System.getProperty("java.io.tmpdir"), "ivl-op-count");
            OpCount.Result result = OpCount.measure(modelOptions.toLoadOptions(), work);
            System.out.print(json ? result.toJson() + "\n" : result.toText());
            return 0;
        }
        if (weights == null) {
            throw new IllegalParameterException("--model/--random", null, "one is required (or --ops)");
        }
        DecodeBench.Settings settings = new DecodeBench.Settings(promptTokens, newTokens, repetitions, warmup, seed,
                redoDisturbed);
        String[] resolved = resolve(weights.model, weights.random);
        Path dir = Path.of(resolved[0]);
        String source = resolved[1];
        if (concurrency != null) {
            if (concurrency < 1) {
                throw new IllegalParameterException("--concurrency", concurrency, "must be >= 1");
            }
            return concurrent(dir, value == null ? null : Path.of(resolve(value.model, value.random)[0]));
        }
        if (value != null) {
            return pair(dir, resolve(value.model, value.random), settings, budget);
        }
        System.err.println("ivl bench: loading " + dir + " ...");
        try (LlamaModel model = LlamaModel.load(dir, modelOptions.toLoadOptions());
                MatmulFloor floor = new MatmulFloor(dir, model.config(), model.device(), model.dtype())) {
            String wanted = System.getProperty(Cli.THREADS_PROPERTY);
            int engineThreads = JniUtils.getNumThreads();
            if (!wanted.equals(Integer.toString(engineThreads))) {
                throw new IvlException("intra-op threads " + wanted + " did not take effect: the engine runs "
                        + engineThreads + " (it started before the setting was made)");
            }
            System.err.printf(Locale.ROOT, "ivl bench: %d + %d warm-up repetitions of prompt %d, %d new tokens ...%n",
                    repetitions, warmup, promptTokens, newTokens);
            DecodeBench.Result result = DecodeBench.run(model, floor, settings, source);
            System.out.print(json ? result.toJson() + "\n" : result.toText());
        }
        return 0;
    }

    /** @return {folder, description} of a checkpoint given as a folder or as a random shape (materialized once) */
    private String[] resolve(Path model, String random) {
        if (model != null) {
            return new String[] {model.toString(), model.toAbsolutePath().toString()};
        } else {
            LlamaConfig shape = RandomCheckpoint.resolveShape(random);
            boolean named = RandomCheckpoint.shapeNames().contains(random);
            RandomCheckpoint.Storage stored = RandomCheckpoint.Storage.parse(storage);
            Path cacheDir = cache != null ? cache : Path.of(System.getProperty("java.io.tmpdir"), "ivl-random-checkpoints");
            System.err.printf(Locale.ROOT, "ivl bench: random checkpoint %s (%.2f B parameters) in %s ...%n",
                    random, RandomCheckpoint.parameterCount(shape) / 1e9, cacheDir);
            Path dir = RandomCheckpoint.materialize(shape, named ? random : "custom", seed, stored, cacheDir);
            String source = "random " + random + ", seed " + seed + ", stored " + stored.name().toLowerCase(Locale.ROOT)
                    + " (" + dir + ")";
            return new String[] {dir.toString(), source};
        }
    }

    private int serveLoad(Path baseDir, Path valueDir) {
        String question = "Where does Brudem Fesul live?";
        if (valueDir == null) {
            try (LlamaModel base = LlamaModel.load(baseDir, modelOptions.toLoadOptions())) {
                System.out.print(run(ServedModel.of("ivl", base, "zephyr"), base::liveArrays, question));
            }
            return 0;
        }
        try (PluggedModel pair = PluggedModel.load(baseDir, valueDir, PlugOptions.builder()
                .alpha(ValueOptions.recordedAlpha(valueDir))
                .stepping(Stepping.SEQUENTIAL).load(modelOptions.toLoadOptions()).build())) {
            System.out.print(run(ServedModel.of("ivl", pair, "zephyr"),
                    () -> pair.base().liveArrays() + pair.value().liveArrays(), question));
        }
        return 0;
    }

    private String run(ServedModel served, java.util.function.IntSupplier arrays, String question) {
        System.err.printf(Locale.ROOT, "ivl bench: %d streaming clients for %d s ...%n", clients, serveLoad);
        try {
            return ServeLoad.run(served, arrays, clients, serveLoad, Math.min(clients, 8), question, 32).toText();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private int speculation(Path baseDir, Path valueDir, Stepping steps, int budget) {
        draftTokens.forEach(DraftOptions::checkedTokens);
        System.err.println("ivl bench: loading " + baseDir + ", " + valueDir + " and " + draft + " ...");
        try (PluggedModel pair = PluggedModel.load(baseDir, valueDir, PlugOptions.builder()
                .alpha(ValueOptions.recordedAlpha(valueDir)).stepping(steps).threads(budget)
                .load(modelOptions.toLoadOptions()).build());
                DraftOptions.Draft drafting = DraftOptions.load(draft, pair.base(), pair)) {
            TextTokenizer tok = pair.tokenizer().orElseThrow(() -> new IllegalParameterException("--model", baseDir,
                    "has no tokenizer.json, which --prompts needs"));
            List<int[]> ids = new ArrayList<>();
            for (String text : CorpusTexts.read(List.of(prompts), 200, List.of("prompt", "text"))) {
                ids.add(chat ? tok.encode(pair.chatTemplate("zephyr").render(List.of(ChatMessage.user(text)), true),
                        false) : tok.encode(text));
            }
            GenerationConfig config = GenerationConfig.builder().maxNewTokens(newTokens).ignoreEos(!chat).build();
            System.err.printf(Locale.ROOT, "ivl bench: %d + 1 warm-up repetitions of %d prompts, k = %s, T = %s ...%n",
                    repetitions, ids.size(), draftTokens, temperatures);
            System.out.print(SpeculationBench.run(pair, drafting.model(), ids, config, draftTokens, temperatures,
                    repetitions).toText());
        }
        return 0;
    }

    private int concurrent(Path baseDir, Path valueDir) {
        System.err.println("ivl bench: loading " + baseDir + (valueDir == null ? "" : " and " + valueDir) + " ...");
        try (LlamaModel base = LlamaModel.load(baseDir, modelOptions.toLoadOptions());
                LlamaModel valueModel = valueDir == null ? null : LlamaModel.load(valueDir,
                        modelOptions.toLoadOptions())) {
            LanguageModel model = valueModel == null ? base : LlamaCombinedModel.of(new ResidualCombiner()
                    .combine(base, valueModel).withStepping(Stepping.SEQUENTIAL));
            System.err.printf(Locale.ROOT, "ivl bench: %d + 1 warm-up repetitions of 1 and %d requests, prompt %d,"
                    + " %d new tokens each ...%n", repetitions, concurrency, promptTokens, newTokens);
            System.out.print(ConcurrencyBench.run(model, concurrency, promptTokens, newTokens, repetitions).toText());
        }
        return 0;
    }

    private int pair(Path baseDir, String[] valueResolved, DecodeBench.Settings settings, int budget) {
        double before = PairBench.status("VmRSS");
        System.err.println("ivl bench: loading " + baseDir + " and " + valueResolved[0] + " ...");
        try (LlamaModel base = LlamaModel.load(baseDir, modelOptions.toLoadOptions());
                LlamaModel valueModel = LlamaModel.load(Path.of(valueResolved[0]), modelOptions.toLoadOptions())) {
            System.err.printf(Locale.ROOT, "ivl bench: %d + %d warm-up repetitions of %d modes ...%n", repetitions,
                    warmup, PairBench.Mode.values().length);
            PairBench.Result result = PairBench.run(base, valueModel, settings, budget, before);
            System.out.print(json ? result.toJson() + "\n" : result.toText());
        }
        return 0;
    }
}
