package dev.ivl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broken PyTorch native, in a JVM of its own (the engine loads once per JVM): DJL pointed at a folder whose
 * {@code libtorch.so} is not a library, with no native jar on the class path. A command that loads a model ends
 * with one {@code ivl: error:} line and exit 1, as {@code ivl doctor} does, not with a stack trace.
 */
class BrokenNativeTest {
    @Test
    void aNativeThatCannotLoadIsOneLineAndExitOne(@TempDir Path dir) throws IOException, InterruptedException {
        Path lib = Files.createDirectories(dir.resolve("lib"));
        Files.writeString(lib.resolve(System.mapLibraryName("torch")), "not a library");
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.contains("pytorch-native"))
                .collect(Collectors.joining(File.pathSeparator));
        Path model = Path.of("..", "src-test-fixtures", "src", "main", "resources", "dev", "ivl", "fixtures",
                "hf-llama", "gqa-tied");
        for (List<String> command : List.of(
                List.of("generate", "--model", model.toString(), "--prompt-ids", "1,2,3", "--max-new-tokens", "2"),
                List.of("doctor"))) {
            ProcessBuilder pb = new ProcessBuilder();
            pb.command().addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Dai.djl.offline=true", "-cp", classPath, IvlCommand.class.getName()));
            pb.command().addAll(command);
            pb.environment().put("PYTORCH_LIBRARY_PATH", lib.toString());
            pb.environment().put("PYTORCH_VERSION", "2.7.1");
            pb.environment().put("PYTORCH_FLAVOR", "cpu");
            pb.environment().put("DJL_OFFLINE", "true");
            pb.environment().put("DJL_CACHE_DIR", dir.resolve("djl-cache").toString());
            pb.redirectErrorStream(true);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
            assertEquals(IvlCommand.EXIT_INPUT, p.exitValue(), out);
            List<String> ivlLines = out.lines().filter(l -> l.contains("PyTorch native could not be loaded")).toList();
            assertEquals(1, ivlLines.size(), out);
            assertTrue(!out.contains("\tat "), "no stack trace: " + out);
            if (command.get(0).equals("generate")) {
                assertTrue(ivlLines.get(0).startsWith("ivl: error: PyTorch native could not be loaded: "), out);
            }
        }
    }
}
