package dev.ivl.djl.weights;

import static dev.ivl.djl.weights.SafetensorsTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ivl.core.ModelFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damaged and inconsistent files: each is refused with a ModelFormatException naming the file and what is wrong. */
class SafetensorsCorruptFileTest {
    @TempDir
    Path tmp;

    /** Writes an 8-byte little-endian {@code declaredLength}, then {@code header}, then {@code dataBytes} zeros. */
    private Path raw(String fileName, long declaredLength, String header, int dataBytes) throws IOException {
        byte[] text = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bytes = ByteBuffer.allocate(8 + text.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(declaredLength).put(text);
        Path file = tmp.resolve(fileName);
        Files.write(file, bytes.array());
        return file;
    }

    private Path raw(String fileName, String header, int dataBytes) throws IOException {
        return raw(fileName, header.getBytes(StandardCharsets.UTF_8).length, header, dataBytes);
    }

    private ModelFormatException refused(Path file) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsCheckpoint.openFile(file));
        assertEquals(file, e.file());
        assertMessage(e, file.getFileName().toString());
        return e;
    }

    @Test
    void aMissingFile() {
        assertMessage(refused(tmp.resolve("absent.safetensors")), "not found");
    }

    @Test
    void aFileShorterThanTheLengthPrefix() throws IOException {
        Path file = tmp.resolve("short.safetensors");
        Files.write(file, new byte[] {1, 0, 0});
        assertMessage(refused(file), "3 bytes", "shorter");
    }

    @Test
    void aHeaderLengthPastTheEndOfTheFile() throws IOException {
        assertMessage(refused(raw("past.safetensors", 1000, "{}", 0)), "header length 1000", "past the end");
    }

    @Test
    void anAbsurdHeaderLength() throws IOException {
        assertMessage(refused(raw("huge.safetensors", 1L << 40, "{}", 0)), "header length 1099511627776");
        assertMessage(refused(raw("negative.safetensors", -1L, "{}", 0)), "header length 18446744073709551615");
    }

    @Test
    void aHeaderThatIsNotJson() throws IOException {
        assertMessage(refused(raw("json.safetensors", "{\"a\": {\"dtype\": \"F32\", ", 0)), "not valid JSON");
        assertMessage(refused(raw("array.safetensors", "[1, 2]  ", 0)), "not a JSON object");
        assertMessage(refused(raw("trailing.safetensors", "{} {}", 0)), "not valid JSON", "line 1 column 5");
        assertMessage(refused(raw("lenient.safetensors", "{a: 1}", 0)), "not valid JSON");
    }

    @Test
    void aTruncatedCheckpoint() throws IOException {
        Path source = SafetensorsTest.localFixture("mha").resolve("model.safetensors");
        Path file = tmp.resolve("truncated.safetensors");
        Files.write(file, Arrays.copyOf(Files.readAllBytes(source), 500_000));
        // lm_head.weight spans data bytes [0, 262144): intact; the embeddings [262144, 524288) are cut
        assertMessage(refused(file), "model.embed_tokens.weight", "data_offsets [262144,524288]",
                "past the data region");
    }

    @Test
    void entriesMissingAField() throws IOException {
        assertMessage(refused(raw("dtype.safetensors", "{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4)),
                "tensor 'w'", "dtype");
        assertMessage(refused(raw("shape.safetensors", "{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}", 4)),
                "tensor 'w'", "shape");
        assertMessage(refused(raw("offsets.safetensors", "{\"w\": {\"dtype\": \"F32\", \"shape\": [1]}}", 4)),
                "tensor 'w'", "data_offsets");
        assertMessage(refused(raw("pair.safetensors", "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], "
                + "\"data_offsets\": [0]}}", 4)), "tensor 'w'", "data_offsets");
        assertMessage(refused(raw("entry.safetensors", "{\"w\": 3}", 4)), "tensor 'w'", "not a JSON object");
    }

    @Test
    void anUnsupportedDtype() throws IOException {
        assertMessage(refused(raw("q4.safetensors", "{\"w\": {\"dtype\": \"Q4_0\", \"shape\": [2], "
                + "\"data_offsets\": [0, 1]}}", 1)), "tensor 'w'", "unsupported dtype 'Q4_0'");
        assertMessage(refused(raw("lower.safetensors", "{\"w\": {\"dtype\": \"f32\", \"shape\": [1], "
                + "\"data_offsets\": [0, 4]}}", 4)), "tensor 'w'", "unsupported dtype 'f32'");
    }

    @Test
    void aNegativeOrFractionalDimension() throws IOException {
        assertMessage(refused(raw("neg.safetensors", "{\"w\": {\"dtype\": \"F32\", \"shape\": [2, -1], "
                + "\"data_offsets\": [0, 0]}}", 0)), "tensor 'w'", "negative dimension");
        assertMessage(refused(raw("frac.safetensors", "{\"w\": {\"dtype\": \"F32\", \"shape\": [1.5], "
                + "\"data_offsets\": [0, 4]}}", 4)), "tensor 'w'", "non-integer");
    }

    @Test
    void offsetsOutOfTheDataRegionOrReversed() throws IOException {
        assertMessage(refused(raw("out.safetensors", "{\"w\": {\"dtype\": \"F32\", \"shape\": [4], "
                + "\"data_offsets\": [0, 16]}}", 12)), "tensor 'w'", "past the data region of 12 bytes");
        assertMessage(refused(raw("reversed.safetensors", "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], "
                + "\"data_offsets\": [8, 4]}}", 12)), "tensor 'w'", "end before they start");
        assertMessage(refused(raw("minus.safetensors", "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], "
                + "\"data_offsets\": [-4, 0]}}", 12)), "tensor 'w'", "non-negative");
    }

    @Test
    void overlappingTensors() throws IOException {
        ModelFormatException e = refused(raw("overlap.safetensors", "{\"a\": {\"dtype\": \"F32\", \"shape\": [4], "
                + "\"data_offsets\": [0, 16]}, \"b\": {\"dtype\": \"F32\", \"shape\": [4], "
                + "\"data_offsets\": [8, 24]}}", 24));
        assertMessage(e, "'a'", "'b'", "overlap");
    }

    @Test
    void aByteRangeThatDoesNotFitTheShape() throws IOException {
        assertMessage(refused(raw("size.safetensors", "{\"w\": {\"dtype\": \"BF16\", \"shape\": [2, 3], "
                + "\"data_offsets\": [0, 24]}}", 24)), "tensor 'w'", "span 24 bytes", "needs 12");
    }

    @Test
    void metadataThatIsNotStrings() throws IOException {
        assertMessage(refused(raw("meta.safetensors", "{\"__metadata__\": {\"format\": 1}}", 0)),
                "__metadata__.format");
    }

    @Test
    void aFolderWithoutCheckpoint() throws IOException {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsCheckpoint.open(tmp));
        assertEquals(tmp, e.file());
        assertMessage(e, "model.safetensors", "model.safetensors.index.json");
        Path missing = tmp.resolve("nowhere");
        assertMessage(assertThrows(ModelFormatException.class, () -> SafetensorsCheckpoint.open(missing)),
                missing.toString());
    }

    private static final String SHARD_1 = "model-00001-of-00002.safetensors";
    private static final String SHARD_2 = "model-00002-of-00002.safetensors";

    /** Two valid shards (a, b in shard 1; c in shard 2) and an index written by the test. */
    private Path sharded(String weightMap) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("sharded"));
        new SafetensorsWriter().add("a", new float[] {1}, new long[] {1}, "F32")
                .add("b", new float[] {2, 3}, new long[] {2}, "F32")
                .write(dir.resolve("model-00001-of-00002.safetensors"));
        new SafetensorsWriter().add("c", new float[] {4}, new long[] {1}, "F16")
                .write(dir.resolve("model-00002-of-00002.safetensors"));
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"metadata\": {\"total_size\": 14}, \"weight_map\": " + weightMap + "}");
        return dir;
    }

    private ModelFormatException refusedIndex(Path dir) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsCheckpoint.open(dir));
        assertEquals(dir.resolve("model.safetensors.index.json"), e.file());
        assertMessage(e, "model.safetensors.index.json");
        return e;
    }

    @Test
    void aValidShardedCheckpointOpens() throws IOException {
        Path dir = sharded("{\"a\": \"model-00001-of-00002.safetensors\", \"b\": \"model-00001-of-00002.safetensors\","
                + " \"c\": \"model-00002-of-00002.safetensors\"}");
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir)) {
            assertEquals(java.util.Set.of("a", "b", "c"), checkpoint.names());
            assertEquals(3f, checkpoint.readFloats("b")[1]);
            assertEquals(4f, checkpoint.readFloats("c")[0]);
        }
    }

    @Test
    void anIndexNamingAMissingShard() throws IOException {
        Path dir = sharded("{\"a\": \"" + SHARD_1 + "\", \"c\": \"model-00003-of-00002.safetensors\"}");
        assertMessage(refusedIndex(dir), "tensor 'c'", "model-00003-of-00002.safetensors", "does not exist");
    }

    @Test
    void anIndexNamingATensorItsShardLacks() throws IOException {
        Path dir = sharded("{\"a\": \"" + SHARD_1 + "\", \"c\": \"" + SHARD_1 + "\"}");
        assertMessage(refusedIndex(dir), "tensor 'c'", "model-00001-of-00002.safetensors", "no such tensor");
    }

    @Test
    void anIndexWithoutAUsableWeightMap() throws IOException {
        assertMessage(refusedIndex(sharded("[]")), "weight_map");
        assertMessage(refusedIndex(sharded("{}")), "weight_map is empty");
        assertMessage(refusedIndex(sharded("{\"a\": 7}")), "tensor 'a'", "not a file name");
        assertMessage(refusedIndex(sharded("{\"a\": \"../model-00001-of-00002.safetensors\"}")), "tensor 'a'",
                "not a file name in the model folder");
        assertMessage(refusedIndex(sharded("{\"a\": ")), "the index is not valid JSON");
    }

    @Test
    void aCorruptShardIsNamed() throws IOException {
        Path dir = sharded("{\"a\": \"" + SHARD_1 + "\", \"c\": \"" + SHARD_2 + "\"}");
        Path shard = dir.resolve("model-00002-of-00002.safetensors");
        Files.write(shard, Arrays.copyOf(Files.readAllBytes(shard), 6));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsCheckpoint.open(dir));
        assertEquals(shard, e.file());
    }
}
