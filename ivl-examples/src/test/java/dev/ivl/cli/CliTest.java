package dev.ivl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ivl.djl.weights.SafetensorsCheckpoint;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code ivl} command line, run in-process: outputs checked against the HF fixtures, errors on one line. */
class CliTest {
    static final Path FIXTURES = Path.of(System.getProperty("ivl.fixtures.dir"));
    static final Path GQA = FIXTURES.resolve("hf-llama/gqa-tied");
    static final Path LLAMA2_TOKENIZER = FIXTURES.resolve("tokenizers/llama2-tokenizer.json");

    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            var cli = IvlCommand.commandLine();
            cli.setErr(new PrintWriter(err, true));
            int exit = cli.execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(saved);
        }
    }

    static String ids(long[] values) {
        return java.util.Arrays.stream(values).mapToObj(Long::toString).collect(Collectors.joining(","));
    }

    @Test
    void greedyGenerationReproducesTransformersTokens() {
        try (SafetensorsCheckpoint expected = SafetensorsCheckpoint.openFile(GQA.resolve("expected.safetensors"))) {
            long[] prompt = expected.readLongs("greedy.prompt");
            long[] want = expected.readLongs("greedy.output");
            Run r = run("generate", "--model", GQA.toString(), "--prompt-ids", ids(prompt), "--max-new-tokens",
                    String.valueOf(want.length), "--temperature", "0", "--json");
            assertEquals(0, r.exit(), r.err());
            JsonObject json = JsonParser.parseString(r.out().trim()).getAsJsonObject();
            long[] got = StreamSupport.stream(json.getAsJsonArray("tokens").spliterator(), false)
                    .mapToLong(e -> e.getAsLong()).toArray();
            assertArrayEquals(want, got);
            assertEquals("LENGTH", json.get("finishReason").getAsString());
            assertEquals(prompt.length, json.getAsJsonObject("usage").get("promptTokens").getAsInt());
            assertTrue(json.get("text").isJsonNull(), "no tokenizer, no text");
        }
    }

    @Test
    void aHugeTokenLimitRunsToTheEndOfTheContext() {
        // it allocated arrays of the requested length up front: OutOfMemoryError (issue 13)
        Run r = run("generate", "--model", GQA.toString(), "--prompt-ids", "1,2,3", "--max-new-tokens", "1000000000",
                "--max-context", "40", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonObject json = JsonParser.parseString(r.out().trim()).getAsJsonObject();
        assertEquals("CONTEXT_FULL", json.get("finishReason").getAsString());
        assertEquals(38, json.getAsJsonArray("tokens").size(), "3 prompt + 37 fed fill 40; the last is not fed");
    }

    @Test
    void logitsCommandWritesTheFullSequenceLogits(@TempDir Path tmp) {
        Path out = tmp.resolve("logits.safetensors");
        try (SafetensorsCheckpoint expected = SafetensorsCheckpoint.openFile(GQA.resolve("expected.safetensors"))) {
            long[] ids = expected.readLongs("input_ids.short");
            Run r = run("logits", "--model", GQA.toString(), "--ids", ids(ids), "--out", out.toString());
            assertEquals(0, r.exit(), r.err());
            float[] want = expected.readFloats("logits.short");
            try (SafetensorsCheckpoint got = SafetensorsCheckpoint.openFile(out)) {
                assertArrayEquals(new long[] {ids.length, 1024}, got.info("logits").shape());
                float[] values = got.readFloats("logits");
                double err = IntStream.range(0, want.length).mapToDouble(i -> Math.abs(values[i] - want[i])).max()
                        .orElseThrow();
                assertTrue(err <= 1e-4, "max error " + err);
            }
        }
    }

    @Test
    void textPromptStreamsTextAndStopsAtAStopString() {
        Path model = sharedFixture("conformance/hf-llama/mqa-llama2vocab-fp16");
        Run plain = run("generate", "--model", model.toString(), "--tokenizer", LLAMA2_TOKENIZER.toString(),
                "--prompt", "The moon is", "--max-new-tokens", "12", "--temperature", "0", "--json");
        assertEquals(0, plain.exit(), plain.err());
        JsonObject json = JsonParser.parseString(plain.out().trim()).getAsJsonObject();
        String text = json.get("text").getAsString();
        assertEquals(12, json.getAsJsonArray("tokens").size());
        assertTrue(text.length() > 3, text);
        // stop at a piece of the text it produced: the result ends right before it
        String stop = text.substring(text.length() / 2, text.length() / 2 + 2);
        Run stopped = run("generate", "--model", model.toString(), "--tokenizer", LLAMA2_TOKENIZER.toString(),
                "--prompt", "The moon is", "--max-new-tokens", "12", "--temperature", "0", "--stop", stop, "--json");
        JsonObject s = JsonParser.parseString(stopped.out().trim()).getAsJsonObject();
        assertEquals("STOP_STRING", s.get("finishReason").getAsString());
        assertEquals(text.substring(0, text.indexOf(stop)), s.get("text").getAsString());
    }

    @Test
    void errorsAreOneLineWithNonZeroExit(@TempDir Path tmp) {
        Run missing = run("generate", "--model", tmp.resolve("none").toString(), "--prompt-ids", "1");
        assertEquals(1, missing.exit());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        assertTrue(missing.err().startsWith("ivl: error: ") && missing.err().contains("config.json"), missing.err());

        Run mismatch = run("generate", "--model", GQA.toString(), "--tokenizer", LLAMA2_TOKENIZER.toString(),
                "--prompt", "hi");
        assertEquals(1, mismatch.exit());
        assertTrue(mismatch.err().contains("32000") && mismatch.err().contains("1024"), mismatch.err());

        Run badParam = run("generate", "--model", GQA.toString(), "--prompt-ids", "1", "--top-p", "0");
        assertEquals(1, badParam.exit());
        assertTrue(badParam.err().contains("topP") && badParam.err().contains("0.0"), badParam.err());

        Run badId = run("generate", "--model", GQA.toString(), "--prompt-ids", "1,5000");
        assertEquals(1, badId.exit());
        assertTrue(badId.err().contains("5000"), badId.err());

        Run noTokenizer = run("generate", "--model", GQA.toString(), "--prompt", "hello");
        assertEquals(1, noTokenizer.exit());
        assertTrue(noTokenizer.err().contains("tokenizer.json"), noTokenizer.err());
    }

    @Test
    void aBadOptionPrintsOneLineAndAHintInsteadOfTheUsage() {
        Run unknown = run("generate", "--model", "m", "--prompt", "hi", "--top_p", "0.5");
        assertEquals(2, unknown.exit());
        assertEquals(2, unknown.err().strip().lines().count(), unknown.err());
        List<String> lines = unknown.err().strip().lines().toList();
        assertEquals("ivl: error: Unknown options: '--top_p', '0.5'", lines.get(0));
        assertEquals("Did you mean --tokenizer or --top-k or --top-p? Try 'ivl generate --help'.", lines.get(1));
        Run badValue = run("chat", "--model", "m", "--temperature", "warm");
        assertEquals(2, badValue.exit());
        assertEquals(2, badValue.err().strip().lines().count(), badValue.err());
        assertTrue(badValue.err().contains("'warm'"), badValue.err());
        assertTrue(badValue.err().strip().endsWith("Try 'ivl chat --help'."), badValue.err());
    }

    static Path sharedFixture(String relative) {
        String dir = System.getProperty("ivl.shared.dir");
        Path p = dir == null ? null : Path.of(dir).resolve(relative);
        assumeTrue(p != null && Files.exists(p), "shared material not available: " + p);
        return p;
    }
}
