package dev.ivl.examples.experiment;

import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ivl.core.IvlException;
import dev.ivl.djl.llama.LlamaModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Writes the demo folder {@code ivl demo} reads: {@code base/} (the L base) and {@code value/} (the value model
 * trained on S with the λ that transferred best to L: the larger sum of exact match, token F1 and format compliance
 * of L with it; λ = 0 on a tie), both Hugging Face folders in float16 with their
 * {@code tokenizer.json} (and the value's {@code ivl.json}), {@code prompts.jsonl} (held-out requests and their
 * expected answers) and a {@code README.md} saying how they were made.
 */
public final class DemoExport {
    /** How many held-out requests {@code prompts.jsonl} holds. */
    public static final int PROMPTS = 6;

    private DemoExport() {}

    /**
     * @param results the run's results (they pick the λ)
     * @param run the run folder
     * @param target the demo folder, created if needed; files of the same names are replaced
     * @return the name of the exported value model, {@code value-l0} or {@code value-l1}
     */
    public static String write(ExperimentResults results, Path run, Path target) {
        Experiment.Layout layout = new Experiment.Layout(run);
        ExperimentResults.Row l0 = results.row("L+value-l0");
        ExperimentResults.Row l1 = results.row("L+value-l1");
        boolean one = score(l1) > score(l0);
        String value = one ? "value-l1" : "value-l0";
        saveF16(layout.model("L"), target.resolve("base"));
        saveF16(layout.model(value), target.resolve("value"));
        Experiment.write(target.resolve("value").resolve("ivl.json"), portableIvlJson(layout.model(value)));
        String prompts = readLines(layout.data().resolve("demos-eval.jsonl"), PROMPTS);
        Experiment.write(target.resolve("prompts.jsonl"), prompts);
        ExperimentResults.Row chosen = one ? l1 : l0;
        Experiment.write(target.resolve("README.md"), String.format(Locale.ROOT, """
                # ivl demo models

                Produced by `%s` (%s scale, seed %d): toy Llama-family models with the Llama-2 tokenizer, pre-trained \
                from random weights on the first %d chapters of Genesis (King James Version, public domain).

                - `base/`: the large base L (%s), pre-trained only: it knows the verses but not the answer format.
                - `value/`: the value model trained by inverse value learning next to the small base S, λ = %s (the \
                λ whose transfer to L scored best, by the sum of exact match, token F1 and format compliance: %.3f, \
                %.3f and %.3f on %d held-out requests). \
                Decode with z_L + z_value.
                - `prompts.jsonl`: %d held-out requests (verses the demonstrations did not train on, but which are in \
                the pre-training text), each `{"prompt": user request, "reference": expected answer}`; wrap the prompt \
                in the Llama-2 chat format (`[INST] ... [/INST]`) and decode greedily.

                Weights are float16. See docs/RESULTS.md for the whole experiment.
                """, results.command(), results.config().scale(), results.config().seed(), results.config().chapters(),
                results.config().large(), one ? "1" : "0", chosen.exactMatch(), chosen.tokenF1(),
                chosen.formatCompliance(), chosen.answers(), prompts.lines().count()));
        return value;
    }

    /** @return the sum of a row's three metrics: how well a value model transferred */
    private static double score(ExperimentResults.Row row) {
        return row.exactMatch() + row.tokenF1() + row.formatCompliance();
    }

    private static void saveF16(Path from, Path to) {
        try (LlamaModel model = LlamaModel.load(from)) {
            model.save(to, DataType.FLOAT16);
        }
        Experiment.copy(from.resolve("tokenizer.json"), to.resolve("tokenizer.json"));
    }

    /**
     * @param valueDir a value model folder written by the trainer
     * @return its ivl.json with folder names instead of this machine's absolute paths
     */
    public static String portableIvlJson(Path valueDir) {
        Path file = valueDir.resolve("ivl.json");
        try {
            JsonObject json = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
            JsonArray bases = new JsonArray();
            json.getAsJsonArray("bases").forEach(b -> bases.add(Path.of(b.getAsString()).getFileName().toString()));
            json.add("bases", bases);
            json.addProperty("valueInit", Path.of(json.get("valueInit").getAsString()).getFileName().toString());
            JsonObject data = json.getAsJsonObject("data");
            data.addProperty("file", Path.of(data.get("file").getAsString()).getFileName().toString());
            return Experiment.gson().toJson(json) + "\n";
        } catch (IOException | RuntimeException e) {
            throw new IvlException(file + ": cannot read the trainer's ivl.json: " + e.getMessage(), e);
        }
    }

    private static String readLines(Path file, int count) {
        try {
            List<String> lines = Files.readAllLines(file);
            return String.join("\n", lines.subList(0, Math.min(count, lines.size()))) + "\n";
        } catch (IOException e) {
            throw new IvlException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
