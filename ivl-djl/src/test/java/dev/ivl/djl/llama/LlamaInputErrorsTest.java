package dev.ivl.djl.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.ModelFormatException;
import dev.ivl.djl.testutil.Fixtures;
import dev.ivl.djl.weights.SafetensorsCheckpoint;
import dev.ivl.djl.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad checkpoints and bad inputs end in a typed exception naming the file, tensor or field, never a crash. */
class LlamaInputErrorsTest {
    static final Path MHA = Fixtures.path("hf-llama/mha");

    @TempDir
    Path tmp;

    /** Copies the mha fixture into tmp, rewriting config.json and keeping only the tensors {@code keep} accepts. */
    Path variant(String configJson, Predicate<String> keep) throws IOException {
        Path dir = tmp.resolve("model");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), configJson);
        SafetensorsWriter writer = new SafetensorsWriter();
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(MHA)) {
            for (String name : ckpt.names()) {
                if (keep.test(name)) {
                    writer.add(name, ckpt.readFloats(name), ckpt.info(name).shape(), "F32");
                }
            }
        }
        writer.write(dir.resolve("model.safetensors"));
        return dir;
    }

    String config() throws IOException {
        return Files.readString(MHA.resolve("config.json"));
    }

    @Test
    void missingFolderOrConfigNamesThePath() {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(tmp.resolve("nowhere")));
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    }

    @Test
    void missingWeightsNameTheFolder() throws IOException {
        Files.writeString(tmp.resolve("config.json"), config());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(tmp));
        assertTrue(e.getMessage().contains(tmp.toString()) && e.getMessage().contains("safetensors"), e.getMessage());
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        Path dir = variant(config(), n -> !n.equals("model.layers.1.mlp.down_proj.weight"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(dir));
        assertTrue(e.getMessage().contains("model.layers.1.mlp.down_proj.weight"), e.getMessage());
    }

    @Test
    void untiedModelWithoutLmHeadIsRefused() throws IOException {
        Path dir = variant(config(), n -> !n.equals("lm_head.weight"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(dir));
        assertTrue(e.getMessage().contains("lm_head.weight"), e.getMessage());
    }

    @Test
    void tensorShapeThatDisagreesWithConfigIsNamed() throws IOException {
        Path dir = variant(config().replace("\"intermediate_size\": 176", "\"intermediate_size\": 180"), n -> true);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(dir));
        assertTrue(e.getMessage().contains("model.layers.0.mlp.gate_proj.weight")
                && e.getMessage().contains("[176, 64]") && e.getMessage().contains("[180, 64]"), e.getMessage());
        assertEquals(dir.resolve("model.safetensors"), e.file());
    }

    @Test
    void unsupportedArchitectureAndRopeTypeAreNamed() throws IOException {
        Path arch = variant(config().replace("LlamaForCausalLM", "MistralForCausalLM"), n -> true);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(arch));
        assertTrue(e.getMessage().contains("MistralForCausalLM"), e.getMessage());

        Files.writeString(arch.resolve("config.json"), config().replace("\"rope_theta\": 10000.0,",
                "\"rope_theta\": 10000.0, \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0},"));
        e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(arch));
        assertTrue(e.getMessage().contains("rope_type") && e.getMessage().contains("yarn"), e.getMessage());
    }

    @Test
    void truncatedWeightsAreAFormatErrorNotACrash() throws IOException {
        Path dir = variant(config(), n -> true);
        Path file = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 1000));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(dir));
        assertEquals(file, e.file());
    }

    @Test
    void tokenIdsOutOfRangeAndOverlongInputAreRefused() {
        try (LlamaModel model = LlamaModel.load(MHA, LoadOptions.builder().maxSequenceLength(8).build());
                LlamaSession s = model.newSession()) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> s.append(1, 1024));
            assertTrue(e.getMessage().contains("1024") && e.getMessage().contains("[0, 1024)"), e.getMessage());
            assertThrows(InvalidInputException.class, () -> s.append(-1));
            assertThrows(InvalidInputException.class, () -> s.append());
            e = assertThrows(InvalidInputException.class, () -> s.append(new int[9]));
            assertTrue(e.getMessage().contains("context of 8"), e.getMessage());
            assertEquals(0, s.position(), "a refused append leaves the session as it was");
            s.append(new int[8]);
            assertThrows(InvalidInputException.class, () -> s.append(3));
            assertThrows(InvalidInputException.class, () -> s.rewind(9));
            assertThrows(InvalidInputException.class, () -> s.rewind(-1));
        }
    }

    @Test
    void invalidLoadOptionsNameTheParameter() {
        assertEquals("device", assertThrows(IllegalParameterException.class,
                () -> LoadOptions.builder().device("tpu").build()).parameter());
        assertEquals("device", assertThrows(IllegalParameterException.class,
                () -> LoadOptions.builder().device("gpu:7").build()).parameter());
        assertEquals("dtype", assertThrows(IllegalParameterException.class,
                () -> LoadOptions.parseDtype("bf16")).parameter());
        assertEquals("prefillChunk", assertThrows(IllegalParameterException.class,
                () -> LoadOptions.builder().prefillChunk(0).build()).parameter());
    }

    @Test
    void closedSessionRefusesUse() {
        try (LlamaModel model = LlamaModel.load(MHA)) {
            LlamaSession s = model.newSession();
            s.close();
            s.close();
            assertThrows(dev.ivl.core.IvlException.class, () -> s.append(1));
        }
    }
}
