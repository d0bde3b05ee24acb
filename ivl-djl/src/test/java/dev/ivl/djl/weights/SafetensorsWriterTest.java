package dev.ivl.djl.weights;

import static dev.ivl.djl.weights.SafetensorsTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.ivl.core.IllegalParameterException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files written by SafetensorsWriter read back equal, by the production reader and by the independent one. */
class SafetensorsWriterTest {
    private static NDManager manager;

    @TempDir
    Path tmp;

    @BeforeAll
    static void createManager() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void closeManager() {
        manager.close();
    }

    @Test
    void int32ArraysRoundTripExactlyBesideFloats() {
        // more than one 1 MiB chunk of ints, with the extremes and signs
        int[] ints = new int[300_000];
        for (int i = 0; i < ints.length; i++) {
            ints[i] = (i % 3 == 0 ? -1 : 1) * i * 7919;
        }
        ints[1] = Integer.MIN_VALUE;
        ints[2] = Integer.MAX_VALUE;
        float[] floats = {0.5f, -2f, 3.25f};
        Path file = tmp.resolve("ints.safetensors");
        new SafetensorsWriter().add("ids", ints, new long[] {1000, 300}).add("w", floats, new long[] {3}, "F32")
                .write(file);
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.openFile(file)) {
            assertEquals("I32", checkpoint.info("ids").dtype());
            assertArrayEquals(new long[] {1000, 300}, checkpoint.info("ids").shape());
            long[] read = checkpoint.readLongs("ids");
            for (int i = 0; i < ints.length; i++) {
                assertEquals(ints[i], read[i], "element " + i);
            }
            assertArrayEquals(floats, checkpoint.readFloats("w"));
        }
        assertMessage(assertThrows(IllegalParameterException.class,
                () -> new SafetensorsWriter().add("ids", new int[5], new long[] {2, 3})), "shape of tensor 'ids'");
    }

    @Test
    void float32AndFloat16ArraysRoundTripExactly() throws IOException {
        try (NDManager scope = manager.newSubManager()) {
            NDArray f32 = scope.randomNormal(0, 3, new Shape(37, 5, 3), DataType.FLOAT32);
            NDArray f16 = scope.randomNormal(0, 3, new Shape(11, 7), DataType.FLOAT32).toType(DataType.FLOAT16, true);
            NDArray transposed = scope.arange(0f, 12f).reshape(3, 4).transpose(); // not contiguous
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            tensors.put("weights.f32", f32);
            tensors.put("weights.f16", f16);
            tensors.put("transposed", transposed);
            Path file = tmp.resolve("sub/dir/model.safetensors");
            SafetensorsWriter.write(file, tensors, Map.of("format", "pt", "note", "ivl test"));
            try (var left = Files.list(tmp.resolve("sub/dir"))) {
                assertEquals(List.of("model.safetensors"), left.map(p -> p.getFileName().toString()).toList(),
                        "no temporary file left");
            }

            try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.openFile(file)) {
                assertEquals(Map.of("format", "pt", "note", "ivl test"), checkpoint.metadata());
                assertEquals("F32", checkpoint.info("weights.f32").dtype());
                assertEquals("F16", checkpoint.info("weights.f16").dtype());
                NDArray back32 = checkpoint.load("weights.f32", scope, DataType.FLOAT32);
                assertEquals(f32.getShape(), back32.getShape());
                assertArrayEquals(f32.toFloatArray(), back32.toFloatArray(), 0f);
                NDArray back16 = checkpoint.load("weights.f16", scope, DataType.FLOAT16);
                assertEquals(DataType.FLOAT16, back16.getDataType());
                assertArrayEquals(f16.toType(DataType.FLOAT32, true).toFloatArray(),
                        back16.toType(DataType.FLOAT32, true).toFloatArray(), 0f);
                NDArray backTransposed = checkpoint.load("transposed", scope, DataType.FLOAT32);
                assertEquals(new Shape(4, 3), backTransposed.getShape());
                assertArrayEquals(new float[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, backTransposed.toFloatArray(),
                        0f);
            }
            RawSafetensors raw = RawSafetensors.read(file);
            assertArrayEquals(f32.toFloatArray(), raw.floats("weights.f32"), 0f);
            assertArrayEquals(f16.toType(DataType.FLOAT32, true).toFloatArray(), raw.floats("weights.f16"), 0f);
        }
    }

    @Test
    void theLayoutIsStandard() {
        Path file = tmp.resolve("layout.safetensors");
        new SafetensorsWriter()
                .add("half", new float[] {1, 2, 3}, new long[] {3}, "F16")
                .add("a.full", new float[] {1, 2, 3}, new long[] {1, 3}, "F32")
                .add("b.full", new float[] {4}, new long[] {1}, "F32")
                .putMetadata("format", "pt")
                .write(file);
        RawSafetensors raw = RawSafetensors.read(file);
        assertEquals(0, raw.headerLength % 8, "header padded to 8 bytes");
        assertEquals(Map.of("format", "pt"), raw.metadata);
        // wider types first, then by name; contiguous data from offset 0
        assertEquals(List.of("a.full", "b.full", "half"), List.copyOf(raw.entries.keySet()));
        assertEquals(0, raw.entries.get("a.full").start());
        assertEquals(12, raw.entries.get("b.full").start());
        assertEquals(16, raw.entries.get("half").start());
        assertEquals(22, raw.entries.get("half").end());
        assertEquals(raw.bytes.length, 8 + raw.headerLength + 22);
        assertEquals(' ', raw.bytes[(int) (8 + raw.headerLength - 1)]);
    }

    @Test
    void javaFloatsRoundTripInEachStoredType() {
        float[] values = {0f, -0f, 1f, -2.5f, 3.14159265f, 1e-3f, 65504f, 1e5f, 6e-8f, 1e-30f, Float.POSITIVE_INFINITY};
        Path file = tmp.resolve("floats.safetensors");
        new SafetensorsWriter()
                .add("f32", values, new long[] {values.length}, "F32")
                .add("f16", values, new long[] {values.length}, "F16")
                .add("bf16", values, new long[] {values.length}, "BF16")
                .write(file);
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.openFile(file);
                NDManager scope = manager.newSubManager()) {
            assertArrayEquals(values, checkpoint.readFloats("f32"), 0f);
            // F16 as the engine rounds float32 to float16
            float[] engineF16 = scope.create(values).toType(DataType.FLOAT16, true).toType(DataType.FLOAT32, true)
                    .toFloatArray();
            assertArrayEquals(engineF16, checkpoint.readFloats("f16"), 0f);
            assertArrayEquals(engineF16, checkpoint.load("f16", scope, DataType.FLOAT32).toFloatArray(), 0f);
            // BF16 keeps float's range with 8 significant bits; each expected value is the nearer of the two bf16
            // neighbours of the float (the floats with the low 16 bits cleared, and the next one up)
            float[] bf16 = checkpoint.readFloats("bf16");
            assertArrayEquals(new float[] {0f, -0f, 1f, -2.5f, 3.140625f, 0.00099945068359375f, 65536f, 99840f,
                    6.007030606269836e-08f, 9.98402083170343e-31f, Float.POSITIVE_INFINITY}, bf16, 0f);
        }
    }

    @Test
    void bf16RoundsTiesToEven() {
        // 1 + 2^-8 lies halfway between the bf16 neighbours 1 and 1 + 2^-7: the even one is 1;
        // 1 + 3·2^-8 lies halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even)
        float[] values = {1 + 0x1p-8f, 1 + 3 * 0x1p-8f, 1 + 0x1p-8f + 0x1p-20f};
        Path file = tmp.resolve("ties.safetensors");
        new SafetensorsWriter().add("t", values, new long[] {3}, "BF16").write(file);
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.openFile(file)) {
            assertArrayEquals(new float[] {1f, 1 + 0x1p-6f, 1 + 0x1p-7f}, checkpoint.readFloats("t"), 0f);
        }
    }

    @Test
    void scalarsAndEmptyTensorsRoundTrip() {
        Path file = tmp.resolve("edge.safetensors");
        new SafetensorsWriter()
                .add("scalar", new float[] {42f}, new long[0], "F32")
                .add("empty", new float[0], new long[] {0, 4}, "F16")
                .write(file);
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.openFile(file);
                NDManager scope = manager.newSubManager()) {
            NDArray scalar = checkpoint.load("scalar", scope, DataType.FLOAT32);
            assertEquals(new Shape(), scalar.getShape());
            assertEquals(42f, scalar.getFloat());
            NDArray empty = checkpoint.load("empty", scope, DataType.FLOAT32);
            assertEquals(new Shape(0, 4), empty.getShape());
        }
    }

    @Test
    void streamedTensorsAreAskedForConsecutiveBoundedChunksAndRoundTrip() {
        // 600,001 elements: more than one chunk in either stored type, and not a multiple of a chunk
        int n = 600_001;
        long[] fullShape = {n};
        List<long[]> calls32 = new java.util.ArrayList<>();
        List<long[]> calls16 = new java.util.ArrayList<>();
        Path file = tmp.resolve("streamed.safetensors");
        new SafetensorsWriter()
                .add("s32", fullShape, "F32", recording(calls32))
                .add("s16", new long[] {1, n}, "F16", recording(calls16))
                .add("empty", new long[] {0, 7}, "F32", (offset, chunk, length) -> {
                    throw new AssertionError("asked for elements of an empty tensor");
                })
                .write(file);
        assertChunks(calls32, n, 1 << 18);
        assertChunks(calls16, n, 1 << 19);
        RawSafetensors raw = RawSafetensors.read(file);
        assertArrayEquals(new long[] {n}, raw.entries.get("s32").shape());
        assertArrayEquals(new long[] {1, n}, raw.entries.get("s16").shape());
        float[] f32 = raw.floats("s32");
        float[] f16 = raw.floats("s16");
        for (int i = 0; i < n; i++) {
            float want = value(i);
            if (f32[i] != want) {
                throw new AssertionError("F32 element " + i + ": " + f32[i] + " != " + want);
            }
            // exact in binary16 too
            if (f16[i] != want) {
                throw new AssertionError("F16 element " + i + ": " + f16[i] + " != " + want);
            }
        }
        assertEquals(0, raw.floats("empty").length);
    }

    /** An element value that is distinct for neighbours and exact in binary16. */
    private static float value(long i) {
        return (i % 2047) / 8f - 128f; // multiples of 1/8 in [-128, 128): 11 significant bits at most
    }

    private static SafetensorsWriter.FloatSource recording(List<long[]> calls) {
        return (offset, chunk, length) -> {
            calls.add(new long[] {offset, length, chunk.length});
            for (int k = 0; k < length; k++) {
                chunk[k] = value(offset + k);
            }
        };
    }

    private static void assertChunks(List<long[]> calls, long total, int maxChunk) {
        long next = 0;
        for (long[] call : calls) {
            assertEquals(next, call[0], "ranges are consecutive from 0");
            assertTrue(call[1] > 0 && call[1] <= maxChunk && call[2] <= maxChunk, "chunk " + call[1] + " of buffer "
                    + call[2] + " within " + maxChunk);
            next += call[1];
        }
        assertEquals(total, next, "every element asked for once");
    }

    @Test
    void invalidStreamedTensorsAreRejectedWhenAdded() {
        SafetensorsWriter.FloatSource zeros = (offset, chunk, length) -> { };
        SafetensorsWriter writer = new SafetensorsWriter().add("x", new long[] {2}, "F32", zeros);
        assertMessage(assertThrows(IllegalParameterException.class,
                () -> writer.add("x", new long[] {1}, "F16", zeros)), "x", "already added");
        assertMessage(assertThrows(IllegalParameterException.class,
                () -> writer.add("y", new long[] {3, -1}, "F32", zeros)), "tensor 'y'", "negative");
        assertMessage(assertThrows(IllegalParameterException.class,
                () -> writer.add("y", new long[] {1L << 40, 1L << 40}, "F32", zeros)), "tensor 'y'", "more elements");
        assertMessage(assertThrows(IllegalParameterException.class,
                () -> writer.add("y", new long[] {1}, "U8", zeros)), "tensor 'y'", "U8");
    }

    @Test
    void anExistingFileIsReplaced() {
        Path file = tmp.resolve("again.safetensors");
        new SafetensorsWriter().add("x", new float[] {1, 2}, new long[] {2}, "F32").write(file);
        new SafetensorsWriter().add("y", new float[] {3}, new long[] {1}, "F32").write(file);
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.openFile(file)) {
            assertEquals(java.util.Set.of("y"), checkpoint.names());
        }
    }

    @Test
    void invalidTensorsAreRejectedWhenAdded() {
        SafetensorsWriter writer = new SafetensorsWriter().add("x", new float[] {1}, new long[] {1}, "F32");
        assertMessage(assertThrows(IllegalParameterException.class,
                () -> writer.add("x", new float[] {1}, new long[] {1}, "F32")), "x", "already added");
        assertMessage(assertThrows(IllegalParameterException.class,
                () -> writer.add("__metadata__", new float[] {1}, new long[] {1}, "F32")), "reserved");
        assertMessage(assertThrows(IllegalParameterException.class,
                () -> writer.add("y", new float[] {1, 2, 3}, new long[] {2, 2}, "F32")), "tensor 'y'", "[2, 2]");
        assertMessage(assertThrows(IllegalParameterException.class,
                () -> writer.add("y", new float[0], new long[] {-1, 0}, "F32")), "tensor 'y'", "negative");
        assertMessage(assertThrows(IllegalParameterException.class,
                () -> writer.add("y", new float[] {1}, new long[] {1}, "I64")), "tensor 'y'", "I64");
        try (NDArray ints = manager.create(new long[] {1, 2})) {
            assertMessage(assertThrows(IllegalParameterException.class, () -> writer.add("z", ints)), "tensor 'z'",
                    "int64");
        }
    }

    @Test
    void aWriteFailureNamesTheFile() throws IOException {
        Path blocker = Files.writeString(tmp.resolve("file"), "not a folder");
        Path file = blocker.resolve("model.safetensors");
        SafetensorsWriter writer = new SafetensorsWriter().add("x", new float[] {1}, new long[] {1}, "F32");
        dev.ivl.core.IvlException e = assertThrows(dev.ivl.core.IvlException.class, () -> writer.write(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    }
}
