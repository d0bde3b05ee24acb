package dev.ivl.examples.bench;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What a benchmark ran on. Read with {@link #detect()} once the PyTorch engine has started.
 *
 * @param cores the processors the JVM may use
 * @param cpuModel the first {@code model name} of {@code /proc/cpuinfo}, or {@code "unknown"}
 * @param os operating system name, version and architecture
 * @param jvm the JVM's name, version and vendor
 * @param maxHeapBytes the JVM's maximum heap
 * @param djlVersion DJL's version
 * @param engineVersion the PyTorch version of the engine
 * @param intraOpThreads the engine's intra-op threads ({@code torch.get_num_threads()})
 * @param interOpThreads the engine's inter-op threads
 */
public record Machine(int cores, String cpuModel, String os, String jvm, long maxHeapBytes, String djlVersion,
        String engineVersion, int intraOpThreads, int interOpThreads) {

    /** @return this machine; starts the PyTorch engine if it has not started */
    public static Machine detect() {
        Engine engine = Engine.getEngine("PyTorch");
        return new Machine(Runtime.getRuntime().availableProcessors(), readCpuModel(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " ("
                        + System.getProperty("java.vm.vendor") + ")",
                Runtime.getRuntime().maxMemory(), Engine.getDjlVersion(), engine.getVersion(),
                JniUtils.getNumThreads(), JniUtils.getNumInteropThreads());
    }

    private static String readCpuModel() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        try {
            List<String> lines = Files.isReadable(cpuinfo) ? Files.readAllLines(cpuinfo) : List.of();
            return lines.stream().filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
