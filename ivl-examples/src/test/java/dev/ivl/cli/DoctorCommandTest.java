package dev.ivl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code ivl doctor} on this CPU-only build: the report, the verdict line, and the exit code per device. */
class DoctorCommandTest {
    static String lastLine(String out) {
        List<String> lines = out.strip().lines().toList();
        return lines.get(lines.size() - 1);
    }

    @Test
    void reportsTheCpuNativeAndEndsWithTheVerdict() {
        CliTest.Run r = CliTest.run("doctor");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("PyTorch:   2.7.1, flavour cpu (no CUDA)"), r.out());
        assertTrue(r.out().contains("from the pytorch-native jar on the classpath (pytorch-native-cpu-"), r.out());
        assertTrue(r.out().contains("2.7.1-0.36.0"), r.out()); // the pytorch-jni jar
        assertTrue(lastLine(r.out()).startsWith("CPU only, because the PyTorch native is the CPU build"), r.out());
    }

    @Test
    void gpuThatCannotBeUsedExitsOneWithTheDiagnosis() {
        CliTest.Run r = CliTest.run("doctor", "--device", "gpu");
        assertEquals(IvlCommand.EXIT_INPUT, r.exit(), r.out());
        assertTrue(lastLine(r.out()).startsWith("CPU only, because "), r.out());
        assertEquals(0, CliTest.run("doctor", "--device", "cpu").exit());
    }

    @Test
    void jsonCarriesTheFactsAndTheVerdict() {
        CliTest.Run r = CliTest.run("doctor", "--json", "--device", "gpu:1");
        assertEquals(IvlCommand.EXIT_INPUT, r.exit(), r.out());
        JsonObject json = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals("gpu:1", json.get("device").getAsString());
        assertEquals("CLASSPATH_JAR", json.getAsJsonObject("facts").getAsJsonObject("nativeLibrary")
                .get("source").getAsString());
        JsonObject verdict = json.getAsJsonObject("verdict");
        assertFalse(verdict.get("ready").getAsBoolean());
        assertTrue(verdict.get("line").getAsString().startsWith("CPU only, because "), r.out());
    }

    @Test
    void unknownDeviceIsAOneLineError() {
        CliTest.Run r = CliTest.run("doctor", "--device", "tpu");
        assertEquals(IvlCommand.EXIT_INPUT, r.exit());
        assertEquals("ivl: error: --device must be cpu, gpu or gpu:<index>, got tpu", r.err().strip());
    }

    @Test
    void gpuOptionOfAModelCommandFailsWithTheSameDiagnosis() {
        CliTest.Run r = CliTest.run("logits", "--model", CliTest.GQA.toString(), "--ids", "1,2", "--out",
                "unused.safetensors", "--device", "gpu");
        assertEquals(IvlCommand.EXIT_INPUT, r.exit());
        assertTrue(r.err().startsWith("ivl: error: device gpu: CPU only, because the PyTorch native is the CPU build"),
                r.err());
    }
}
