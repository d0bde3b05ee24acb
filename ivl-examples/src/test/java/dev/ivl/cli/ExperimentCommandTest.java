package dev.ivl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ivl.djl.tokenizer.HfTokenizer;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ivl experiment} end to end at the micro scale, its demo export, and its refusals of bad options. */
class ExperimentCommandTest {
    static final List<String> ROWS = List.of("S", "L", "S-ft", "L-ft", "S+value-l0", "S+value-l1", "L+value-l0",
            "L+value-l1", "L+value-curriculum", "L+proxy");
    static final List<String> STAGES = List.of("data", "init", "pretrain-S", "pretrain-M", "pretrain-L",
            "finetune-S", "finetune-L", "value-l0", "value-l1", "value-curriculum", "probe", "evaluate");

    @Test
    void theGenesisMicroRunWritesEveryConfigurationRowAndTheChart(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("run");
        CliTest.Run r = CliTest.run("experiment", "--task", "genesis", "--scale", "micro", "--out", out.toString(),
                "--seed", "3");
        assertEquals(0, r.exit(), r.err());

        JsonObject json = JsonParser.parseString(Files.readString(out.resolve("results.json"))).getAsJsonObject();
        List<String> keys = new ArrayList<>();
        for (var row : json.getAsJsonArray("rows")) {
            JsonObject o = row.getAsJsonObject();
            keys.add(o.get("key").getAsString());
            for (String metric : List.of("exactMatch", "tokenF1", "formatCompliance")) {
                double v = o.get(metric).getAsDouble();
                assertTrue(v >= 0 && v <= 1, metric + " " + v);
            }
            assertEquals(4, o.get("answers").getAsInt());
        }
        assertEquals(ROWS, keys);
        List<String> stages = new ArrayList<>();
        json.getAsJsonArray("stages").forEach(s -> stages.add(s.getAsJsonObject().get("name").getAsString()));
        assertEquals(STAGES, stages);
        assertEquals(3, json.getAsJsonObject("config").get("seed").getAsLong());
        assertTrue(json.get("command").getAsString().startsWith("ivl experiment --task genesis --scale micro"));
        assertEquals(3, json.getAsJsonArray("probes").size());

        String md = Files.readString(out.resolve("results.md"));
        JsonArray rows = json.getAsJsonArray("rows");
        for (var row : rows) {
            assertTrue(md.contains("| " + row.getAsJsonObject().get("label").getAsString() + " |"), md);
        }
        for (String stage : STAGES) {
            assertTrue(md.contains("| " + stage + " |"), stage);
        }
        BufferedImage chart = ImageIO.read(out.resolve("chart.png").toFile());
        assertEquals(900, chart.getWidth());
        assertEquals(560, chart.getHeight());
        assertEquals(ROWS.size() * 4, Files.readAllLines(out.resolve("outputs.jsonl")).size());
    }

    @Test
    void theFactsStudyRunsEveryArmAndReportsItsComparisons(@TempDir Path tmp) throws IOException {
        Path demo = tmp.resolve("demo");
        CliTest.Run r = CliTest.run("experiment", "--task", "facts", "--quick", "--out", tmp.resolve("run").toString(),
                "--export-demo", demo.toString(), "--speculation");
        assertEquals(0, r.exit(), r.err());
        tmp = tmp.resolve("run");
        String report = Files.readString(tmp.resolve("results.md"));
        for (String row : List.of("| S (base) |", "| L fully fine-tuned |", "| L + value (λ=1), transfer |",
                "| continually pre-trained L + value (λ=0) |", "| L + cascade value without text, transfer |",
                "| L + value (curriculum S→M, λ=1), transfer |", "| L + (S_ft − S), proxy tuning |")) {
            assertTrue(report.contains(row), row + " in\n" + report);
        }
        assertTrue(report.contains("| transfer: L + value (λ=1) vs L alone | "), report);
        assertTrue(report.contains("## Knowledge of the bases"), report);
        List<String> evaluations = Files.readAllLines(tmp.resolve("evaluations.jsonl"));
        assertEquals(4 + 2 + 2 * 4 + 7 + 6 * 2, evaluations.size(), "4 bases; per seed 2 fine-tunes, 4 per λ (one on"
                + " the validation people), 7 others, 2 per α > 1 (one on the validation people)");
        assertTrue(report.contains("λ and α chosen on the validation people"), report);
        assertTrue(Files.size(tmp.resolve("chart.png")) > 1000);
        try (HfTokenizer tokenizer = HfTokenizer.load(tmp.resolve("tokenizer"))) {
            assertTrue(tokenizer.vocabSize() < 1000, "a word-level vocabulary of the world: " + tokenizer.vocabSize());
        }
        JsonObject ivl = JsonParser.parseString(Files.readString(demo.resolve("value/ivl.json"))).getAsJsonObject();
        assertEquals("residual", ivl.get("scheme").getAsString());
        assertTrue(ivl.has("alpha"), "the alpha chosen on validation travels with the demo");
        assertEquals("S", ivl.getAsJsonArray("bases").get(0).getAsString(), "no absolute path of this machine");
        assertEquals(6, Files.readAllLines(demo.resolve("prompts.jsonl")).size());
        String speculation = Files.readString(tmp.resolve("speculation.md"));
        for (String name : List.of("L", "XL")) {
            String section = speculation.substring(speculation.indexOf("## S + value drafting for " + name + " + value"));
            for (String row : List.of("| greedy, plain |", "| greedy, k=2 |", "| greedy, k=4 |", "| greedy, k=8 |",
                    "| T=0.7, plain |", "| T=0.7, k=8 |")) {
                assertTrue(section.contains(row), name + ": " + row + " in\n" + speculation);
            }
        }
        assertTrue(Files.exists(tmp.resolve("models/XL/model.safetensors")), "XL is pre-trained in the run");
        CliTest.Run shown = CliTest.run("demo", "--dir", demo.toString(), "--prompts", "2", "--max-new-tokens", "8");
        assertEquals(0, shown.exit(), shown.err());
        assertTrue(shown.out().contains("alpha " + ivl.get("alpha").getAsFloat()), shown.out());
    }

    @Test
    void badOptionsAreRefusedNamingTheOption(@TempDir Path tmp) {
        CliTest.Run scale = CliTest.run("experiment", "--scale", "huge", "--out", tmp.toString());
        assertEquals(1, scale.exit());
        assertTrue(scale.err().contains("--scale") && scale.err().contains("huge"), scale.err());
        CliTest.Run both = CliTest.run("experiment", "--quick", "--scale", "full", "--out", tmp.toString());
        assertEquals(1, both.exit());
        assertTrue(both.err().contains("--quick"), both.err());
        Path missing = tmp.resolve("kjv.txt");
        CliTest.Run corpus = CliTest.run("experiment", "--task", "genesis", "--scale", "micro", "--corpus",
                missing.toString(), "--out", tmp.resolve("run").toString());
        assertEquals(1, corpus.exit());
        assertTrue(corpus.err().contains(missing.toString()) && corpus.err().contains("no such file"), corpus.err());
        CliTest.Run threads = CliTest.run("experiment", "--task", "genesis", "--scale", "micro", "--threads", "0",
                "--out", tmp.toString());
        assertEquals(1, threads.exit());
        assertTrue(threads.err().contains("--threads"), threads.err());
        CliTest.Run task = CliTest.run("experiment", "--task", "poems", "--out", tmp.toString());
        assertEquals(1, task.exit());
        assertTrue(task.err().contains("--task"), task.err());
        CliTest.Run facts = CliTest.run("experiment", "--task", "facts", "--corpus", tmp.resolve("k.txt").toString(),
                "--out", tmp.toString());
        assertEquals(1, facts.exit());
        assertTrue(facts.err().contains("--corpus does not apply to --task facts"), facts.err());
        CliTest.Run genesisDemo = CliTest.run("experiment", "--task", "genesis", "--scale", "micro", "--export-demo",
                tmp.resolve("demo").toString(), "--out", tmp.resolve("g").toString());
        assertEquals(1, genesisDemo.exit());
        assertTrue(genesisDemo.err().contains("--export-demo") && genesisDemo.err().contains("facts only"),
                genesisDemo.err());
        assertTrue(Files.notExists(tmp.resolve("g")), "refused before anything is written");
        CliTest.Run genesisSpeculation = CliTest.run("experiment", "--task", "genesis", "--scale", "micro",
                "--speculation", "--out", tmp.resolve("g2").toString());
        assertEquals(1, genesisSpeculation.exit());
        assertTrue(genesisSpeculation.err().contains("--speculation") && genesisSpeculation.err().contains("facts only"),
                genesisSpeculation.err());
        assertTrue(Files.notExists(tmp.resolve("g2")), "refused before anything is written");
    }
}
