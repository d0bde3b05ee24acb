package dev.ivl.djl.train;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A training run's hold on its output folder, in a process of its own (for {@link OutputFolderTest}): opens the
 * folder given as the argument, prints {@code locked}, and closes it when its standard input ends.
 */
final class OutputFolderHolder {
    private OutputFolderHolder() {}

    public static void main(String[] args) throws IOException {
        try (OutputFolder folder = OutputFolder.open(Path.of(args[0]), false, false)) {
            System.out.println("locked");
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold the lock until the test closes our input
            }
        }
    }
}
