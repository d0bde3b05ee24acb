package dev.ivl.djl.vocab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.ModelFormatException;
import dev.ivl.core.vocab.align.Normalization;
import dev.ivl.core.vocab.align.PairCounts;
import dev.ivl.core.vocab.TokenMap;
import dev.ivl.core.vocab.align.VocabularyAlignment;
import dev.ivl.djl.tokenizer.HfTokenizer;
import dev.ivl.djl.weights.SafetensorsCheckpoint;
import dev.ivl.djl.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The map file: round trip, standard safetensors layout, defects named, maps refused for other tokenizers. */
class VocabularyMapFileTest {
    @TempDir
    Path tmp;

    /** A 3 × 4 alignment with hand-made counts and both normalisations. */
    static VocabularyAlignment small() {
        PairCounts counts = new PairCounts(3, 4, new int[] {0, 2, 2, 4}, new int[] {0, 3, 1, 2},
                new int[] {5, 1, 2, 7});
        Map<Normalization, TokenMap> maps = new LinkedHashMap<>();
        maps.put(new Normalization.ProbTopK(2), new Normalization.ProbTopK(2).apply(counts));
        maps.put(new Normalization.Paper(), new Normalization.Paper().apply(counts));
        return new VocabularyAlignment(new VocabularyAlignment.Tokenizer("base.json", "ab".repeat(32), 3, "▁"),
                new VocabularyAlignment.Tokenizer("value.json", "cd".repeat(32), 4, "Ġ"),
                new VocabularyAlignment.Corpus("ef".repeat(32), 17), counts, maps, new Normalization.ProbTopK(2));
    }

    @Test
    void roundTripKeepsEveryArrayAndField() {
        Path file = tmp.resolve("small.map");
        VocabularyAlignment a = small();
        VocabularyMapFile.write(file, a);
        VocabularyAlignment b = VocabularyMapFile.read(file);
        assertEquals(a.base(), b.base());
        assertEquals(a.value(), b.value());
        assertEquals(a.corpus(), b.corpus());
        assertEquals(a.selected(), b.selected());
        assertEquals(List.copyOf(a.maps().keySet()), List.copyOf(b.maps().keySet()), "same order");
        assertArrayEquals(a.counts().rowStart(), b.counts().rowStart());
        assertArrayEquals(a.counts().columnIndices(), b.counts().columnIndices());
        assertArrayEquals(a.counts().counts(), b.counts().counts());
        for (Normalization n : a.maps().keySet()) {
            assertArrayEquals(a.map(n).rowStart(), b.map(n).rowStart(), n.toString());
            assertArrayEquals(a.map(n).columnIndices(), b.map(n).columnIndices(), n.toString());
            assertArrayEquals(a.map(n).weights(), b.map(n).weights(), n.toString());
        }
    }

    @Test
    void theFileIsPlainSafetensorsWithCsrArraysAndAJsonHeader() {
        Path file = tmp.resolve("small.map");
        VocabularyMapFile.write(file, small());
        try (SafetensorsCheckpoint st = SafetensorsCheckpoint.openFile(file)) {
            assertEquals("I32", st.info("counts.row_start").dtype());
            assertArrayEquals(new long[] {4}, st.info("counts.row_start").shape());
            assertEquals("F32", st.info("map.paper.weights").dtype());
            assertEquals("I32", st.info("map.prob-topk:2.columns").dtype());
            Map<String, String> meta = st.metadata();
            assertEquals(VocabularyMapFile.FORMAT, meta.get("format"));
            assertEquals("ab".repeat(32), meta.get("base.sha256"));
            assertEquals("value.json", meta.get("value.name"));
            assertEquals("prob-topk:2,paper", meta.get("normalizations"));
            assertEquals("prob-topk:2", meta.get("selected"));
            assertEquals("17", meta.get("corpus.texts"));
        }
    }

    @Test
    void aSafetensorsFileThatIsNotAMapIsRefused() {
        Path file = tmp.resolve("weights.safetensors");
        new SafetensorsWriter().add("x", new float[] {1}, new long[] {1}, "F32").write(file);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> VocabularyMapFile.read(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("not a vocabulary map"), e.getMessage());
    }

    @Test
    void aWrongTypeOrAMissingTensorIsNamed() {
        Path file = tmp.resolve("wrong.map");
        SafetensorsWriter w = new SafetensorsWriter();
        Map<String, String> meta = metadataOf(small());
        meta.forEach(w::putMetadata);
        w.add("counts.row_start", new float[] {0, 2, 2, 4}, new long[] {4}, "F32").write(file);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> VocabularyMapFile.read(file));
        assertTrue(e.getMessage().contains("counts.row_start must be a 1-D I32 array, got F32"), e.getMessage());

        Path missing = tmp.resolve("missing.map");
        SafetensorsWriter m = new SafetensorsWriter();
        meta.forEach(m::putMetadata);
        m.add("unrelated", new float[] {0}, new long[] {1}, "F32").write(missing);
        e = assertThrows(ModelFormatException.class, () -> VocabularyMapFile.read(missing));
        assertTrue(e.getMessage().contains("has no tensor counts.row_start"), e.getMessage());
    }

    @Test
    void anIndexOutOfRangeIsAFormatErrorNamingTheTensors() throws IOException {
        Path file = tmp.resolve("bad.map");
        VocabularyMapFile.write(file, small());
        overwriteInt(file, "map.paper.columns", 0, 9);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> VocabularyMapFile.read(file));
        assertTrue(e.getMessage().contains("map.paper.") && e.getMessage().contains("column 9"), e.getMessage());
    }

    @Test
    void aTruncatedFileOrBadMetadataIsAFormatError() throws IOException {
        Path file = tmp.resolve("cut.map");
        VocabularyMapFile.write(file, small());
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 8));
        assertThrows(ModelFormatException.class, () -> VocabularyMapFile.read(file));

        Path meta = tmp.resolve("meta.map");
        SafetensorsWriter w = new SafetensorsWriter();
        Map<String, String> m = metadataOf(small());
        m.put("base.vocab_size", "many");
        m.forEach(w::putMetadata);
        w.add("x", new float[] {0}, new long[] {1}, "F32").write(meta);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> VocabularyMapFile.read(meta));
        assertTrue(e.getMessage().contains("base.vocab_size must be a non-negative integer, got many"),
                e.getMessage());
    }

    @Test
    void aMapBuiltForOtherTokenizersIsRefusedWithBothHashes() throws IOException {
        Path file = tmp.resolve("l2-g2.map");
        try (HfTokenizer llama2 = SharedTokenizers.llama2(); HfTokenizer gpt2 = SharedTokenizers.gpt2()) {
            VocabularyMapFile.write(file, VocabularyMaps.build(llama2, gpt2, SharedTokenizers.sample(), 1, null,
                    new Normalization.Paper()));
            assertEquals(32000, VocabularyMaps.read(file, llama2, gpt2).base().vocabSize());
            InvalidInputException swapped = assertThrows(InvalidInputException.class,
                    () -> VocabularyMaps.read(file, gpt2, llama2));
            assertTrue(swapped.getMessage().contains("other way round"), swapped.getMessage());
            // the same vocabulary in a file that differs by one byte is another tokenizer
            Path copy = tmp.resolve("tokenizer.json");
            Files.writeString(copy, Files.readString(llama2.source(), StandardCharsets.UTF_8) + " ",
                    StandardCharsets.UTF_8);
            try (HfTokenizer edited = HfTokenizer.load(copy)) {
                InvalidInputException e = assertThrows(InvalidInputException.class,
                        () -> VocabularyMaps.read(file, edited, gpt2));
                assertTrue(e.getMessage().contains("was built for base tokenizer llama2-tokenizer.json"),
                        e.getMessage());
                assertTrue(e.getMessage().contains(VocabularyMaps.sha256(llama2.source())), e.getMessage());
                assertTrue(e.getMessage().contains(VocabularyMaps.sha256(copy)), e.getMessage());
            }
        }
    }

    @Test
    void tokenizerHashIsTheSha256OfTheFile() throws IOException {
        Path file = tmp.resolve("abc.txt");
        Files.writeString(file, "abc", StandardCharsets.US_ASCII);
        // SHA-256("abc"), the FIPS 180-2 test vector
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", VocabularyMaps.sha256(file));
    }

    static Map<String, String> metadataOf(VocabularyAlignment a) {
        Path file;
        try {
            file = Files.createTempFile("ivl-meta", ".map");
            VocabularyMapFile.write(file, a);
            try (SafetensorsCheckpoint st = SafetensorsCheckpoint.openFile(file)) {
                return new LinkedHashMap<>(st.metadata());
            } finally {
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Overwrites element {@code index} of an I32 tensor, found through the file's own header. */
    static void overwriteInt(Path file, String tensor, int index, int value) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) buf.getLong(0);
        JsonObject header = JsonParser.parseString(new String(bytes, 8, headerLength, StandardCharsets.UTF_8))
                .getAsJsonObject();
        long start = header.getAsJsonObject(tensor).getAsJsonArray("data_offsets").get(0).getAsLong();
        buf.putInt((int) (8 + headerLength + start + 4L * index), value);
        Files.write(file, bytes);
    }
}
