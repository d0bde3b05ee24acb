package dev.ivl.djl.testutil;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where test material lives: the project's own fixtures, and the optional shared folder beside the project. */
public final class Fixtures {
    private Fixtures() {}

    /** @return {@code src-test-fixtures/src/main/resources/dev/ivl/fixtures} */
    public static Path dir() {
        String dir = System.getProperty("ivl.fixtures.dir");
        if (dir == null || !Files.isDirectory(Path.of(dir))) {
            throw new IllegalStateException("system property ivl.fixtures.dir does not name a folder: " + dir);
        }
        return Path.of(dir);
    }

    /** @return a path inside the project's fixtures */
    public static Path path(String relative) {
        return dir().resolve(relative);
    }

    /**
     * A path inside {@code ../shared}; the calling test is skipped (not failed) when the shared folder is absent,
     * as on a clone without it.
     */
    public static Path shared(String relative) {
        String dir = System.getProperty("ivl.shared.dir");
        Path p = dir == null ? null : Path.of(dir).resolve(relative);
        assumeTrue(p != null && Files.exists(p), "shared material not available: " + p);
        return p;
    }
}
