package dev.ivl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.vocab.align.Normalization;
import dev.ivl.core.vocab.align.VocabularyAlignment;
import dev.ivl.djl.tokenizer.HfTokenizer;
import dev.ivl.djl.vocab.VocabularyMaps;
import dev.ivl.djl.vocab.VocabularyMapFile;
import dev.ivl.djl.weights.SafetensorsCheckpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ivl align-vocab} on the fixture tokenizers: a readable map, the held-out overlap, one-line errors. */
class AlignVocabCommandTest {
    static final Path LLAMA2 = CliTest.FIXTURES.resolve("tokenizers/llama2-tokenizer.json");
    static final Path GPT2 = CliTest.FIXTURES.resolve("tokenizers/gpt2-tokenizer.json");

    static Path corpus(Path dir) throws IOException {
        List<String> lines = new ArrayList<>();
        String[] words = {"the", "river", "morning", "light", "village", "school", "über", "café", "42", "children"};
        for (int i = 0; i < 300; i++) {
            lines.add("Line " + i + ": " + words[i % 10] + " and " + words[(i * 7) % 10] + ", then "
                    + words[(i * 3) % 10] + ".");
        }
        return Files.write(dir.resolve("corpus.txt"), lines, StandardCharsets.UTF_8);
    }

    @Test
    void writesAMapForTheGivenTokenizersAndReportsTheHeldOutOverlap(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("l2-g2.map");
        CliTest.Run r = CliTest.run("align-vocab", "--base-tokenizer", LLAMA2.toString(), "--value-tokenizer",
                GPT2.toString(), "--corpus", corpus(tmp).toString(), "--eval-texts", "50", "--normalize",
                "prob-topk:3", "--threads", "2", "--out", out.toString(), "--counts", tmp.resolve("counts.st")
                        .toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("aligned 250 texts"), r.out());
        assertTrue(r.out().contains("word-prefix marker '▁'") && r.out().contains("word-prefix marker 'Ġ'"),
                r.out());
        Matcher m = Pattern.compile("prob-topk:3 +\\d+ entries, held-out overlap (0\\.\\d+) \\((\\d+) of (\\d+)")
                .matcher(r.out());
        assertTrue(m.find(), r.out());
        double overlap = Double.parseDouble(m.group(1));
        assertEquals(Double.parseDouble(m.group(2)) / Double.parseDouble(m.group(3)), overlap, 1e-4);
        assertTrue(overlap > 0.5, "these texts share almost every word with the aligned ones: " + overlap);
        assertTrue(r.out().contains("paper "), "the other normalisation is saved too: " + r.out());
        try (HfTokenizer base = HfTokenizer.load(LLAMA2); HfTokenizer value = HfTokenizer.load(GPT2)) {
            VocabularyAlignment a = VocabularyMaps.read(out, base, value);
            assertEquals(new Normalization.ProbTopK(3), a.selected());
            assertEquals(250, a.corpus().texts());
            assertTrue(a.maps().containsKey(new Normalization.Paper()));
            assertTrue(a.maps().containsKey(new Normalization.NonZeroMinMax()));
            try (SafetensorsCheckpoint counts = SafetensorsCheckpoint.openFile(tmp.resolve("counts.st"))) {
                assertEquals(VocabularyMapFile.COUNTS_FORMAT, counts.metadata().get("format"));
                assertArrayEquals(a.counts().counts(), java.util.Arrays.stream(counts.readLongs("counts.values"))
                        .mapToInt(v -> (int) v).toArray(), "the raw counts, for any normalisation");
                assertArrayEquals(a.counts().rowStart(), java.util.Arrays.stream(counts.readLongs(
                        "counts.row_start")).mapToInt(v -> (int) v).toArray());
            }
        }
    }

    @Test
    void errorsAreOneLine(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("x.map");
        CliTest.Run missing = CliTest.run("align-vocab", "--base-tokenizer", LLAMA2.toString(), "--value-tokenizer",
                GPT2.toString(), "--corpus", tmp.resolve("none.txt").toString(), "--out", out.toString());
        assertEquals(1, missing.exit());
        assertTrue(missing.err().startsWith("ivl: error: ") && missing.err().contains("none.txt"), missing.err());
        assertEquals(1, missing.err().trim().lines().count(), missing.err());

        CliTest.Run badNormalize = CliTest.run("align-vocab", "--base-tokenizer", LLAMA2.toString(),
                "--value-tokenizer", GPT2.toString(), "--corpus", corpus(tmp).toString(), "--normalize", "minmax",
                "--out", out.toString());
        assertEquals(1, badNormalize.exit());
        assertTrue(badNormalize.err().contains("normalize must be paper, nonzero-minmax or prob-topk:K"), badNormalize.err());

        CliTest.Run tooFew = CliTest.run("align-vocab", "--base-tokenizer", LLAMA2.toString(), "--value-tokenizer",
                GPT2.toString(), "--corpus", corpus(tmp).toString(), "--eval-texts", "300", "--out", out.toString());
        assertEquals(1, tooFew.exit());
        assertTrue(tooFew.err().contains("too few to hold out 300"), tooFew.err());
        assertTrue(Files.notExists(out), "nothing written on error");
    }
}
