package dev.ivl.djl.vocab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.ModelFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Corpus files: lines of text files, named fields of JSON lines, in order, up to a limit. */
class CorpusTextsTest {
    @TempDir
    Path tmp;

    @Test
    void readsLinesThenJsonFieldsInOrderUpToTheLimit() throws IOException {
        Path txt = tmp.resolve("a.txt");
        Files.writeString(txt, "first line\n\n   \nsecond line\n", StandardCharsets.UTF_8);
        Path jsonl = tmp.resolve("b.jsonl");
        Files.writeString(jsonl, "{\"source\": \"x\", \"instruction\": \"Why?\", \"response\": \"Because.\"}\n"
                + "{\"text\": \"plain\", \"n\": 3}\n", StandardCharsets.UTF_8);
        List<Path> files = List.of(txt, jsonl);
        assertEquals(List.of("first line", "second line", "Why?", "Because.", "plain"),
                CorpusTexts.read(files, 100, CorpusTexts.DEFAULT_FIELDS));
        assertEquals(List.of("first line", "second line", "Why?"), CorpusTexts.read(files, 3,
                CorpusTexts.DEFAULT_FIELDS));
        assertEquals(List.of("first line", "second line", "Because."), CorpusTexts.read(files, 100,
                List.of("response")));
    }

    @Test
    void aBadJsonLineOrAMissingFileIsNamed() throws IOException {
        Path jsonl = tmp.resolve("bad.jsonl");
        Files.writeString(jsonl, "{\"text\": \"ok\"}\n[1, 2]\n", StandardCharsets.UTF_8);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> CorpusTexts.read(List.of(jsonl), 10, CorpusTexts.DEFAULT_FIELDS));
        assertTrue(e.getMessage().contains("line 2 is not a JSON object"), e.getMessage());
        Path none = tmp.resolve("none.txt");
        e = assertThrows(ModelFormatException.class,
                () -> CorpusTexts.read(List.of(none), 10, CorpusTexts.DEFAULT_FIELDS));
        assertTrue(e.getMessage().startsWith(none.toString()), e.getMessage());
    }
}
