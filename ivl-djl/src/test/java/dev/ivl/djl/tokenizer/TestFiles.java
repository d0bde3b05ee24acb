package dev.ivl.djl.tokenizer;

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

    /** @return a file under {@code ivl.shared.dir}/tokenizers */
    static Path shared(String name) {
        return existing(property("ivl.shared.dir").resolve("tokenizers").resolve(name));
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
