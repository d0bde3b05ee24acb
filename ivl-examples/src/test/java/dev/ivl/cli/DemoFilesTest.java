package dev.ivl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.InvalidInputException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding the shipped demo: in place from a folder on the class path, extracted once from a jar. */
class DemoFilesTest {
    /** Files of a demo folder (their contents only matter to the extraction). */
    static Map<String, byte[]> demoFiles() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        byte[] weights = new byte[300_000];
        new Random(7).nextBytes(weights);
        files.put("prompts.jsonl", "{\"prompt\": \"hi\"}\n".getBytes(StandardCharsets.UTF_8));
        files.put("base/config.json", "{\"hidden_size\": 64}".getBytes(StandardCharsets.UTF_8));
        files.put("base/model.safetensors", weights);
        files.put("value/config.json", "{\"hidden_size\": 32}".getBytes(StandardCharsets.UTF_8));
        files.put("value/model.safetensors", new byte[0]);
        return files;
    }

    static Path jar(Path file, Map<String, byte[]> files) throws IOException {
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(file))) {
            jar.putNextEntry(new JarEntry("dev/ivl/fixtures/other.txt")); // outside the demo: not extracted
            jar.write(1);
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                jar.putNextEntry(new JarEntry(DemoFiles.RESOURCE + e.getKey()));
                jar.write(e.getValue());
            }
        }
        return file;
    }

    static Path shipped(Path classPathEntry, Path cache) throws IOException {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classPathEntry.toUri().toURL()}, null)) {
            return DemoFiles.shipped(loader, cache);
        }
    }

    static void assertHolds(Path dir, Map<String, byte[]> files) throws IOException {
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            assertArrayEquals(e.getValue(), Files.readAllBytes(dir.resolve(e.getKey())), e.getKey());
        }
    }

    /** @return the names in {@code cache} (the extracted folder, and any partial or stale one left) */
    static List<String> cacheEntries(Path cache) throws IOException {
        try (Stream<Path> s = Files.list(cache)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aDemoInAJarIsExtractedOnceAndAnAlteredCopyIsReplaced(@TempDir Path tmp) throws IOException {
        Map<String, byte[]> files = demoFiles();
        Path jar = jar(tmp.resolve("ivl-test-fixtures.jar"), files);
        Path cache = tmp.resolve("cache");

        Path first = shipped(jar, cache);
        assertEquals(cache, first.getParent());
        assertHolds(first, files);
        assertEquals(List.of(first.getFileName().toString()), cacheEntries(cache), "one folder, nothing partial");
        try (Stream<Path> all = Files.walk(first)) { // the demo's files only
            assertEquals(files.keySet().stream().sorted().toList(), all.filter(Files::isRegularFile)
                    .map(p -> first.relativize(p).toString()).sorted().toList());
        }

        // reused as is: a file dated in the past keeps its date
        Path weights = first.resolve("base/model.safetensors");
        FileTime past = FileTime.fromMillis(86_400_000L);
        Files.setLastModifiedTime(weights, past);
        assertEquals(first, shipped(jar, cache));
        assertEquals(past, Files.getLastModifiedTime(weights));

        // a byte changed (same size): not used, extracted again
        byte[] altered = files.get("base/model.safetensors").clone();
        altered[1234] ^= 1;
        Files.write(weights, altered);
        assertEquals(first, shipped(jar, cache));
        assertHolds(first, files);

        // a file missing (an interrupted copy made by hand): extracted again
        Files.delete(first.resolve("prompts.jsonl"));
        assertEquals(first, shipped(jar, cache));
        assertHolds(first, files);
        assertEquals(List.of(first.getFileName().toString()), cacheEntries(cache), "stale copies deleted");

        // another jar content gets another folder; a partial folder of an interrupted run is never used
        files.put("prompts.jsonl", "{\"prompt\": \"other\"}\n".getBytes(StandardCharsets.UTF_8));
        Path other = jar(tmp.resolve("other.jar"), files);
        Files.createDirectories(cache.resolve("." + first.getFileName() + ".partial-123"));
        Path second = shipped(other, cache);
        assertTrue(!second.equals(first) && second.getParent().equals(cache), second.toString());
        assertHolds(second, files);
    }

    @Test
    void aDemoInAFolderOnTheClassPathIsUsedInPlace(@TempDir Path tmp) throws IOException {
        Path root = tmp.resolve("classes");
        Path demo = root.resolve(DemoFiles.RESOURCE);
        for (Map.Entry<String, byte[]> e : demoFiles().entrySet()) {
            Files.createDirectories(demo.resolve(e.getKey()).getParent());
            Files.write(demo.resolve(e.getKey()), e.getValue());
        }
        Path cache = tmp.resolve("cache");
        assertEquals(demo.toRealPath(), shipped(root, cache).toRealPath());
        assertTrue(Files.notExists(cache), "nothing copied");
    }

    @Test
    void aClassPathWithoutTheDemoIsAClearError(@TempDir Path tmp) throws IOException {
        Path jar = tmp.resolve("empty.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
            j.putNextEntry(new JarEntry("dev/ivl/fixtures/README.md"));
        }
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> shipped(jar, tmp.resolve("cache")));
        assertTrue(e.getMessage().contains(DemoFiles.RESOURCE + "prompts.jsonl") && e.getMessage().contains("--dir"),
                e.getMessage());
    }
}
