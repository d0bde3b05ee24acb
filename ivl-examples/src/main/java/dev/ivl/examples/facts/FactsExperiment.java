package dev.ivl.examples.facts;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.ivl.core.IvlException;
import dev.ivl.core.combine.CombinedModel;
import dev.ivl.core.combine.ProxyTuningCombiner;
import dev.ivl.core.combine.ResidualCombiner;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.FinishReason;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.model.Scheme;
import dev.ivl.djl.llama.CascadeModel;
import dev.ivl.djl.llama.LlamaConfig;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.tokenizer.ChatMessage;
import dev.ivl.djl.tokenizer.ChatTemplate;
import dev.ivl.djl.tokenizer.HfTokenizer;
import dev.ivl.djl.tokenizer.WordTokenizerBuilder;
import dev.ivl.djl.tokenizer.WordVocabulary;
import dev.ivl.core.vocab.align.Normalization;
import dev.ivl.djl.plug.PlugOptions;
import dev.ivl.djl.plug.PluggedModel;
import dev.ivl.djl.vocab.VocabularyMapFile;
import dev.ivl.djl.vocab.VocabularyMaps;
import dev.ivl.djl.train.IvlTrainer;
import dev.ivl.djl.train.StepReport;
import dev.ivl.djl.train.TrainConfig;
import dev.ivl.djl.train.TrainListener;
import dev.ivl.djl.train.TrainResult;
import dev.ivl.examples.experiment.Experiment;
import dev.ivl.examples.experiment.ModelShape;
import dev.ivl.fixtures.RandomCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The facts study: bases pre-trained on a synthetic world's statements, post-trained on demonstrations that ask
 * for a fact in a chat format the bases never saw, evaluated on people no demonstration asks about. Every arm of
 * the paper that the toy scale allows: residual value models at several λ, the cascade schemes, a curriculum, full
 * fine-tuning, proxy tuning, and transfer to a larger and to a continually pre-trained base.
 */
public final class FactsExperiment {
    /** Prefixes the names of evaluations on the validation people, which choose settings and are not reported. */
    public static final String VALIDATION = "validation:";

    /** The demonstrations' chat format: the paper's Llama-2 format, which the pre-training text never uses. */
    static final String TEMPLATE = "llama2";
    private static final int EOS = 2;

    /** Extra special tokens of the other vocabulary: they move every word to another id. */
    private static final List<String> OTHER_SPECIALS = List.of("<pad>", "<mask>", "<sep>", "<cls>", "<extra>");

    /** The weights α > 1 tried for the first λ's value model on L (α = 1 is every other row). */
    private static final List<Float> ALPHAS = List.of(1.5f, 2f, 3f, 4f, 6f, 8f);

    private final FactsConfig config;
    private int otherVocabulary;
    private final Path out;
    private final Consumer<String> progress;

    /**
     * @param config the scale
     * @param out the run folder
     * @param progress receives one line per stage
     */
    public FactsExperiment(FactsConfig config, Path out, Consumer<String> progress) {
        this.config = config;
        this.out = out;
        this.progress = progress;
    }

    private Path model(String name) {
        return out.resolve("models").resolve(name);
    }

    private Path data(String name) {
        return out.resolve("data").resolve(name);
    }

    /**
     * One evaluated configuration: its scores on every test question, per post-training seed.
     *
     * @param name short name, e.g. {@code L+v(1)}
     * @param label what it is
     * @param seed the post-training seed (0 for configurations without post-training)
     * @param scores one per test question, in order
     */
    public record Evaluation(String name, String label, long seed, List<Scores> scores) {}

    /**
     * What a run found.
     *
     * @param evaluations every configuration on the test questions (and the validation questions), per seed
     * @param probes each base's share of the test facts it completes right
     * @param chosen the transfer configuration chosen on the validation people, e.g. {@code L+v(0)@2}
     */
    public record Findings(List<Evaluation> evaluations, Map<String, Double> probes, String chosen) {}

    /**
     * Runs the study, writing {@code evaluations.jsonl} and {@code results.md} into the run folder.
     *
     * @return what it found
     */
    public Findings run() {
        FactWorld world = world(config);
        FactWorld newcomers = FactWorld.generate(Math.max(10, config.people() / 2), 0.15, 0.25, 8);
        writeData(world, newcomers);
        int vocab = writeTokenizer(world, newcomers, List.of(), out.resolve("tokenizer"));
        otherVocabulary = writeTokenizer(world, newcomers, OTHER_SPECIALS, out.resolve("tokenizer-other"));
        Map<String, ModelShape> shapes = new LinkedHashMap<>();
        shapes.put("S", config.small());
        shapes.put("M", config.mid());
        shapes.put("L", config.large());
        int k = 0;
        for (Map.Entry<String, ModelShape> e : shapes.entrySet()) {
            pretrain(e.getKey(), e.getValue(), vocab, out.resolve("tokenizer"), 100 + k++, config.pretrainLr());
        }
        train("continual-L", base(Scheme.CAUSAL_LM, model("L"), data("continual.jsonl"), model("L-cpt"),
                config.continualEpochs(), config.pretrainLr() / 3, 1));
        // another vocabulary for the cross-vocabulary arm: the same words under other ids, and its own S
        pretrain("S-other", config.small(), otherVocabulary, out.resolve("tokenizer-other"), 200, config.pretrainLr());
        writeMap(world, newcomers);
        Map<String, Double> probes = new LinkedHashMap<>();
        List<Evaluation> evaluations = new ArrayList<>(evaluateBases(world, probes));
        for (long seed : config.seeds()) {
            postTrain(seed);
            evaluations.addAll(evaluatePostTrained(world, seed));
        }
        writeEvaluations(evaluations);
        Experiment.write(out.resolve("results.md"), FactsReport.markdown(evaluations, probes, config));
        FactsReport.chart(evaluations).writePng(out.resolve("chart.png"), 1400, 1100);
        return new Findings(evaluations, probes, FactsReport.chosen(evaluations));
    }

    /**
     * @param config the scale
     * @return the study's world at that scale
     */
    static FactWorld world(FactsConfig config) {
        return FactWorld.generate(config.people(), 0.15, 0.25, 7);
    }

    private TrainConfig.Builder base(Scheme scheme, Path init, Path data, Path to, int epochs, float lr, long seed) {
        return TrainConfig.builder().scheme(scheme).valueInit(init).data(data).out(to).epochs(epochs)
                .learningRate(lr).seed(seed);
    }

    private void postTrain(long seed) {
        Path demos = data("demos-train.jsonl");
        String s = "-s" + seed;
        for (String name : List.of("S", "L")) {
            train("finetune-" + name + s, base(Scheme.CAUSAL_LM, model(name), demos, model(name + "-ft" + s),
                    config.postEpochs(), config.postLr(), seed));
        }
        for (float lambda : config.lambdas()) {
            train("value-l" + lambda + s, base(Scheme.RESIDUAL, model("S"), demos, model("value-l" + lambda + s),
                    config.postEpochs(), config.postLr(), seed).bases(List.of(model("S"))).lambda(lambda));
        }
        for (Scheme scheme : List.of(Scheme.CASCADE, Scheme.CASCADE_NO_TEXT)) {
            train(scheme.label() + s, base(scheme, model("S"), demos, model(scheme.label() + s), config.postEpochs(),
                    config.postLr(), seed).bases(List.of(model("S"))).lambda(1f));
        }
        train("curriculum" + s, base(Scheme.RESIDUAL, model("S"), demos, model("curriculum" + s),
                config.postEpochs(), config.postLr(), seed).bases(List.of(model("S"), model("M"))).lambda(1f));
        train("curriculum0" + s, base(Scheme.RESIDUAL, model("S"), demos, model("curriculum0" + s),
                config.postEpochs(), config.postLr(), seed).bases(List.of(model("S"), model("M"))).lambda(0f));
        train("value-other" + s, base(Scheme.RESIDUAL, model("S-other"), demos, model("value-other" + s),
                config.postEpochs(), config.postLr(), seed).bases(List.of(model("S-other"))).lambda(0f));
    }

    private void train(String name, TrainConfig.Builder builder) {
        TrainConfig c = builder.maxLength(FactsConfig.CONTEXT).batchTokens(FactsConfig.BATCH_TOKENS)
                .template(TEMPLATE).warmupRatio(0.05f).force(true).build();
        progress.accept("[" + name + "] training");
        TrainResult result = new IvlTrainer(c).train(new TrainListener() {
            @Override
            public void onStep(StepReport r) {
                if (r.step() == r.totalSteps()) {
                    progress.accept(String.format(Locale.ROOT, "[%s] %d steps, loss %.3f, %.0f s", name,
                            r.totalSteps(), r.loss(), r.elapsedSeconds()));
                }
            }

            @Override
            public void onMessage(String message) {}
        });
        if (!Double.isFinite(result.finalLoss())) {
            throw new IvlException(name + ": training ended with loss " + result.finalLoss());
        }
    }

    // ---- data ----------------------------------------------------------------------------------------------------

    private void writeData(FactWorld world, FactWorld newcomers) {
        Experiment.write(data("pretrain.jsonl"), texts(documents(world.statements(config.paraphrases(), 11))));
        // new text for the continually pre-trained L: other people, and a second pass over a third of the world
        List<String> continual = new ArrayList<>(newcomers.statements(config.paraphrases(), 12));
        continual.addAll(world.statements(1, 13).subList(0, world.people().size() * 2 / 3));
        Experiment.write(data("continual.jsonl"), texts(documents(continual)));
        Experiment.write(data("demos-train.jsonl"), demos(FactWorld.questions(world.train())));
    }

    /** Groups sentences into documents of eight. */
    private static List<String> documents(List<String> sentences) {
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < sentences.size(); i += 8) {
            docs.add(String.join(" ", sentences.subList(i, Math.min(sentences.size(), i + 8))));
        }
        return docs;
    }

    private static String texts(List<String> docs) {
        StringBuilder b = new StringBuilder();
        for (String d : docs) {
            JsonObject o = new JsonObject();
            o.addProperty("text", d);
            b.append(o).append('\n');
        }
        return b.toString();
    }

    private static String demos(List<FactWorld.Question> questions) {
        StringBuilder b = new StringBuilder();
        for (FactWorld.Question q : questions) {
            JsonArray messages = new JsonArray();
            messages.add(Experiment.message("user", q.prompt()));
            messages.add(Experiment.message("assistant", q.reference()));
            JsonObject o = new JsonObject();
            o.add("messages", messages);
            b.append(o).append('\n');
        }
        return b.toString();
    }

    /** The texts the study's tokenizers and map are built from: every statement, question and answer. */
    private static List<String> allTexts(FactWorld world, FactWorld newcomers) {
        List<String> texts = new ArrayList<>(world.statements(3, 1));
        texts.addAll(newcomers.statements(3, 1));
        for (FactWorld.Question q : FactWorld.questions(world.people())) {
            texts.add(q.prompt());
            texts.add(q.reference());
        }
        return texts;
    }

    /**
     * Builds a word-level tokenizer of the study from every text it uses (every word: the world is closed).
     *
     * @param specials special tokens beyond Llama-2's, which shift every word's id
     * @return its size
     */
    private static int writeTokenizer(FactWorld world, FactWorld newcomers, List<String> specials, Path dir) {
        WordVocabulary vocabulary = new WordTokenizerBuilder().additionalSpecialTokens(specials)
                .build(allTexts(world, newcomers));
        vocabulary.writeTo(dir);
        return vocabulary.size();
    }

    /** Aligns the two vocabularies over the study's texts and writes the map the cross-vocabulary arm uses. */
    private void writeMap(FactWorld world, FactWorld newcomers) {
        try (HfTokenizer base = HfTokenizer.load(out.resolve("tokenizer"));
                HfTokenizer other = HfTokenizer.load(out.resolve("tokenizer-other"))) {
            VocabularyMapFile.write(data("base-to-other.map"), VocabularyMaps.build(base, other,
                    allTexts(world, newcomers), 2, done -> { }, new Normalization.Paper()));
        }
    }

    /**
     * Pre-trains XL, a base of the family larger than L, with the study's pre-training recipe, after {@link #run}:
     * the target for which speculative decoding is measured ({@link FactsSpeculation}).
     *
     * @param shape XL's shape
     * @return XL's folder
     */
    Path trainExtraLarge(ModelShape shape) {
        pretrain("XL", shape, LlamaConfig.load(model("L")).vocabSize(), out.resolve("tokenizer"), 103,
                FactsSpeculation.XL_LEARNING_RATE);
        return model("XL");
    }

    /**
     * Writes a base's random initial weights ({@code models/init-NAME}, with the tokenizer) and pre-trains them on
     * the pre-training text into {@code models/NAME}.
     */
    private void pretrain(String name, ModelShape shape, int vocab, Path tokenizer, long seed, float lr) {
        Path init = model("init-" + name);
        RandomCheckpoint.write(shape.toConfig(vocab, FactsConfig.CONTEXT, false), seed, RandomCheckpoint.Storage.F32,
                init);
        copyTokenizer(tokenizer, init);
        train("pretrain-" + name, base(Scheme.CAUSAL_LM, init, data("pretrain.jsonl"), model(name),
                config.pretrainEpochs(), lr, 1));
    }

    private void copyTokenizer(Path from, Path dir) {
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new IvlException("cannot copy the tokenizer into " + dir + ": " + e.getMessage(), e);
        }
    }

    // ---- evaluation ----------------------------------------------------------------------------------------------

    private List<Evaluation> evaluateBases(FactWorld world, Map<String, Double> probes) {
        List<Evaluation> out = new ArrayList<>();
        for (String name : List.of("S", "M", "L", "L-cpt")) {
            try (LlamaModel m = LlamaModel.load(model(name))) {
                out.add(evaluate(name, name + " (base)", 0, m, world));
                probes.put(name, probe(m, world));
                progress.accept(String.format(Locale.ROOT, "[probe] %s knows %.2f of the test facts", name,
                        probes.get(name)));
            }
        }
        return out;
    }

    /** The share of test facts a base completes right: {@code X lives in} → the town, greedy, one word. */
    double probe(LlamaModel base, FactWorld world) {
        Generator g = new Generator(base);
        int right = 0;
        List<FactWorld.Question> questions = FactWorld.questions(world.test());
        for (FactWorld.Question q : questions) {
            int[] ids = g.tokenizer().orElseThrow().encode(q.probe(), true);
            GenerationResult r = g.generate(ids, GenerationConfig.builder().maxNewTokens(1).build(), TokenListener.NONE,
                    new CancellationToken());
            right += r.text().strip().equals(q.fact()) ? 1 : 0;
        }
        return (double) right / questions.size();
    }

    private List<Evaluation> evaluatePostTrained(FactWorld world, long seed) {
        String s = "-s" + seed;
        List<Evaluation> out = new ArrayList<>();
        Map<String, LlamaModel> m = new LinkedHashMap<>();
        try {
            for (String name : List.of("S", "M", "L", "L-cpt")) {
                m.put(name, LlamaModel.load(model(name)));
            }
            for (String name : List.of("S-ft", "L-ft")) {
                m.put(name, LlamaModel.load(model(name + s)));
            }
            for (float lambda : config.lambdas()) {
                m.put("v" + lambda, LlamaModel.load(model("value-l" + lambda + s)));
            }
            m.put("cascade", LlamaModel.load(model("cascade" + s)));
            m.put("cascade-no-text", LlamaModel.load(model("cascade-no-text" + s)));
            m.put("curriculum", LlamaModel.load(model("curriculum" + s)));
            m.put("curriculum0", LlamaModel.load(model("curriculum0" + s)));
            m.put("value-other", LlamaModel.load(model("value-other" + s)));

            out.add(evaluate("S-ft", "S fully fine-tuned", seed, m.get("S-ft"), world));
            out.add(evaluate("L-ft", "L fully fine-tuned", seed, m.get("L-ft"), world));
            for (float lambda : config.lambdas()) {
                LlamaModel v = m.get("v" + lambda);
                String l = format(lambda);
                out.add(evaluate("S+v(" + l + ")", "S + value (λ=" + l + ")", seed, residual(m.get("S"), v), world));
                out.add(evaluate("L+v(" + l + ")", "L + value (λ=" + l + "), transfer", seed, residual(m.get("L"), v),
                        world));
                out.add(evaluate("Lcpt+v(" + l + ")", "continually pre-trained L + value (λ=" + l + ")", seed,
                        residual(m.get("L-cpt"), v), world));
                out.add(evaluate(VALIDATION + "L+v(" + l + ")", "L + value (λ=" + l + "), validation people", seed,
                        residual(m.get("L"), v), world.validation()));
            }
            out.add(evaluate("S+cascade", "S + cascade value", seed, new CascadeModel(m.get("S"), m.get("cascade"),
                    1f), world));
            out.add(evaluate("L+cascade", "L + cascade value, transfer", seed, new CascadeModel(m.get("L"),
                    m.get("cascade"), 1f), world));
            out.add(evaluate("L+cascade-no-text", "L + cascade value without text, transfer", seed,
                    new CascadeModel(m.get("L"), m.get("cascade-no-text"), 1f), world));
            out.add(evaluate("L+curriculum", "L + value (curriculum S→M, λ=1), transfer", seed,
                    residual(m.get("L"), m.get("curriculum")), world));
            out.add(evaluate("L+curriculum(0)", "L + value (curriculum S→M, λ=0), transfer", seed,
                    residual(m.get("L"), m.get("curriculum0")), world));
            // α > 1 for the λ=0 value model: chosen, like λ, on the validation people only
            LlamaModel v0 = m.get("v" + config.lambdas().get(0));
            String l0 = format(config.lambdas().get(0));
            for (float alpha : ALPHAS) {
                String a = format(alpha);
                out.add(evaluate("L+v(" + l0 + ")@" + a, "L + value (λ=" + l0 + ", α=" + a + "), transfer", seed,
                        residual(m.get("L"), v0, alpha), world));
                out.add(evaluate(VALIDATION + "L+v(" + l0 + ")@" + a, "L + value (λ=" + l0 + ", α=" + a
                        + "), validation people", seed, residual(m.get("L"), v0, alpha), world.validation()));
            }
            try (PluggedModel cross = PluggedModel.plug(m.get("L"), m.get("value-other"), PlugOptions.builder()
                    .alpha(1f).vocabularyMap(data("base-to-other.map")).build())) {
                out.add(evaluate("L+v-other(0)", "L + value of another vocabulary (λ=0), through a map", seed, cross,
                        world));
            }
            out.add(evaluate("L+proxy", "L + (S_ft − S), proxy tuning", seed,
                    new ProxyTuningCombiner(1f).combine(m.get("L"), m.get("S-ft"), m.get("S")), world));
        } finally {
            m.values().forEach(LlamaModel::close);
        }
        return out;
    }

    private static CombinedModel residual(LlamaModel base, LlamaModel value) {
        return residual(base, value, 1f);
    }

    private static CombinedModel residual(LlamaModel base, LlamaModel value, float alpha) {
        return ResidualCombiner.withAlpha(alpha).combine(base, value);
    }

    static String format(float lambda) {
        return lambda == (int) lambda ? Integer.toString((int) lambda) : Float.toString(lambda);
    }

    private Evaluation evaluate(String name, String label, long seed, LanguageModel model, FactWorld world) {
        return evaluate(name, label, seed, model, world.test());
    }

    private Evaluation evaluate(String name, String label, long seed, LanguageModel model,
            List<FactWorld.Person> people) {
        Generator generator = new Generator(model);
        HfTokenizer tokenizer = (HfTokenizer) generator.tokenizer().orElseThrow();
        ChatTemplate template = ChatTemplate.named(TEMPLATE);
        GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(config.maxNewTokens()).stopTokenIds(EOS)
                .build();
        List<Scores> scores = new ArrayList<>();
        for (FactWorld.Question q : FactWorld.questions(people)) {
            List<ChatMessage> asked = List.of(ChatMessage.user(q.prompt()));
            int[] prompt = tokenizer.encode(template.render(asked, true), false);
            GenerationResult r = generator.generate(prompt, greedy, TokenListener.NONE, new CancellationToken());
            // the reference as training saw it: the tokens the whole conversation has after the prompt's
            int[] whole = tokenizer.encode(template.render(List.of(asked.get(0), ChatMessage.assistant(
                    q.reference())), false), false);
            int[] reference = java.util.Arrays.copyOfRange(whole, prompt.length, whole.length);
            java.util.Set<Integer> factIds = new java.util.HashSet<>();
            for (int id : tokenizer.encode(q.fact(), false)) {
                factIds.add(id);
            }
            boolean[] fact = new boolean[reference.length];
            for (int i = 0; i < reference.length; i++) {
                fact[i] = factIds.contains(reference[i]);
            }
            scores.add(Scores.of(q, r.text(), r.finishReason() == FinishReason.STOP_TOKEN,
                    Scores.Likelihood.of(model, prompt, reference, fact)));
        }
        Evaluation e = new Evaluation(name, label, seed, scores);
        progress.accept(String.format(Locale.ROOT, "[evaluate] seed %d %-22s EM %.3f  format %.3f  fact %.3f", seed,
                name, mean(scores, Scores::exactMatch), mean(scores, Scores::format), mean(scores, Scores::factFound)));
        return e;
    }

    static double mean(List<Scores> scores, java.util.function.Predicate<Scores> test) {
        return scores.stream().filter(test).count() / (double) scores.size();
    }

    private void writeEvaluations(List<Evaluation> evaluations) {
        StringBuilder b = new StringBuilder();
        for (Evaluation e : evaluations) {
            b.append(new GsonBuilder().serializeSpecialFloatingPointValues().create().toJson(e)).append('\n');
        }
        Experiment.write(out.resolve("evaluations.jsonl"), b.toString());
    }
}
