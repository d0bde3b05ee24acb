package dev.ivl.examples.facts;

import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ivl.core.IvlException;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.examples.experiment.Experiment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes the folder {@code ivl demo} reads from a facts study's run: the large base L, the value model and α chosen
 * on the validation people (never on the test people), six test requests with their references, and a README.
 */
public final class FactsDemoExport {
    private static final int PROMPTS = 6;
    private static final Gson PRETTY = new GsonBuilder().setPrettyPrinting().create();
    private static final Pattern CHOSEN = Pattern.compile("L\\+v\\(([0-9.]+)\\)(?:@([0-9.]+))?");

    private FactsDemoExport() {}

    /**
     * @param run the run folder
     * @param chosen the configuration chosen on validation, e.g. {@code L+v(0)@2}
     * @param config the run's scale
     * @param to the demo folder to write
     * @return a one-line description of what was exported
     */
    public static String write(Path run, String chosen, FactsConfig config, Path to) {
        Choice choice = choice(run, chosen, config);
        Path value = choice.value();
        String alpha = choice.alpha();
        Path base = run.resolve("models").resolve("L");
        saveF16(base, to.resolve("base"));
        Experiment.write(to.resolve("base").resolve("ivl.json"), PRETTY.toJson(portableIvlJson(base)) + "\n");
        saveF16(value, to.resolve("value"));
        JsonObject ivl = portableIvlJson(value);
        ivl.addProperty("alpha", Float.parseFloat(alpha));
        Experiment.write(to.resolve("value").resolve("ivl.json"), PRETTY.toJson(ivl) + "\n");
        Path small = run.resolve("models").resolve("S"); // the value model's own base: the draft of `--draft`
        saveF16(small, to.resolve("draft"));
        Experiment.write(to.resolve("draft").resolve("ivl.json"), PRETTY.toJson(portableIvlJson(small)) + "\n");
        Path cascade = run.resolve("models").resolve("cascade-s" + config.seeds().get(0));
        saveF16(cascade, to.resolve("cascade"));
        Experiment.write(to.resolve("cascade").resolve("ivl.json"), PRETTY.toJson(portableIvlJson(cascade)) + "\n");
        FactWorld world = FactsExperiment.world(config);
        StringBuilder prompts = new StringBuilder();
        List<FactWorld.Question> questions = FactWorld.questions(world.test());
        for (FactWorld.Question q : questions.subList(0, Math.min(PROMPTS, questions.size()))) {
            JsonObject o = new JsonObject();
            o.addProperty("prompt", q.prompt());
            o.addProperty("reference", q.reference());
            prompts.append(new GsonBuilder().disableHtmlEscaping().create().toJson(o)).append('\n');
        }
        Experiment.write(to.resolve("prompts.jsonl"), prompts.toString());
        Experiment.write(to.resolve("README.md"), String.format(Locale.ROOT, """
                # ivl demo models

                Produced by `ivl experiment --task facts --export-demo DIR` (%s scale): toy Llama-family models with a
                word-level vocabulary of a synthetic world (people, their towns and trades), pre-trained from random
                weights on statements of its facts.

                - `base/`: the large base L (%s), pre-trained only: it knows the facts but not the answer format.
                - `value/`: the value model trained by inverse value learning next to the small base S, λ = %s (seed
                  %d). Decode with z_L + α·z_value, α = %s: `ivl demo` reads α from `value/ivl.json`. λ and α were
                  chosen on the validation people, never on the test people.
                - `draft/`: the small base S (%s) the value model was trained next to, pre-trained only: with the
                  value model it drafts for L + value (`ivl generate --draft`, speculative decoding).
                - `cascade/`: a value model of the cascade scheme trained next to S (seed %d, λ in its `ivl.json`; the
                  study plugs it in with α = 1): it also reads its base's next-token distribution.
                - `prompts.jsonl`: %d requests about test people (no demonstration asks about them; their facts are
                  only in the pre-training text), each `{"prompt": user request, "reference": expected answer}`;
                  wrap the prompt in the Llama-2 chat format and decode greedily.

                Weights are float16. See docs/RESULTS.md, "The facts study".
                """, config.scale(), config.large(), choice.lambda(), config.seeds().get(0), alpha, config.small(),
                config.seeds().get(0), Math.min(PROMPTS, questions.size())));
        return "L + value (λ=" + choice.lambda() + ", α=" + alpha + ")";
    }

    /**
     * The value model and α of a configuration chosen on validation.
     *
     * @param value the value model's folder (the first post-training seed's)
     * @param lambda its λ as the study prints it
     * @param alpha its α as the study prints it
     */
    record Choice(Path value, String lambda, String alpha) {}

    /**
     * @param run the run folder
     * @param chosen the configuration chosen on validation, e.g. {@code L+v(0)@2}
     * @param config the run's scale
     * @return its value model and α
     */
    static Choice choice(Path run, String chosen, FactsConfig config) {
        Matcher m = CHOSEN.matcher(chosen);
        if (!m.matches()) {
            throw new IvlException("no value model in the configuration " + chosen);
        }
        float lambda = config.lambdas().stream().filter(l -> FactsExperiment.format(l).equals(m.group(1)))
                .findFirst().orElseThrow(() -> new IvlException("no value model with λ " + m.group(1) + " in " + run));
        return new Choice(run.resolve("models").resolve("value-l" + lambda + "-s" + config.seeds().get(0)), m.group(1),
                m.group(2) == null ? "1" : m.group(2));
    }

    /**
     * @param modelDir a model folder written by the trainer
     * @return its ivl.json with folder names instead of this machine's absolute paths
     */
    private static JsonObject portableIvlJson(Path modelDir) {
        Path file = modelDir.resolve("ivl.json");
        try {
            JsonObject json = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
            JsonArray bases = new JsonArray();
            json.getAsJsonArray("bases").forEach(b -> bases.add(fileName(b.getAsString())));
            json.add("bases", bases);
            json.addProperty("valueInit", fileName(json.get("valueInit").getAsString()));
            JsonObject data = json.getAsJsonObject("data");
            data.addProperty("file", fileName(data.get("file").getAsString()));
            return json;
        } catch (IOException | RuntimeException e) {
            throw new IvlException(file + ": cannot read the trainer's ivl.json: " + e.getMessage(), e);
        }
    }

    private static String fileName(String path) {
        return Path.of(path).getFileName().toString();
    }

    private static void saveF16(Path from, Path to) {
        try (LlamaModel model = LlamaModel.load(from)) {
            model.save(to, DataType.FLOAT16);
        }
    }

    /**
     * Re-exports the demo of an existing run, the configuration read from its {@code results.md}.
     *
     * @param args the run folder, the demo folder, and optionally the scale (default full)
     * @throws IOException if results.md cannot be read
     */
    public static void main(String[] args) throws IOException {
        Path run = Path.of(args[0]);
        Matcher m = Pattern.compile("chosen on the validation people.*\\*\\*([^*]+)\\*\\*").matcher(
                Files.readString(run.resolve("results.md")));
        if (!m.find()) {
            throw new IvlException(run.resolve("results.md") + " names no configuration chosen on validation");
        }
        System.out.println(write(run, m.group(1), FactsConfig.preset(args.length > 2 ? args[2] : "full"),
                Path.of(args[1])));
    }
}
