package dev.ivl.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ivl.core.IvlException;
import dev.ivl.core.Limits;
import dev.ivl.core.ModelFormatException;
import dev.ivl.djl.internal.Json;
import dev.ivl.djl.internal.TextLines;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.testutil.Fixtures;
import dev.ivl.djl.tokenizer.ChatTemplate;
import dev.ivl.djl.tokenizer.HfTokenizer;
import dev.ivl.djl.train.data.TrainingData;
import dev.ivl.djl.weights.SafetensorsWriter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Inputs that used to crash, hang or give a silent wrong answer (issue 13), refused in one line. */
class HostileInputTest {
    @TempDir
    Path tmp;

    @Test
    void aConfigSayingFewerLayersThanTheWeightsHoldIsRefused() throws IOException {
        Path dir = tmp.resolve("model");
        Files.createDirectories(dir);
        Path src = Fixtures.path("hf-llama/gqa-tied");
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"), Files.readString(src.resolve("config.json"))
                .replace("\"num_hidden_layers\": 3", "\"num_hidden_layers\": 2"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(dir));
        assertTrue(e.getMessage().contains("does not use the checkpoint's tensor model.layers.2."), e.getMessage());
        assertTrue(e.getMessage().contains("num_hidden_layers 2"), e.getMessage());
    }

    @Test
    void aConfigFileLargerThanTheLimitIsRefusedBeforeItIsRead() throws IOException {
        Path file = tmp.resolve("config.json");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(Limits.MAX_CONFIG_JSON_BYTES + 1); // sparse: no disk, no memory
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Json.readObject(file));
        assertTrue(e.getMessage().contains("more than the " + Limits.MAX_CONFIG_JSON_BYTES), e.getMessage());
    }

    @Test
    void aNameRepeatedInAnObjectAndDeepNestingAreRefused() {
        Path file = Path.of("header");
        ModelFormatException twice = assertThrows(ModelFormatException.class, () -> Json.parse(file, "header",
                new StringReader("{\"w\": {\"dtype\": \"F32\"}, \"w\": {\"dtype\": \"F16\"}}")));
        assertTrue(twice.getMessage().contains("\"w\" appears twice"), twice.getMessage());
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        ModelFormatException nested = assertThrows(ModelFormatException.class,
                () -> Json.parse(file, null, new StringReader(deep)));
        assertTrue(nested.getMessage().contains("nested deeper than"), nested.getMessage());
    }

    @Test
    void badUtf8IsReportedAtItsOwnLineAndOverlongLinesAreRefused() throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 1; i < 57; i++) {
            text.append("{\"text\": \"line ").append(i).append(" ").append("x".repeat(300)).append("\"}\n");
        }
        byte[] good = text.toString().getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[good.length + 4];
        System.arraycopy(good, 0, bytes, 0, good.length);
        bytes[good.length] = '{';
        bytes[good.length + 1] = (byte) 0xC3; // a lead byte without its continuation
        bytes[good.length + 2] = '}';
        bytes[good.length + 3] = '\n';
        try (TextLines lines = new TextLines(Path.of("data.jsonl"), new ByteArrayInputStream(bytes))) {
            for (int i = 1; i < 57; i++) {
                assertTrue(lines.next().startsWith("{\"text\": \"line " + i + " "));
            }
            ModelFormatException e = assertThrows(ModelFormatException.class, lines::next);
            assertEquals("data.jsonl: line 57: not valid UTF-8", e.getMessage());
        }
        byte[] longLine = new byte[Limits.MAX_JSONL_LINE_CHARS + 10];
        java.util.Arrays.fill(longLine, (byte) 'a');
        try (TextLines lines = new TextLines(Path.of("big.jsonl"), new ByteArrayInputStream(longLine))) {
            ModelFormatException e = assertThrows(ModelFormatException.class, lines::next);
            assertTrue(e.getMessage().contains("line 1 is longer than"), e.getMessage());
        }
    }

    @Test
    void aSampleTooLongForMaxLengthIsSkippedWithoutTokenizingIt() throws IOException {
        Path data = tmp.resolve("data.jsonl");
        Files.writeString(data, "{\"text\": \"" + "word ".repeat(2_000_000) + "\"}\n{\"text\": \"a short one\"}\n");
        List<String> reports = new ArrayList<>();
        try (HfTokenizer tokenizer = HfTokenizer.load(Fixtures.path("tokenizers/llama2-tokenizer.json"))) {
            long start = System.nanoTime();
            TrainingData loaded = TrainingData.load(data, tokenizer, ChatTemplate.llama2(), 64, reports::add);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(1, loaded.samples().size());
            assertEquals(1, reports.size());
            assertTrue(reports.get(0).contains("line 1: skipped: 10000000 characters, more than 64 tokens"),
                    reports.get(0));
            assertTrue(seconds < 5, "10 MB of text was not tokenized: " + seconds + " s");
        }
    }

    @Test
    void theSafetensorsWriterNeverReplacesWhatIsNotARegularFile() throws Exception {
        Path fifo = tmp.resolve("out.safetensors");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assumeTrue(mkfifo.waitFor() == 0, "mkfifo is available");
        SafetensorsWriter writer = new SafetensorsWriter();
        writer.putMetadata("format", "pt");
        IvlException e = assertThrows(IvlException.class, () -> writer.write(fifo));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        assertFalse(Files.isRegularFile(fifo), "the FIFO is still a FIFO");
        Path dir = tmp.resolve("dir.safetensors");
        Files.createDirectories(dir);
        assertThrows(IvlException.class, () -> writer.write(dir));
        try (var left = Files.list(tmp)) {
            assertEquals(2, left.count(), "no temporary file left");
        }
    }
}
