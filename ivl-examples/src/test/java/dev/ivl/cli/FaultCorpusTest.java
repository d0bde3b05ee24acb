package dev.ivl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs the {@link FaultCorpus}: every case must end with exit code 1 and one line on stderr that names what is
 * wrong, with no stack trace, and must leave its folder exactly as it was (no file written, left behind or
 * changed).
 */
class FaultCorpusTest {
    static List<FaultCorpus.Fault> cases() {
        return FaultCorpus.all();
    }

    @Test
    void theCorpusCoversEveryKindOfInput() {
        Map<String, Long> counts = cases().stream().collect(Collectors.groupingBy(FaultCorpus.Fault::category,
                TreeMap::new, Collectors.counting()));
        System.out.println("fault corpus: " + cases().size() + " cases " + counts);
        assertTrue(cases().size() >= 60, "at least 60 cases: " + cases().size());
        assertTrue(counts.keySet().containsAll(List.of("safetensors", "config.json", "tokenizer", "chat template",
                "training data", "vocabulary map", "CLI values")), counts.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachFaultIsOneClearLineAndChangesNothing(FaultCorpus.Fault fault, @TempDir Path dir) throws IOException {
        String[] args = fault.setup().make(dir);
        Map<String, String> before = snapshot(dir);
        CliTest.Run r = CliTest.run(args);
        List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, r.exit(), () -> "exit code; stderr:\n" + r.err());
        assertEquals(1, lines.size(), () -> "one line on stderr, got:\n" + r.err());
        String line = lines.get(0);
        assertTrue(line.startsWith("ivl: error: "), line);
        assertTrue(line.contains(fault.expected()), () -> "the line names " + fault.expected() + ": " + line);
        assertEquals(before, snapshot(dir), "no file written, left behind or changed");
    }

    /** Every path under {@code dir} with its kind, size and (for files up to 64 MB) a checksum. */
    static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.toList()) {
                String key = dir.relativize(p).toString();
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    long size = Files.size(p);
                    files.put(key, "file " + size + (size <= (64 << 20) ? " crc " + crc(p) : ""));
                } else {
                    files.put(key, Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "dir" : "other");
                }
            }
        }
        return files;
    }

    private static long crc(Path file) throws IOException {
        CRC32 crc = new CRC32();
        crc.update(Files.readAllBytes(file));
        return crc.getValue();
    }
}
