package dev.ivl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ivl bench} on the tiny random shape: the report's structure and figures, and the thread check. */
class BenchCommandTest {
    @TempDir
    Path cache;

    /** @return the engine's intra-op threads, starting the engine if needed */
    private static int engineThreads() {
        try (NDManager ignored = NDManager.newBaseManager()) {
            return JniUtils.getNumThreads();
        }
    }

    @Test
    void reportsEveryFigureForTheTinyShape() {
        int threads = engineThreads();
        CliTest.Run run = CliTest.run("bench", "--random", "tiny", "--cache", cache.toString(), "--threads",
                Integer.toString(threads), "--prompt-tokens", "4", "--new-tokens", "3", "--repetitions", "3",
                "--warmup", "0", "--json");
        assertEquals(0, run.exit(), run.err());
        JsonObject json = JsonParser.parseString(run.out()).getAsJsonObject();
        assertEquals(threads, json.getAsJsonObject("machine").get("intraOpThreads").getAsInt());
        // tiny: 2 layers of q·k·v [128, 64], o [64, 64], gate·up [352, 64], down [64, 176], then lm_head [1024, 64]
        assertEquals(2 * 4 + 1, json.get("floorProducts").getAsInt());
        // stored float16 (--storage's default), so loaded as float16 weights: 2 bytes each
        assertEquals(2L * (2 * (128 * 64 + 64 * 64 + 352 * 64 + 64 * 176) + 1024 * 64),
                json.get("floorWeightBytes").getAsLong());
        for (String figure : new String[] {"prefillTokensPerSecond", "decodeMillisPerToken",
            "linearFloorMillisPerStep", "rowBlockFloorMillisPerStep", "kernelFloorMillisPerStep"}) {
            JsonObject f = json.getAsJsonObject(figure);
            JsonArray reps = f.getAsJsonArray("perRepetition");
            assertEquals(3, reps.size(), figure);
            double[] values = new double[3];
            for (int i = 0; i < 3; i++) {
                values[i] = reps.get(i).getAsDouble();
                assertTrue(values[i] > 0 && Double.isFinite(values[i]), figure + " " + values[i]);
            }
            Arrays.sort(values);
            assertEquals(values[1], f.get("median").getAsDouble(), 0, figure);
            assertEquals(values[0], f.get("min").getAsDouble(), 0, figure);
            assertEquals(values[2], f.get("max").getAsDouble(), 0, figure);
        }
        double decode = json.getAsJsonObject("decodeMillisPerToken").get("median").getAsDouble();
        double floor = json.getAsJsonObject("linearFloorMillisPerStep").get("median").getAsDouble();
        assertEquals(decode / floor, json.get("decodeOverLinearFloor").getAsDouble(), 1e-12);
        double kernel = json.getAsJsonObject("kernelFloorMillisPerStep").get("median").getAsDouble();
        assertEquals(decode / kernel, json.get("decodeOverKernelFloor").getAsDouble(), 1e-12,
                "float weights on the CPU: Java's products are measured as a third floor");
        assertTrue(json.getAsJsonObject("model").get("source").getAsString().startsWith("random tiny, seed 0"));
    }

    @Test
    void qualityScoresTheThreeWeightDtypesAgainstFloat32(@TempDir Path tmp) throws java.io.IOException {
        Path demo = DemoFiles.shipped(BenchCommandTest.class.getClassLoader(), tmp.resolve("cache"));
        Path texts = tmp.resolve("texts.jsonl");
        java.nio.file.Files.writeString(texts, "{\"text\": \"Brudem Fesul lives in Farrin. Brudem Fesul works as a"
                + " tailor.\"}\n{\"text\": \"In Quillon lives Stuvor Paihis.\"}\n");
        CliTest.Run run = CliTest.run("bench", "--quality", texts.toString(), "--model", demo.resolve("base")
                .toString());
        assertEquals(0, run.exit(), run.err());
        String[] lines = run.out().split("\n");
        assertTrue(lines[0].contains("mean NLL") && lines[0].contains("tokens agreeing"), run.out());
        assertTrue(lines[1].matches("f32 +[0-9.]+ +\\+0\\.0000 +1\\.000 +1\\.000"), "f32 agrees with itself: "
                + lines[1]);
        assertTrue(lines[2].startsWith("f16 ") && lines[3].startsWith("int8 "), run.out());
        for (int i = 1; i <= 3; i++) {
            double nll = Double.parseDouble(lines[i].trim().split(" +")[1]);
            assertTrue(nll > 0 && nll < 20, lines[i]);
        }
        CliTest.Run random = CliTest.run("bench", "--quality", texts.toString(), "--random", "tiny");
        assertEquals(1, random.exit());
        assertTrue(random.err().contains("--quality"), random.err());
    }

    @Test
    void aShortServeLoadHasNoErrorsAndLeavesNothingBehind(@TempDir Path tmp) {
        Path demo = DemoFiles.shipped(BenchCommandTest.class.getClassLoader(), tmp.resolve("cache"));
        CliTest.Run run = CliTest.run("bench", "--serve-load", "2", "--clients", "3", "--model",
                demo.resolve("base").toString(), "--value", demo.resolve("value").toString());
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().matches("(?s)3 streaming clients for 2 s on 127.0.0.1: [1-9][0-9]* requests, 0 errors.*"),
                run.out());
        java.util.regex.Matcher arrays = java.util.regex.Pattern.compile("live arrays: (\\d+) before, (\\d+) after")
                .matcher(run.out());
        assertTrue(arrays.find(), run.out());
        assertEquals(arrays.group(1), arrays.group(2), "no array outlives the load");
        assertTrue(run.out().contains("server threads left after close: 0"), run.out());
    }

    @Test
    void thePairReportHasEveryModeAndItsRatios() {
        int threads = engineThreads();
        CliTest.Run run = CliTest.run("bench", "--random", "tiny", "--value-random", "tiny", "--cache",
                cache.toString(), "--threads", Integer.toString(threads), "--prompt-tokens", "4", "--new-tokens", "3",
                "--repetitions", "3", "--warmup", "0", "--json");
        assertEquals(0, run.exit(), run.err());
        JsonObject json = JsonParser.parseString(run.out()).getAsJsonObject();
        assertEquals(threads, json.get("concurrentStepThreads").getAsInt());
        JsonObject modes = json.getAsJsonObject("modes");
        assertEquals(Set.of("base", "value", "sequential", "concurrent", "concurrent-engine-free"),
                modes.keySet());
        for (String mode : modes.keySet()) {
            JsonObject m = modes.getAsJsonObject(mode);
            JsonArray reps = m.getAsJsonArray("decodePerRepetition");
            assertEquals(3, reps.size(), mode);
            double[] values = new double[3];
            for (int i = 0; i < 3; i++) {
                values[i] = reps.get(i).getAsDouble();
                assertTrue(values[i] > 0 && Double.isFinite(values[i]), mode + " " + values[i]);
            }
            Arrays.sort(values);
            assertEquals(values[1], m.get("decodeMillisPerToken").getAsDouble(), 0, mode);
        }
        double base = modes.getAsJsonObject("base").get("decodeMillisPerToken").getAsDouble();
        double sequential = modes.getAsJsonObject("sequential").get("decodeMillisPerToken").getAsDouble();
        double concurrent = modes.getAsJsonObject("concurrent").get("decodeMillisPerToken").getAsDouble();
        assertEquals(concurrent / base, json.get("ratioConcurrentOverBase").getAsDouble(), 1e-12);
        assertEquals(sequential / base, json.get("ratioSequentialOverBase").getAsDouble(), 1e-12);
        assertEquals(concurrent / sequential, json.get("concurrentOverSequential").getAsDouble(), 1e-12);
        assertEquals(1.0, json.get("valueOverBaseFlops").getAsDouble(), 1e-12); // the same shape twice
        JsonObject combine = json.getAsJsonObject("combine");
        assertTrue(combine.get("hostMillis").getAsDouble() > 0 && combine.get("deviceMillis").getAsDouble() > 0);
    }

    @Test
    void aThreadCountTheEngineCannotTakeAnyMoreIsAnError() {
        int other = engineThreads() + 1; // the engine has started: the property is read no more
        String saved = System.getProperty(Cli.THREADS_PROPERTY);
        try {
            CliTest.Run run = CliTest.run("bench", "--random", "tiny", "--cache", cache.toString(), "--threads",
                    Integer.toString(other), "--repetitions", "1", "--new-tokens", "1");
            assertEquals(1, run.exit());
            assertTrue(run.err().contains("did not take effect"), run.err());
        } finally {
            if (saved == null) {
                System.clearProperty(Cli.THREADS_PROPERTY);
            } else {
                System.setProperty(Cli.THREADS_PROPERTY, saved);
            }
        }
    }
}
