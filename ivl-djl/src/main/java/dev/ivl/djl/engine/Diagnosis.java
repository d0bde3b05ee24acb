package dev.ivl.djl.engine;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A verdict on {@link EngineFacts}: whether CUDA (or one GPU) can be used, and why not, on one line.
 *
 * @param ready whether the check passed
 * @param line the verdict: {@code CUDA ready: N GPU(s)}, {@code CPU only, because ...}, {@code gpu:i is not
 *     available: ...} or {@code PyTorch native could not be loaded: ...}
 */
public record Diagnosis(boolean ready, String line) {
    /** The CUDA version of DJL's only CUDA build of its default PyTorch (2.7.1, flavour cu128). */
    static final int DJL_CUDA = 128;

    private static final Pattern CUDA_VERSION = Pattern.compile("(\\d+)\\.(\\d)");
    private static final Pattern CUDA_FLAVOR = Pattern.compile("cu(\\d{3}).*");

    /**
     * @param facts what was detected
     * @return ready with {@code CUDA ready: N GPU(s)} when PyTorch can use a GPU, else why not
     */
    public static Diagnosis cuda(EngineFacts facts) {
        if (!facts.loaded()) {
            return new Diagnosis(false, "PyTorch native could not be loaded: " + facts.loadError());
        }
        int gpus = facts.usableGpus();
        if (gpus > 0) {
            return new Diagnosis(true, "CUDA ready: " + gpus + " GPU(s)");
        }
        return new Diagnosis(false, "CPU only, because " + (facts.nativeLibrary().cudaBuild()
                ? whyCudaBuildSeesNoGpu(facts) : whyCpuBuild(facts)));
    }

    /**
     * @param facts what was detected
     * @param index the GPU asked for, as in {@code gpu:index}
     * @return ready when PyTorch can use that GPU, else why not
     */
    public static Diagnosis gpu(EngineFacts facts, int index) {
        Diagnosis cuda = cuda(facts);
        int gpus = facts.usableGpus();
        if (cuda.ready() && index >= gpus) {
            return new Diagnosis(false, "gpu:" + index + " is not available: PyTorch sees " + gpus
                    + " GPU(s), gpu:0" + (gpus > 1 ? " to gpu:" + (gpus - 1) : ""));
        }
        return cuda;
    }

    /**
     * @param facts what was detected
     * @return ready when the engine started (any build runs on the CPU), else why not
     */
    public static Diagnosis cpu(EngineFacts facts) {
        Diagnosis cuda = cuda(facts);
        return new Diagnosis(facts.loaded(), cuda.line());
    }

    private static String whyCpuBuild(EngineFacts facts) {
        EngineFacts.Native lib = facts.nativeLibrary();
        EngineFacts.Cuda cuda = facts.cuda();
        String build = "the PyTorch native is the CPU build (" + lib.source().description()
                + (lib.origin() == null ? "" : ": " + lib.origin()) + ")";
        if (cuda.gpus().isEmpty()) {
            return build + " and " + (cuda.runtime() == null ? "no CUDA runtime (libcudart) could be loaded"
                    : cuda.driverCuda() == null ? "there is no CUDA driver" : "the CUDA runtime sees no GPU");
        }
        int runtime = cudaNumber(cuda.runtime());
        if (lib.source() == NativeSource.DJL_DOWNLOAD && runtime > 0 && runtime < DJL_CUDA) {
            return "the CUDA runtime is " + cuda.runtime() + ", older than the 12.8 that DJL's CUDA build of PyTorch"
                    + " (cu128) needs, so DJL chose its CPU build although " + cuda.gpus().size()
                    + " GPU(s) are visible";
        }
        return build + " although " + cuda.gpus().size() + " GPU(s) are visible; see README \"Run on CUDA\"";
    }

    private static String whyCudaBuildSeesNoGpu(EngineFacts facts) {
        EngineFacts.Cuda cuda = facts.cuda();
        String build = "PyTorch's CUDA build (" + facts.nativeLibrary().flavor() + ") loaded but sees 0 GPUs";
        int needs = flavorCuda(facts.nativeLibrary().flavor());
        int driver = cudaNumber(cuda.driverCuda());
        if (needs > 0 && driver > 0 && driver < needs) {
            return build + ": the driver supports CUDA " + cuda.driverCuda() + ", older than the "
                    + needs / 10 + "." + needs % 10 + " this build needs";
        }
        if (cuda.runtime() == null) {
            return build + ": the CUDA runtime (libcudart) could not be loaded; add its folder to LD_LIBRARY_PATH";
        }
        return build + " (CUDA runtime " + cuda.runtime() + (cuda.driverCuda() == null
                ? ", no CUDA driver" : ", driver for CUDA " + cuda.driverCuda()) + "; check CUDA_VISIBLE_DEVICES)";
    }

    /** @return {@code 12.8} as 128, or 0 when not a CUDA version */
    static int cudaNumber(String version) {
        Matcher m = version == null ? null : CUDA_VERSION.matcher(version);
        return m != null && m.matches() ? Integer.parseInt(m.group(1)) * 10 + Integer.parseInt(m.group(2)) : 0;
    }

    /** @return {@code cu128} (or {@code cu128-precxx11}) as 128, or 0 when not a CUDA flavour */
    static int flavorCuda(String flavor) {
        Matcher m = flavor == null ? null : CUDA_FLAVOR.matcher(flavor.toLowerCase(Locale.ROOT));
        return m != null && m.matches() ? Integer.parseInt(m.group(1)) : 0;
    }
}
