package dev.ivl.djl.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.IvlException;
import dev.ivl.core.ModelFormatException;
import dev.ivl.djl.llama.LlamaModel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A training run's output folder: one writer at a time, replaced whole, nothing touched that ivl did not write. */
class OutputFolderTest {
    @TempDir
    Path tmp;

    Path out() {
        return tmp.resolve("model");
    }

    Path sibling(String suffix) {
        return tmp.resolve("model" + suffix);
    }

    List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void anotherProcessWritingTheFolderIsRefusedWithItsProcessId() throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), OutputFolderHolder.class.getName(), out().toString());
        pb.redirectErrorStream(true);
        Process holder = pb.start();
        try {
            BufferedReader said = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                    StandardCharsets.UTF_8));
            assertEquals("locked", said.readLine());
            IvlException e = assertThrows(IvlException.class, () -> OutputFolder.open(out(), false, false));
            assertEquals("another training run (process " + holder.pid() + ") is writing " + out()
                    + "; wait for it to end, or choose another --out", e.getMessage());
            assertTrue(Files.exists(sibling(OutputFolder.LOCK_SUFFIX)), "the refused run leaves the holder's lock");
        } finally {
            holder.getOutputStream().close();
            assertEquals(0, holder.waitFor());
        }
        assertEquals(List.of(), names(tmp), "the holder removed its lock file as it ended");
        try (OutputFolder folder = OutputFolder.open(out(), false, false)) {
            assertTrue(Files.exists(sibling(OutputFolder.LOCK_SUFFIX)));
        }
        assertEquals(List.of(), names(tmp));
    }

    @Test
    void theLockFileOfAKilledRunIsTakenOver() throws IOException {
        Files.writeString(sibling(OutputFolder.LOCK_SUFFIX), "12345 left by a killed run\n");
        try (OutputFolder folder = OutputFolder.open(out(), false, false)) {
            assertFalse(Files.readString(sibling(OutputFolder.LOCK_SUFFIX)).startsWith("12345"));
        }
        assertEquals(List.of(), names(tmp));
    }

    @Test
    void theWorkFolderIsUnloadableUntilItReplacesTheOutputInOneMove() throws IOException {
        Files.createDirectories(out());
        Files.writeString(out().resolve("config.json"), "old");
        Files.writeString(out().resolve("train-log.jsonl"), "old");
        try (OutputFolder folder = OutputFolder.open(out(), true, false)) {
            folder.begin(false);
            Files.writeString(folder.work().resolve("config.json"), "new");
            Files.createDirectories(folder.checkpoint());
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaModel.load(folder.work()));
            assertEquals(folder.work() + ": the write of this model did not complete (it holds .ivl-incomplete);"
                    + " resume or rerun the training that writes it", e.getMessage());
            assertEquals("old", Files.readString(out().resolve("config.json")));
            folder.commit();
        }
        assertEquals(List.of("model"), names(tmp), "no work folder, replaced model or lock file left");
        assertEquals(List.of("config.json"), names(out()), "the checkpoint and the earlier files are gone");
        assertEquals("new", Files.readString(out().resolve("config.json")));
    }

    @Test
    void whatIvlDidNotWriteIsNeverReplaced() throws IOException {
        Files.createDirectories(out());
        Files.writeString(out().resolve("config.json"), "a model");
        assertEquals("--out " + out() + " holds a model; add --force to replace it",
                assertThrows(IvlException.class, () -> OutputFolder.open(out(), false, false)).getMessage());
        Files.writeString(out().resolve("notes.txt"), "mine");
        assertEquals("--out " + out() + " holds notes.txt, which is not a model's file and would be deleted with"
                + " the folder; choose a new or empty folder",
                assertThrows(IvlException.class, () -> OutputFolder.open(out(), true, false)).getMessage());
        Path link = tmp.resolve("link");
        Files.createSymbolicLink(link, out());
        assertEquals("--out " + link + " is a symbolic link; give a folder's own path",
                assertThrows(IvlException.class, () -> OutputFolder.open(link, true, false)).getMessage());
        Files.delete(link);
        Files.createDirectories(sibling(OutputFolder.WORK_SUFFIX));
        assertEquals(sibling(OutputFolder.WORK_SUFFIX) + " is in the way: it is not the folder of an unfinished run"
                + " (it has no .ivl-incomplete); move it away",
                assertThrows(IvlException.class, () -> OutputFolder.open(tmp.resolve("model"), true, false))
                        .getMessage());
        Files.delete(sibling(OutputFolder.WORK_SUFFIX));
        Files.createDirectories(sibling(OutputFolder.REPLACED_SUFFIX));
        assertTrue(assertThrows(IvlException.class, () -> OutputFolder.open(out(), true, false)).getMessage()
                .startsWith(sibling(OutputFolder.REPLACED_SUFFIX) + " holds the model an interrupted run was"
                        + " replacing"));
        Files.delete(sibling(OutputFolder.REPLACED_SUFFIX));
        assertEquals(List.of("model"), names(tmp), "no lock file left by the refusals");
        assertEquals(List.of("config.json", "notes.txt"), names(out()));
    }

    @Test
    void filesPutInTheFolderWhileTheRunTrainsAreNotDeleted() throws IOException {
        try (OutputFolder folder = OutputFolder.open(out(), true, false)) {
            folder.begin(false);
            Files.createDirectories(folder.checkpoint());
            Files.writeString(folder.checkpoint().resolve(RunState.FILE_NAME), "{}");
            Files.createDirectories(out());
            Files.writeString(out().resolve("notes.txt"), "written meanwhile");
            assertThrows(IvlException.class, folder::commit);
            assertTrue(folder.hasCheckpoint(), "the checkpoint is kept for a resumed run");
        }
        assertEquals(List.of("notes.txt"), names(out()));
        assertEquals(List.of("model", "model" + OutputFolder.WORK_SUFFIX), names(tmp));
    }
}
