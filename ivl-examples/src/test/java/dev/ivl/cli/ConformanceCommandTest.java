package dev.ivl.cli;

import static dev.ivl.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ivl conformance} on the fixtures shipped with the project, on the CPU. */
class ConformanceCommandTest {
    static final Path HF_LLAMA = CliTest.FIXTURES.resolve("hf-llama");

    @Test
    void theShippedFixturesPassInFloat32ByDefault(@TempDir Path cache) {
        CliTest.Run r = run("conformance", "--cache", cache.toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        JsonObject json = JsonParser.parseString(r.out().trim()).getAsJsonObject();
        assertEquals("f32", json.get("dtype").getAsString());
        assertTrue(json.get("pass").getAsBoolean());
        List<JsonObject> fixtures = StreamSupport.stream(json.getAsJsonArray("fixtures").spliterator(), false)
                .map(JsonElement::getAsJsonObject).toList();
        // the shipped folder holds expected outputs for mha and gqa-tied (mqa's come with ../shared only)
        assertEquals(List.of("gqa-tied", "mha"), fixtures.stream().map(f -> f.get("name").getAsString()).toList());
        for (JsonObject f : fixtures) {
            assertEquals(24, f.get("greedyMatched").getAsInt());
            for (String seq : ConformanceCommand.SEQUENCES) {
                assertTrue(f.getAsJsonObject("maxDelta").get(seq).getAsDouble() <= 1e-4, f.toString());
            }
        }
    }

    @Test
    void aTolerance0FailsWithExit1AndSaysWhich() {
        CliTest.Run r = run("conformance", "--fixtures", HF_LLAMA.resolve("mha").toString(), "--tolerance", "0");
        assertEquals(1, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("FAIL") && r.out().contains("mha"), r.out());
    }

    @Test
    void float16ComputeReportsDifferencesWithoutAVerdict() {
        CliTest.Run r = run("conformance", "--fixtures", HF_LLAMA.resolve("gqa-tied").toString(), "--dtype", "f16",
                "--json");
        assertEquals(0, r.exit(), r.err());
        JsonObject json = JsonParser.parseString(r.out().trim()).getAsJsonObject();
        assertEquals("f16", json.get("dtype").getAsString());
        assertTrue(json.get("pass").isJsonNull());
        JsonObject f = json.getAsJsonArray("fixtures").get(0).getAsJsonObject();
        assertTrue(f.get("pass").isJsonNull());
        assertTrue(f.getAsJsonObject("maxDelta").get("long").getAsDouble() > 0);
    }

    @Test
    void aCorruptedExpectedFileIsAOneLineErrorNamingIt(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("mha");
        Files.createDirectories(dir);
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(HF_LLAMA.resolve("mha").resolve(f), dir.resolve(f));
        }
        Path expected = dir.resolve(ConformanceCommand.EXPECTED);
        byte[] bytes = Files.readAllBytes(HF_LLAMA.resolve("mha").resolve(ConformanceCommand.EXPECTED));
        Files.write(expected, java.util.Arrays.copyOf(bytes, 1000)); // cut short: the header says more
        CliTest.Run r = run("conformance", "--fixtures", dir.toString());
        assertEquals(1, r.exit(), r.err());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), err);
        assertTrue(err.startsWith("ivl: error: ") && err.contains(expected.toString()), err);
    }
}
