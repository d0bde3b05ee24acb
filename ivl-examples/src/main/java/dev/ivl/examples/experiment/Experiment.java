package dev.ivl.examples.experiment;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.ivl.core.IvlException;
import dev.ivl.core.combine.ProxyTuningCombiner;
import dev.ivl.core.combine.ResidualCombiner;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.FinishReason;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.core.generate.TokenLogprob;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.tokenizer.ChatMessage;
import dev.ivl.djl.tokenizer.ChatTemplate;
import dev.ivl.djl.tokenizer.HfTokenizer;
import dev.ivl.djl.train.IvlTrainer;
import dev.ivl.core.model.Scheme;
import dev.ivl.djl.train.StepReport;
import dev.ivl.djl.train.TrainConfig;
import dev.ivl.djl.train.TrainListener;
import dev.ivl.djl.train.TrainResult;
import dev.ivl.fixtures.RandomCheckpoint;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A seeded toy-scale replication of inverse value learning's claims, end to end: pre-train three bases of one
 * family (S, M, L) from random weights on a corpus, post-train on demonstrations that combine a format the bases
 * lack with knowledge they learnt, and evaluate every configuration on held-out demonstrations.
 *
 * <p>Trained: S and L fully fine-tuned (causal LM on the demonstrations); value models initialised from S and trained
 * next to the frozen S with λ = 0 and λ = 1, and with a curriculum over S then M (λ = 0). Evaluated, greedily, on
 * the held-out split: the bases alone, the fine-tuned models, S and L with each value model (L with it is the
 * transfer), and proxy tuning {@code L + (S_ft − S)}. The run folder receives the data, the models, the answers
 * ({@code outputs.jsonl}), {@code results.json}, {@code results.md} and {@code chart.png}.
 */
public final class Experiment {
    /** The chat template of the demonstrations (the paper's Llama-2 format). */
    public static final String TEMPLATE = "llama2";
    private static final int EOS = 2;
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping()
            .serializeSpecialFloatingPointValues().create();

    private final ExperimentConfig config;
    private final List<Verse> corpus;
    private final Path out;
    private final Path tokenizerJson;
    private final Consumer<String> progress;
    private final List<ExperimentResults.Stage> stages = new ArrayList<>();

    /**
     * @param config the scale and seed
     * @param corpus the corpus verses; the first {@code config.chapters()} chapters are used
     * @param tokenizerJson the Llama-2 {@code tokenizer.json} of the family
     * @param out the run folder, created if needed
     * @param progress receives one line per stage and periodic training progress
     */
    public Experiment(ExperimentConfig config, List<Verse> corpus, Path tokenizerJson, Path out,
            Consumer<String> progress) {
        this.config = config;
        this.corpus = List.copyOf(corpus);
        this.tokenizerJson = tokenizerJson;
        this.out = out;
        this.progress = progress;
    }

    /**
     * Where a run's files go.
     *
     * @param root the run folder: models under {@code models/}, data files under {@code data/}
     */
    public record Layout(Path root) {
        /** @param name a model's name, e.g. {@code L} or {@code value-l1} @return its folder */
        public Path model(String name) {
            return root.resolve("models").resolve(name);
        }

        /** @return the folder of data files */
        public Path data() {
            return root.resolve("data");
        }
    }

    /**
     * Runs every stage.
     *
     * @param command the command line, recorded in the results
     * @param machine a description of the machine, recorded in the results
     * @return the results, also written to the run folder
     * @throws dev.ivl.core.InvalidInputException if the corpus has too few chapters or verses for the configuration
     */
    public ExperimentResults run(String command, String machine) {
        long start = System.nanoTime();
        Layout layout = new Layout(out);
        List<Verse> verses = Pretraining.firstChapters(corpus, config.chapters());
        DemoSet demos = stage("data", () -> DemoSet.build(verses, config.evalCount(), config.trainCount(),
                config.minWords(), config.maxWords(), config.seed()));
        int pretrainSamples = writeData(layout, verses, demos);

        List<ExperimentResults.Model> models = new ArrayList<>();
        Map<String, ModelShape> shapes = new LinkedHashMap<>();
        shapes.put("S", config.small());
        shapes.put("M", config.mid());
        shapes.put("L", config.large());
        stage("init", () -> {
            int k = 0;
            for (Map.Entry<String, ModelShape> e : shapes.entrySet()) {
                var llama = e.getValue().toConfig(ExperimentConfig.CONTEXT);
                Path dir = layout.model("init-" + e.getKey());
                RandomCheckpoint.write(llama, config.seed() * 31 + k++, RandomCheckpoint.Storage.F32, dir);
                copy(tokenizerJson, dir.resolve("tokenizer.json"));
                models.add(new ExperimentResults.Model(e.getKey(), e.getValue(),
                        RandomCheckpoint.parameterCount(llama)));
            }
            return null;
        });
        for (String name : shapes.keySet()) {
            train("pretrain-" + name, TrainConfig.builder().scheme(Scheme.CAUSAL_LM)
                    .valueInit(layout.model("init-" + name)).data(layout.data().resolve("pretrain.jsonl"))
                    .out(layout.model(name)).epochs(config.pretrainEpochs()).learningRate(config.pretrainLr())
                    .warmupRatio(0.05f).batchTokens(config.pretrainBatchTokens()));
        }
        Path demoData = layout.data().resolve("demos-train.jsonl");
        for (String name : List.of("S", "L")) {
            train("finetune-" + name, TrainConfig.builder().scheme(Scheme.CAUSAL_LM).valueInit(layout.model(name))
                    .data(demoData).out(layout.model(name + "-ft")).epochs(config.postEpochs())
                    .learningRate(config.postLr()).batchTokens(config.postBatchTokens()));
        }
        for (int lambda : new int[] {0, 1}) {
            train("value-l" + lambda, TrainConfig.builder().scheme(Scheme.RESIDUAL).valueInit(layout.model("S"))
                    .bases(List.of(layout.model("S"))).lambda(lambda).data(demoData)
                    .out(layout.model("value-l" + lambda)).epochs(config.postEpochs()).learningRate(config.postLr())
                    .batchTokens(config.postBatchTokens()));
        }
        train("value-curriculum", TrainConfig.builder().scheme(Scheme.RESIDUAL).valueInit(layout.model("S"))
                .bases(List.of(layout.model("S"), layout.model("M"))).data(demoData)
                .out(layout.model("value-curriculum")).epochs(config.postEpochs()).learningRate(config.postLr())
                .batchTokens(config.postBatchTokens()));

        List<ExperimentResults.Probe> probes = stage("probe", () -> probe(layout, demos.eval()));
        List<ExperimentResults.Row> rows = stage("evaluate", () -> evaluate(layout, demos.eval()));
        ExperimentResults results = new ExperimentResults(config, command, machine, models,
                new ExperimentResults.Demonstrations(demos.train().size(), demos.eval().size(), pretrainSamples),
                stages, probes, rows, (System.nanoTime() - start) / 1e9);
        ResultsReport.write(results, out);
        progress.accept(String.format(Locale.ROOT, "done in %.0f s: %s", results.totalSeconds(),
                out.resolve("results.md")));
        return results;
    }

    /** Writes the pre-training text, the training demonstrations and the held-out ones; returns the text samples. */
    private int writeData(Layout layout, List<Verse> verses, DemoSet demos) {
        List<String> chunks = Pretraining.chunks(verses, config.chunkWords());
        StringBuilder text = new StringBuilder();
        for (String chunk : chunks) {
            JsonObject o = new JsonObject();
            o.addProperty("text", chunk);
            text.append(o).append('\n');
        }
        StringBuilder train = new StringBuilder();
        for (Demonstration d : demos.train()) {
            JsonArray messages = new JsonArray();
            messages.add(message("user", d.request()));
            messages.add(message("assistant", d.reference()));
            JsonObject o = new JsonObject();
            o.add("messages", messages);
            train.append(o).append('\n');
        }
        write(layout.data().resolve("pretrain.jsonl"), text.toString());
        write(layout.data().resolve("demos-train.jsonl"), train.toString());
        write(layout.data().resolve("demos-eval.jsonl"), promptLines(demos.eval()));
        return chunks.size();
    }

    /**
     * @param demos demonstrations
     * @return one {@code {"prompt", "reference"}} JSON object per line
     */
    static String promptLines(List<Demonstration> demos) {
        StringBuilder lines = new StringBuilder();
        for (Demonstration d : demos) {
            JsonObject o = new JsonObject();
            o.addProperty("prompt", d.request());
            o.addProperty("reference", d.reference());
            lines.append(new GsonBuilder().disableHtmlEscaping().create().toJson(o)).append('\n');
        }
        return lines.toString();
    }

    /**
     * @param role system, user or assistant
     * @param content the message's text
     * @return the chat message as a training-data JSONL line writes it
     */
    public static JsonObject message(String role, String content) {
        JsonObject m = new JsonObject();
        m.addProperty("role", role);
        m.addProperty("content", content);
        return m;
    }

    private void train(String name, TrainConfig.Builder builder) {
        TrainConfig c = builder.maxLength(ExperimentConfig.CONTEXT)
                .template(TEMPLATE).seed(config.seed()).force(true).build(); // a rerun replaces its models
        long start = System.nanoTime();
        progress.accept("[" + name + "] training " + c.out().getFileName() + " (" + c.scheme().label()
                + (c.scheme() == Scheme.RESIDUAL ? ", lambda " + c.lambda() : "") + ")");
        StepReport[] last = new StepReport[1];
        TrainResult result = new IvlTrainer(c).train(new TrainListener() {
            @Override
            public void onStep(StepReport r) {
                last[0] = r;
                int every = Math.max(1, r.totalSteps() / 5);
                if (r.step() % every == 0 || r.step() == r.totalSteps()) {
                    progress.accept(String.format(Locale.ROOT, "[%s] step %d/%d  loss %.3f  %.0f tok/s  %.0f s",
                            name, r.step(), r.totalSteps(), r.loss(), r.tokensPerSecond(), r.elapsedSeconds()));
                }
            }

            @Override
            public void onMessage(String message) {
                progress.accept("[" + name + "] " + message);
            }
        });
        double seconds = (System.nanoTime() - start) / 1e9;
        stages.add(new ExperimentResults.Stage(name, seconds, result.steps(), last[0] == null ? 0 : last[0].tokens(),
                result.finalLoss()));
    }

    private interface Work<T> {
        T run();
    }

    private <T> T stage(String name, Work<T> work) {
        long start = System.nanoTime();
        progress.accept("[" + name + "] ...");
        T value = work.run();
        double seconds = (System.nanoTime() - start) / 1e9;
        stages.add(new ExperimentResults.Stage(name, seconds, 0, 0, Double.NaN));
        progress.accept(String.format(Locale.ROOT, "[%s] %.1f s", name, seconds));
        return value;
    }

    /** Raw continuation and held-out loss of each base: how much of the held-out verses it knows. */
    private List<ExperimentResults.Probe> probe(Layout layout, List<Demonstration> eval) {
        List<ExperimentResults.Probe> probes = new ArrayList<>();
        try (HfTokenizer tokenizer = HfTokenizer.load(tokenizerJson)) {
            for (String name : List.of("S", "M", "L")) {
                try (LlamaModel model = LlamaModel.load(layout.model(name))) {
                    Generator generator = new Generator(model, tokenizer);
                    double f1 = 0;
                    double nll = 0;
                    long tokens = 0;
                    for (Demonstration d : eval) {
                        String head = d.request().substring(Demonstration.REQUEST_PREFIX.length());
                        String text = generator.generate(tokenizer.encode(head, true), greedy(), TokenListener.NONE,
                                new CancellationToken()).text();
                        String[] words = text.strip().split("\\s+");
                        int n = Math.min(words.length, d.continuation().split(" ").length);
                        f1 += Metrics.tokenF1(String.join(" ", Arrays.copyOf(words, n)), d.continuation());
                        int[] ids = tokenizer.encode(d.verse().line(), true);
                        nll += negativeLogLikelihood(model.logits(ids), ids);
                        tokens += ids.length - 1;
                    }
                    probes.add(new ExperimentResults.Probe(name, f1 / eval.size(), nll / tokens));
                    progress.accept(String.format(Locale.ROOT, "[probe] %s: continuation F1 %.3f, held-out loss %.3f",
                            name, f1 / eval.size(), nll / tokens));
                }
            }
        }
        return probes;
    }

    /** @return Σ −log p(ids[i + 1] | ids[..i]) from full-sequence logits */
    static double negativeLogLikelihood(float[][] logits, int[] ids) {
        double sum = 0;
        for (int i = 0; i + 1 < ids.length; i++) {
            sum += TokenLogprob.logNormalizer(logits[i]) - logits[i][ids[i + 1]];
        }
        return sum;
    }

    private GenerationConfig greedy() {
        return GenerationConfig.builder().temperature(0f).maxNewTokens(config.maxNewTokens()).stopTokenIds(EOS)
                .build();
    }

    /** Every configuration on the held-out demonstrations, in table order; writes the answers to outputs.jsonl. */
    private List<ExperimentResults.Row> evaluate(Layout layout, List<Demonstration> eval) {
        List<String> names = List.of("S", "L", "S-ft", "L-ft", "value-l0", "value-l1", "value-curriculum");
        Map<String, LlamaModel> m = new LinkedHashMap<>();
        StringBuilder outputs = new StringBuilder();
        try (HfTokenizer tokenizer = HfTokenizer.load(tokenizerJson)) {
            for (String name : names) {
                m.put(name, LlamaModel.load(layout.model(name)));
            }
            ResidualCombiner residual = ResidualCombiner.withAlpha(1f);
            Map<String, Candidate> candidates = new LinkedHashMap<>();
            candidates.put("S", new Candidate("S (base)", m.get("S")));
            candidates.put("L", new Candidate("L (base)", m.get("L")));
            candidates.put("S-ft", new Candidate("S full fine-tune", m.get("S-ft")));
            candidates.put("L-ft", new Candidate("L full fine-tune", m.get("L-ft")));
            candidates.put("S+value-l0", new Candidate("S + value (λ=0)", residual.combine(m.get("S"),
                    m.get("value-l0"))));
            candidates.put("S+value-l1", new Candidate("S + value (λ=1)", residual.combine(m.get("S"),
                    m.get("value-l1"))));
            candidates.put("L+value-l0", new Candidate("L + value (λ=0), transfer", residual.combine(m.get("L"),
                    m.get("value-l0"))));
            candidates.put("L+value-l1", new Candidate("L + value (λ=1), transfer", residual.combine(m.get("L"),
                    m.get("value-l1"))));
            candidates.put("L+value-curriculum", new Candidate("L + value (curriculum S→M), transfer",
                    residual.combine(m.get("L"), m.get("value-curriculum"))));
            candidates.put("L+proxy", new Candidate("L + (S_ft − S), proxy tuning",
                    new ProxyTuningCombiner(1f).combine(m.get("L"), m.get("S-ft"), m.get("S"))));
            ChatTemplate template = ChatTemplate.named(TEMPLATE);
            List<ExperimentResults.Row> rows = new ArrayList<>();
            for (Map.Entry<String, Candidate> e : candidates.entrySet()) {
                Generator generator = new Generator(e.getValue().model(), tokenizer);
                double em = 0;
                double f1 = 0;
                double format = 0;
                for (Demonstration d : eval) {
                    String prompt = template.render(List.of(ChatMessage.user(d.request())), true);
                    GenerationResult r = generator.generate(tokenizer.encode(prompt, false), greedy(),
                            TokenListener.NONE, new CancellationToken());
                    String answer = r.text();
                    em += Metrics.exactMatch(answer, d.continuation()) ? 1 : 0;
                    f1 += Metrics.tokenF1(answer, d.continuation());
                    format += Metrics.formatCompliant(answer, r.finishReason() == FinishReason.STOP_TOKEN) ? 1 : 0;
                    JsonObject o = new JsonObject();
                    o.addProperty("config", e.getKey());
                    o.addProperty("prompt", d.request());
                    o.addProperty("reference", d.reference());
                    o.addProperty("answer", answer);
                    o.addProperty("finish", r.finishReason().name());
                    outputs.append(new GsonBuilder().disableHtmlEscaping().create().toJson(o)).append('\n');
                }
                int n = eval.size();
                ExperimentResults.Row row = new ExperimentResults.Row(e.getKey(), e.getValue().label(), em / n, f1 / n,
                        format / n, n);
                rows.add(row);
                progress.accept(String.format(Locale.ROOT, "[evaluate] %-40s EM %.3f  F1 %.3f  format %.3f",
                        row.label(), row.exactMatch(), row.tokenF1(), row.formatCompliance()));
            }
            write(out.resolve("outputs.jsonl"), outputs.toString());
            return rows;
        } finally {
            m.values().forEach(LlamaModel::close);
        }
    }

    private record Candidate(String label, LanguageModel model) {}

    /**
     * Writes a text file of a run, creating its folder.
     *
     * @param file the file
     * @param text its content
     * @throws IvlException if it cannot be written
     */
    public static void write(Path file, String text) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new IvlException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    static void copy(Path from, Path to) {
        try (InputStream in = Files.newInputStream(from)) {
            Files.createDirectories(to.toAbsolutePath().getParent());
            Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new IvlException("cannot copy " + from + " to " + to + ": " + e.getMessage(), e);
        }
    }

    static Gson gson() {
        return GSON;
    }
}
