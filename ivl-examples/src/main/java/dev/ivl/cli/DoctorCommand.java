package dev.ivl.cli;

import com.google.gson.GsonBuilder;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.djl.engine.Diagnosis;
import dev.ivl.djl.engine.EngineDetector;
import dev.ivl.djl.engine.EngineFacts;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Says which PyTorch native DJL loads, from where, and whether CUDA can be used: one verdict line at the end. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Show the JVM, DJL, the PyTorch native (version, flavour, folder and why that one), DJL's JNI,"
                + " CUDA runtime and driver, GPUs and threads, then one verdict: \"CUDA ready: N GPU(s)\" or"
                + " \"CPU only, because ...\".",
            "Exit code 1 when the native cannot be loaded, or --device names a device that cannot be used."})
final class DoctorCommand implements Callable<Integer> {
    private static final double GIB = 1L << 30;

    @Option(names = "--device", description = "check this device: cpu, gpu or gpu:<index> (default: report only)")
    String device;

    @Option(names = "--json", description = "print the facts and the verdict as JSON")
    boolean json;

    /** The facts, the device checked and the verdict, as {@code --json} prints them. */
    record Report(EngineFacts facts, String device, Diagnosis verdict) {}

    @Override
    public Integer call() {
        Report report = check(device);
        if (json) {
            System.out.println(new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(report));
        } else {
            print(report.facts());
            System.out.println(report.verdict().line());
        }
        boolean ok = device == null ? report.facts().loaded() : report.verdict().ready();
        return ok ? 0 : IvlCommand.EXIT_INPUT;
    }

    /** @return the facts and the verdict on {@code device} (null: on CUDA, without requiring it) */
    private static Report check(String device) {
        String d = device == null ? null : device.toLowerCase(Locale.ROOT).trim();
        if (d != null && !d.equals("cpu") && !d.equals("gpu") && !d.matches("gpu:\\d+")) {
            throw new IllegalParameterException("--device", device, "must be cpu, gpu or gpu:<index>");
        }
        EngineFacts facts = EngineDetector.detect();
        Diagnosis verdict = d == null ? Diagnosis.cuda(facts)
                : d.equals("cpu") ? Diagnosis.cpu(facts)
                : Diagnosis.gpu(facts, d.equals("gpu") ? 0 : Integer.parseInt(d.substring(4)));
        return new Report(facts, d, verdict);
    }

    private static void print(EngineFacts facts) {
        EngineFacts.Native lib = facts.nativeLibrary();
        EngineFacts.Cuda cuda = facts.cuda();
        EngineFacts.Threads threads = facts.threads();
        row("JVM", facts.jvm());
        row("DJL", facts.djlVersion());
        row("PyTorch", facts.loaded() ? lib.version() + ", flavour " + lib.flavor()
                + (lib.cudaBuild() ? " (built with CUDA)" : " (no CUDA)") : "not loaded");
        row("native", (lib.folder() == null ? "" : lib.folder() + ", ") + "from the " + lib.source().description()
                + (lib.origin() == null ? "" : " (" + lib.origin() + ")"));
        row("JNI", orNone(lib.jni()));
        String driver = cuda.driverCuda() == null ? "none"
                : (cuda.driver() == null ? "" : cuda.driver() + " ") + "for CUDA " + cuda.driverCuda();
        row("CUDA", "runtime " + orNone(cuda.runtime()) + ", driver " + driver);
        row("GPUs", cuda.gpus().isEmpty() ? "none visible to the CUDA runtime" : cuda.gpus().size() + " visible");
        for (EngineFacts.Gpu gpu : cuda.gpus()) {
            row("  gpu:" + gpu.index(), String.format(Locale.ROOT, "%s, %.1f GiB, %.1f GiB free, compute capability"
                    + " %s", gpu.name() == null ? "(name unknown)" : gpu.name(), gpu.totalBytes() / GIB,
                    gpu.freeBytes() / GIB, gpu.computeCapability()));
        }
        row("threads", facts.loaded() ? threads.intraOp() + " intra-op, " + threads.interOp() + " inter-op" : "-");
        row("budget", "ai.djl.pytorch.num_threads " + (threads.budget() == null
                ? "unset (each command sets it from --threads)" : "= " + threads.budget()));
    }

    private static void row(String name, String value) {
        System.out.printf(Locale.ROOT, "%-10s %s%n", name + ":", value);
    }

    private static String orNone(String value) {
        return value == null ? "none" : value;
    }
}
