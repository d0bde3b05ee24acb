package dev.ivl.djl.train;

import dev.ivl.core.model.Scheme;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.IvlException;
import dev.ivl.core.ModelFormatException;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.testutil.Fixtures;
import dev.ivl.djl.weights.SafetensorsCheckpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end training on a tiny task with a real 32,000-token checkpoint (random weights) and the Llama-2
 * tokenizer: the value model is initialised from the checkpoint, which also serves as the frozen base.
 */
class IvlTrainerTest {
    @TempDir
    Path tmp;

    /** The tiny Llama-2-vocabulary checkpoint with the Llama-2 tokenizer beside it. */
    Path model() throws IOException {
        Path dir = tmp.resolve("tiny");
        if (!Files.exists(dir)) {
            Files.createDirectories(dir);
            Path src = Fixtures.path("hf-llama/mqa-llama2vocab-fp16");
            Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
            Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
            Files.copy(Fixtures.path("tokenizers/llama2-tokenizer.json"), dir.resolve("tokenizer.json"));
        }
        return dir;
    }

    Path data() throws IOException {
        Path file = tmp.resolve("data.jsonl");
        List<String> lines = new ArrayList<>();
        String[][] pairs = {{"Name a colour.", "Blue."}, {"Name a fruit.", "Apple."}, {"Name a day.", "Monday."},
            {"Name a number.", "Seven."}, {"Name an animal.", "Cat."}, {"Name a tree.", "Oak."}};
        for (String[] p : pairs) {
            lines.add("{\"instruction\": \"" + p[0] + "\", \"response\": \"" + p[1] + "\"}");
        }
        Files.write(file, lines);
        return file;
    }

    TrainConfig.Builder config(String out) throws IOException {
        return TrainConfig.builder().valueInit(model()).bases(List.of(model())).data(data())
                .out(tmp.resolve(out)).learningRate(3e-3f).epochs(4).batchTokens(64).maxLength(64)
                .warmupRatio(0f).seed(7);
    }

    static List<StepReport> run(TrainConfig config) {
        List<StepReport> reports = new ArrayList<>();
        new IvlTrainer(config).train(reports::add);
        return reports;
    }

    @Test
    void lossDecreasesAndTheOutputIsAStandardCheckpoint() throws IOException {
        TrainConfig config = config("out").learningRate(1e-2f).epochs(10).build();
        List<StepReport> reports = run(config);
        double first = reports.get(0).crossEntropy();
        double last = reports.get(reports.size() - 1).crossEntropy();
        System.out.printf("train: %d steps, cross-entropy %.3f -> %.3f%n", reports.size(), first, last);
        assertTrue(last < 0.5 * first, "cross-entropy " + first + " -> " + last);
        Path out = config.out();
        try (LlamaModel trained = LlamaModel.load(out)) {
            assertEquals(32000, trained.vocabSize());
        }
        assertTrue(Files.exists(out.resolve("tokenizer.json")));
        JsonObject ivl = JsonParser.parseString(Files.readString(out.resolve("ivl.json"))).getAsJsonObject();
        assertEquals("residual", ivl.get("scheme").getAsString());
        assertEquals(reports.size(), ivl.get("steps").getAsInt());
        assertEquals(64, ivl.getAsJsonObject("data").get("sha256").getAsString().length());
        assertTrue(ivl.get("vocabulary").getAsString().startsWith("sha256:"), "the vocabulary trained in");
        assertEquals(reports.size(), Files.readAllLines(out.resolve(IvlTrainer.LOG_FILE)).size(),
                "the library writes the loss log, one line per step");
        // the base checkpoint on disk is untouched
        try (SafetensorsCheckpoint before = SafetensorsCheckpoint.open(
                        Fixtures.path("hf-llama/mqa-llama2vocab-fp16"));
                SafetensorsCheckpoint base = SafetensorsCheckpoint.open(model())) {
            for (String name : before.names()) {
                assertArrayEquals(before.readFloats(name), base.readFloats(name), 0f, name);
            }
        }
    }

    @Test
    void largerLambdaGivesSmallerValueLogits() throws IOException {
        List<StepReport> free = run(config("l0").lambda(0f).build());
        List<StepReport> penalised = run(config("l1").lambda(1f).build());
        double a = free.get(free.size() - 1).meanAbsDelta();
        double b = penalised.get(penalised.size() - 1).meanAbsDelta();
        System.out.printf("train: mean|z_delta| after training, λ=0: %.4f, λ=1: %.4f%n", a, b);
        assertTrue(b < a, "λ=1 gives mean|z_delta| " + b + ", λ=0 gives " + a);
    }

    @Test
    void resumingAfterAnInterruptionReproducesTheUninterruptedRun() throws IOException {
        TrainConfig whole = config("whole").checkpointEvery(3).build();
        run(whole);
        TrainConfig broken = config("broken").checkpointEvery(3).resume(true).build();
        RuntimeException crash = new RuntimeException("simulated crash");
        assertThrows(RuntimeException.class, () -> new IvlTrainer(broken).train(report -> {
            if (report.step() == 5) {
                throw crash; // after the checkpoint of step 3, before that of step 6
            }
        }));
        List<StepReport> resumed = run(broken);
        assertEquals(4, resumed.get(0).step(), "resumed after the checkpoint of step 3");
        try (SafetensorsCheckpoint a = SafetensorsCheckpoint.open(whole.out());
                SafetensorsCheckpoint b = SafetensorsCheckpoint.open(broken.out())) {
            for (String name : a.names()) {
                assertArrayEquals(a.readFloats(name), b.readFloats(name), 0f, name);
            }
        }
    }

    @Test
    void aCurriculumSplitsTheStepsEvenlyAmongTheBasesInOrder() throws IOException {
        Path second = tmp.resolve("second-base");
        Files.createDirectories(second);
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json"}) {
            Files.copy(model().resolve(f), second.resolve(f));
        }
        List<String> messages = new ArrayList<>();
        List<StepReport> reports = new ArrayList<>();
        TrainResult result = new IvlTrainer(config("curriculum").bases(List.of(model(), second)).build())
                .train(new TrainListener() {
                    @Override
                    public void onStep(StepReport report) {
                        reports.add(report);
                    }

                    @Override
                    public void onMessage(String message) {
                        messages.add(message);
                    }
                });
        int total = reports.size();
        assertEquals(total, result.steps());
        assertTrue(messages.contains("curriculum: base 1/2 " + model() + " from step 1"), messages.toString());
        assertTrue(messages.contains("curriculum: base 2/2 " + second + " from step " + (total / 2 + 1)),
                messages.toString());
        JsonObject ivl = JsonParser.parseString(Files.readString(tmp.resolve("curriculum/ivl.json")))
                .getAsJsonObject();
        assertEquals(2, ivl.getAsJsonArray("bases").size());
    }

    @Test
    void maxStepsStopsTheRunThere() throws IOException {
        List<StepReport> all = run(config("all").build());
        List<StepReport> three = run(config("three").maxSteps(3).build());
        assertTrue(all.size() > 3, "the data gives more than 3 steps: " + all.size());
        assertEquals(3, three.size());
        assertEquals(3, three.get(2).totalSteps(), "the schedule spans the steps run");
        JsonObject ivl = JsonParser.parseString(Files.readString(tmp.resolve("three").resolve("ivl.json")))
                .getAsJsonObject();
        assertEquals(3, ivl.get("steps").getAsInt());
    }

    @Test
    void causalLmTrainingNeedsNoBase() throws IOException {
        List<StepReport> reports = run(config("lm").bases(List.of()).scheme(Scheme.CAUSAL_LM).build());
        assertTrue(reports.get(reports.size() - 1).crossEntropy() < reports.get(0).crossEntropy());
        assertEquals(0, reports.get(0).meanAbsDelta());
        IllegalParameterException e = assertThrows(IllegalParameterException.class,
                () -> config("lm2").scheme(Scheme.CAUSAL_LM).build());
        assertEquals("bases", e.parameter());
    }

    @Test
    void cascadeSchemesTrainAndRecordTheirScheme() throws IOException {
        for (Scheme scheme : new Scheme[] {Scheme.CASCADE, Scheme.CASCADE_NO_TEXT}) {
            String name = scheme.name().toLowerCase(java.util.Locale.ROOT);
            List<StepReport> reports = run(config(name).scheme(scheme).learningRate(1e-2f).build());
            double first = reports.get(0).crossEntropy();
            double last = reports.get(reports.size() - 1).crossEntropy();
            System.out.printf("train %s: cross-entropy %.3f -> %.3f%n", name, first, last);
            assertTrue(last < first, scheme + ": " + first + " -> " + last);
            JsonObject ivl = JsonParser.parseString(Files.readString(tmp.resolve(name).resolve("ivl.json")))
                    .getAsJsonObject();
            assertEquals(name.replace('_', '-'), ivl.get("scheme").getAsString());
            try (LlamaModel trained = LlamaModel.load(tmp.resolve(name))) {
                assertEquals(scheme, trained.scheme(), "read back from ivl.json");
            }
        }
    }

    /** @return each file under a folder, by its relative path, with its bytes' hash */
    static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.filter(Files::isRegularFile).toList()) {
                files.put(dir.relativize(p).toString(), Arrays.hashCode(Files.readAllBytes(p)) + "");
            }
        }
        return files;
    }

    @Test
    void aFailedFinalWriteLeavesTheEarlierModelAndNoLoadableFolder() throws IOException {
        TrainConfig residual = config("model").maxSteps(2).build();
        run(residual);
        Path out = residual.out();
        Map<String, String> before = snapshot(out);
        Path work = tmp.resolve("model" + OutputFolder.WORK_SUFFIX);
        TrainConfig cascade = config("model").maxSteps(2).scheme(Scheme.CASCADE).force(true).build();
        IvlException e = assertThrows(IvlException.class, () -> new IvlTrainer(cascade).train(report -> {
            try {
                Files.createDirectories(work.resolve("ivl.json")); // the write of ivl.json will fail
            } catch (IOException io) {
                throw new UncheckedIOException(io);
            }
        }));
        assertTrue(e.getMessage().startsWith("cannot write " + work.resolve("ivl.json")), e.getMessage());
        assertEquals(before, snapshot(out), "the earlier model is untouched");
        ModelFormatException refused = assertThrows(ModelFormatException.class, () -> LlamaModel.load(work));
        assertTrue(refused.getMessage().contains("did not complete"), refused.getMessage());
        run(cascade);
        try (LlamaModel trained = LlamaModel.load(out)) {
            assertEquals(Scheme.CASCADE, trained.scheme());
        }
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith("model.")).toList());
        }
    }

    @Test
    void aSecondRunIntoTheFolderIsRefusedWhileTheFirstWritesIt() throws IOException {
        TrainConfig config = config("shared").build();
        List<IvlException> refused = new ArrayList<>();
        List<StepReport> reports = run(config("shared").build());
        assertThrows(IvlException.class, () -> run(config)); // the folder holds a model now
        TrainConfig again = config("shared").force(true).build();
        new IvlTrainer(again).train(report -> {
            if (report.step() == 1) {
                refused.add(assertThrows(IvlException.class, () -> run(again)));
            }
        });
        assertEquals(1, refused.size());
        assertTrue(refused.get(0).getMessage().startsWith("another training run (process "
                + ProcessHandle.current().pid() + ") is writing " + again.out()), refused.get(0).getMessage());
        List<String> log = Files.readAllLines(again.out().resolve(IvlTrainer.LOG_FILE));
        assertEquals(reports.size(), log.size());
        for (int i = 0; i < log.size(); i++) {
            assertEquals(i + 1, JsonParser.parseString(log.get(i)).getAsJsonObject().get("step").getAsInt());
        }
        assertFalse(Files.exists(tmp.resolve("shared" + OutputFolder.LOCK_SUFFIX)), "the lock is released");
    }
}
