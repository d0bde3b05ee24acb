package dev.ivl.djl.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reads the Hugging Face reference checkpoints and compares every tensor with an independent decoding of the file
 * ({@link RawSafetensors}) and with the engine's own dtype conversions.
 */
class SafetensorsTest {
    private static NDManager manager;

    @BeforeAll
    static void createManager() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void closeManager() {
        manager.close();
    }

    static Path sharedFixture(String name) {
        Path dir = Path.of(System.getProperty("ivl.shared.dir", "../shared"), "conformance", "hf-llama", name);
        assumeTrue(Files.isDirectory(dir), "shared conformance fixtures not present: " + dir);
        return dir;
    }

    static Path localFixture(String name) {
        Path dir = Path.of(System.getProperty("ivl.fixtures.dir"), "hf-llama", name);
        assertTrue(Files.isDirectory(dir), "missing project fixture " + dir);
        return dir;
    }

    static Stream<String> fixtures() {
        return Stream.of("mha", "gqa-tied", "mqa-llama2vocab-fp16", "gqa-bf16", "sharded-deep");
    }

    /** The LLaMA tensor names and shapes that {@code config.json} implies, written out from the architecture. */
    static Map<String, long[]> expectedShapes(Path dir) throws IOException {
        JsonObject c = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
        long v = c.get("vocab_size").getAsLong();
        long h = c.get("hidden_size").getAsLong();
        long i = c.get("intermediate_size").getAsLong();
        long heads = c.get("num_attention_heads").getAsLong();
        long kv = c.get("num_key_value_heads").getAsLong();
        long d = h / heads;
        Map<String, long[]> shapes = new TreeMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {v, h});
        shapes.put("model.norm.weight", new long[] {h});
        if (!c.get("tie_word_embeddings").getAsBoolean()) {
            shapes.put("lm_head.weight", new long[] {v, h});
        }
        for (int layer = 0; layer < c.get("num_hidden_layers").getAsInt(); layer++) {
            String p = "model.layers." + layer + ".";
            shapes.put(p + "input_layernorm.weight", new long[] {h});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {h});
            shapes.put(p + "self_attn.q_proj.weight", new long[] {heads * d, h});
            shapes.put(p + "self_attn.k_proj.weight", new long[] {kv * d, h});
            shapes.put(p + "self_attn.v_proj.weight", new long[] {kv * d, h});
            shapes.put(p + "self_attn.o_proj.weight", new long[] {h, heads * d});
            shapes.put(p + "mlp.gate_proj.weight", new long[] {i, h});
            shapes.put(p + "mlp.up_proj.weight", new long[] {i, h});
            shapes.put(p + "mlp.down_proj.weight", new long[] {h, i});
        }
        return shapes;
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void everyTensorOfAReferenceCheckpointLoadsAsFloat32WithItsShapeAndExactValues(String fixture) throws IOException {
        Path dir = sharedFixture(fixture);
        Map<String, long[]> expected = expectedShapes(dir);
        Map<Path, RawSafetensors> raw = new TreeMap<>();
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir);
                NDManager scope = manager.newSubManager()) {
            assertEquals(expected.keySet(), checkpoint.names());
            for (String name : checkpoint.names()) {
                TensorInfo info = checkpoint.info(name);
                assertArrayEquals(expected.get(name), info.shape(), name);
                NDArray array = checkpoint.load(name, scope, DataType.FLOAT32);
                assertEquals(DataType.FLOAT32, array.getDataType());
                assertEquals(new Shape(expected.get(name)), array.getShape(), name);
                RawSafetensors file = raw.computeIfAbsent(info.file(), RawSafetensors::read);
                assertArrayEquals(file.floats(name), array.toFloatArray(), 0f, name);
                array.close();
            }
        }
    }

    @Test
    void bf16WeightsDecodeExactlyAndAreNotAllZero() throws IOException {
        Path dir = sharedFixture("gqa-bf16");
        RawSafetensors raw = RawSafetensors.read(dir.resolve("model.safetensors"));
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir)) {
            String name = "model.layers.1.mlp.down_proj.weight";
            assertEquals("BF16", checkpoint.info(name).dtype());
            float[] values = checkpoint.load(name, manager, DataType.FLOAT32).toFloatArray();
            assertArrayEquals(raw.floats(name), values, 0f);
            assertArrayEquals(values, checkpoint.readFloats(name), 0f);
            // a bf16 value is a float whose low 16 bits are zero; random weights use the high ones
            assertTrue(Arrays.stream(toDoubles(values)).allMatch(x -> (Float.floatToIntBits((float) x) & 0xffff) == 0));
            assertTrue(Arrays.stream(toDoubles(values)).filter(x -> x != 0).count() > values.length / 2);
        }
    }

    @Test
    void f16WeightsLoadAsFloat16BitForBitAndAsFloat32LikeTheEngineConvertsThem() {
        Path dir = sharedFixture("mqa-llama2vocab-fp16");
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir);
                NDManager scope = manager.newSubManager()) {
            String name = "model.embed_tokens.weight";
            assertEquals("F16", checkpoint.info(name).dtype());
            NDArray half = checkpoint.load(name, scope, DataType.FLOAT16);
            NDArray full = checkpoint.load(name, scope, DataType.FLOAT32);
            assertEquals(DataType.FLOAT16, half.getDataType());
            assertEquals(new Shape(32000, 32), half.getShape());
            assertArrayEquals(half.toType(DataType.FLOAT32, true).toFloatArray(), full.toFloatArray(), 0f);
        }
    }

    @Test
    void f32AndBf16WeightsLoadAsFloat16RoundedLikeTheEngineRoundsThem() {
        for (String fixture : new String[] {"gqa-bf16", "mha"}) {
            Path dir = fixture.equals("mha") ? localFixture(fixture) : sharedFixture(fixture);
            try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir);
                    NDManager scope = manager.newSubManager()) {
                for (String name : checkpoint.names()) {
                    NDArray half = checkpoint.load(name, scope, DataType.FLOAT16);
                    NDArray reference = checkpoint.load(name, scope, DataType.FLOAT32).toType(DataType.FLOAT16, true);
                    assertArrayEquals(reference.toType(DataType.FLOAT32, true).toFloatArray(),
                            half.toType(DataType.FLOAT32, true).toFloatArray(), 0f, fixture + " " + name);
                }
            }
        }
    }

    @Test
    void theShardedCheckpointResolvesTensorsFromBothShards() throws IOException {
        Path dir = sharedFixture("sharded-deep");
        JsonObject index = JsonParser.parseString(Files.readString(dir.resolve("model.safetensors.index.json")))
                .getAsJsonObject().getAsJsonObject("weight_map");
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir)) {
            assertEquals(index.keySet(), checkpoint.names());
            Set<Path> files = new HashSet<>();
            for (String name : checkpoint.names()) {
                Path file = checkpoint.info(name).file();
                assertEquals(index.get(name).getAsString(), file.getFileName().toString(), name);
                files.add(file);
            }
            assertEquals(2, files.size());
            assertEquals(Map.of("format", "pt"), checkpoint.metadata());
        }
    }

    @Test
    void theProjectsOwnFixturesLoadWithoutTheSharedFolder() throws IOException {
        for (String fixture : new String[] {"mha", "gqa-tied"}) {
            Path dir = localFixture(fixture);
            RawSafetensors raw = RawSafetensors.read(dir.resolve("model.safetensors"));
            try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir);
                    NDManager scope = manager.newSubManager()) {
                assertEquals(expectedShapes(dir).keySet(), checkpoint.names());
                for (String name : checkpoint.names()) {
                    assertArrayEquals(raw.floats(name), checkpoint.load(name, scope, DataType.FLOAT32).toFloatArray(),
                            0f, name);
                }
            }
        }
    }

    @Test
    void loadedArraysOwnTheirMemory() {
        Path dir = localFixture("mha");
        RawSafetensors raw = RawSafetensors.read(dir.resolve("model.safetensors"));
        String embed = "model.embed_tokens.weight";
        String head = "lm_head.weight";
        float[] original = raw.floats(embed);
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir);
                NDManager scope = manager.newSubManager()) {
            NDArray first = checkpoint.load(embed, scope, DataType.FLOAT32);
            first.addi(1f); // writable: not a view of a read-only file mapping
            NDArray other = checkpoint.load(head, scope, DataType.FLOAT32); // reuses the staging buffers
            assertArrayEquals(raw.floats(head), other.toFloatArray(), 0f);
            float[] plusOne = new float[original.length];
            for (int i = 0; i < plusOne.length; i++) {
                plusOne[i] = original[i] + 1f;
            }
            assertArrayEquals(plusOne, first.toFloatArray(), 0f, "the first array was overwritten");
            assertArrayEquals(original, checkpoint.load(embed, scope, DataType.FLOAT32).toFloatArray(), 0f,
                    "the file or a shared buffer was modified");
            first.close();
            assertArrayEquals(raw.floats(head), other.toFloatArray(), 0f);
        }
        assertArrayEquals(original, RawSafetensors.read(dir.resolve("model.safetensors")).floats(embed), 0f);
    }

    @Test
    void tensorsLargerThanOneChunkAreAssembledInOrder(@TempDir Path tmp) {
        // 4200 rows of 1024 four-byte values exceed the 16 MiB staging chunk, so they load in two slices
        int rows = 4200;
        int cols = 1024;
        assertTrue((long) rows * cols * 4 > TensorLoader.CHUNK_BYTES);
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (i % 9973) * 0.25f - (i / cols);
        }
        Path file = tmp.resolve("big.safetensors");
        new SafetensorsWriter()
                .add("f32", values, new long[] {rows, cols}, "F32")
                .add("bf16", values, new long[] {rows, cols}, "BF16")
                .add("f16", values, new long[] {rows, 8, cols / 8}, "F16")
                .write(file);
        RawSafetensors raw = RawSafetensors.read(file);
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.openFile(file);
                NDManager scope = manager.newSubManager()) {
            for (String name : new String[] {"f32", "bf16", "f16"}) {
                NDArray array = checkpoint.load(name, scope, DataType.FLOAT32);
                assertEquals(new Shape(checkpoint.info(name).shape()), array.getShape());
                assertArrayEquals(raw.floats(name), array.toFloatArray(), 0f, name);
                array.close();
            }
            assertArrayEquals(values, raw.floats("f32"), 0f);
            NDArray half = checkpoint.load("f32", scope, DataType.FLOAT16);
            assertArrayEquals(raw.floats("f16"), half.toType(DataType.FLOAT32, true).toFloatArray(), 0f);
        }
    }

    @Test
    void tensorsPastTwoGibibytesLoad(@TempDir Path tmp) throws IOException {
        // a sparse file: 2^31 + 8 bytes of U8 padding (a hole on disk), then four F32 values
        long pad = (1L << 31) + 8;
        String header = "{\"pad\": {\"dtype\": \"U8\", \"shape\": [" + pad + "], \"data_offsets\": [0, " + pad
                + "]}, \"tail\": {\"dtype\": \"F32\", \"shape\": [2, 2], \"data_offsets\": [" + pad + ", "
                + (pad + 16) + "]}}";
        byte[] text = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Path file = tmp.resolve("sparse.safetensors");
        try (java.io.RandomAccessFile out = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            out.write(java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .putLong(text.length).array());
            out.write(text);
            out.seek(8 + text.length + pad);
            java.nio.ByteBuffer tail = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            tail.putFloat(1.5f).putFloat(-2f).putFloat(3.25f).putFloat(1e-7f);
            out.write(tail.array());
        }
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.openFile(file);
                NDManager scope = manager.newSubManager()) {
            assertTrue(checkpoint.info("tail").offsetStart() > Integer.MAX_VALUE);
            NDArray tail = checkpoint.load("tail", scope, DataType.FLOAT32);
            assertEquals(new Shape(2, 2), tail.getShape());
            assertArrayEquals(new float[] {1.5f, -2f, 3.25f, 1e-7f}, tail.toFloatArray(), 0f);
            assertMessage(assertThrows(ModelFormatException.class, () -> checkpoint.load("pad", scope,
                    DataType.FLOAT32)), "pad", "U8");
        }
    }

    @Test
    void integerTensorsAreReadAsLongsButNotLoadedAsFloats() {
        Path file = localFixture("gqa-tied").resolve("expected.safetensors");
        RawSafetensors raw = RawSafetensors.read(file);
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.openFile(file)) {
            assertEquals("I64", checkpoint.info("input_ids.short").dtype());
            long[] ids = checkpoint.readLongs("input_ids.short");
            assertArrayEquals(raw.longs("input_ids.short"), ids);
            assertEquals(17, ids.length);
            assertTrue(Arrays.stream(ids).allMatch(id -> id >= 0 && id < 1024));
            assertArrayEquals(raw.floats("logits.one"), checkpoint.readFloats("logits.one"), 0f);

            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> checkpoint.load("input_ids.short", manager, DataType.FLOAT32));
            assertMessage(e, "expected.safetensors", "input_ids.short", "I64");
            assertMessage(assertThrows(ModelFormatException.class, () -> checkpoint.readFloats("greedy.output")),
                    "greedy.output", "I64");
            assertMessage(assertThrows(ModelFormatException.class, () -> checkpoint.readLongs("logits.one")),
                    "logits.one", "F32");
        }
    }

    @Test
    void unknownTensorsOtherTargetsAndClosedCheckpointsAreRejected() {
        Path dir = localFixture("mha");
        SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir);
        assertFalse(checkpoint.contains("model.layers.9.mlp.up_proj.weight"));
        String absent = "model.layers.9.mlp.up_proj.weight";
        assertMessage(assertThrows(ModelFormatException.class, () -> checkpoint.info(absent)), "model.safetensors",
                absent);
        IllegalParameterException e = assertThrows(IllegalParameterException.class,
                () -> checkpoint.load("model.norm.weight", manager, DataType.INT64));
        assertEquals("target", e.parameter());
        checkpoint.close();
        assertThrows(IllegalStateException.class,
                () -> checkpoint.load("model.norm.weight", manager, DataType.FLOAT32));
    }

    static void assertMessage(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "'" + e.getMessage() + "' does not mention '" + part + "'");
        }
    }

    private static double[] toDoubles(float[] values) {
        double[] d = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            d[i] = values[i];
        }
        return d;
    }
}
