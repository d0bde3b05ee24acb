package dev.ivl.djl.tokenizer;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locations of the fixture and shared tokenizer files (system properties set by the build). */
final class TestFiles {
    private TestFiles() {
    }

    /** @return a file under {@code ivl.fixtures.dir}/tokenizers */
    static Path fixture(String name) {
        return existing(property("ivl.fixtures.dir").resolve("tokenizers").resolve(name));
    }

    /** @return a file under {@code ivl.fixtures.dir}/corpus */
    static Path corpus(String name) {
        return existing(property("ivl.fixtures.dir").resolve("corpus").resolve(name));
    }

    /**
     * @return a file under {@code ivl.shared.dir}/tokenizers; the test is skipped when the shared material is absent
     *     (as the other tests that read {@code ../shared} are), and fails when only the file is
     */
    static Path shared(String name) {
        Path shared = property("ivl.shared.dir");
        assumeTrue(Files.isDirectory(shared), "shared material not present: " + shared);
        return existing(shared.resolve("tokenizers").resolve(name));
    }

    private static Path property(String name) {
        String value = System.getProperty(name);
        if (value == null) {
            throw new IllegalStateException("system property " + name + " is not set (the parent pom sets it)");
        }
        return Path.of(value);
    }

    private static Path existing(Path file) {
        if (!Files.exists(file)) {
            throw new IllegalStateException("test file " + file + " is missing");
        }
        return file;
    }
}
