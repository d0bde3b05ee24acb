package dev.ivl.djl.engine;

import java.util.List;

/**
 * What {@link EngineDetector} found about the JVM, DJL, the PyTorch native and CUDA. Unknown values are null.
 *
 * @param jvm the Java runtime, e.g. {@code 17.0.15 (Debian)}
 * @param djlVersion DJL's version
 * @param loadError why the PyTorch engine could not start, on one line; null when it started
 * @param nativeLibrary the PyTorch native DJL chose (version and flavour null when the engine did not start)
 * @param cuda the CUDA runtime, driver and GPUs, seen apart from PyTorch
 * @param threads PyTorch's thread settings
 */
public record EngineFacts(String jvm, String djlVersion, String loadError, Native nativeLibrary, Cuda cuda,
        Threads threads) {
    /** Requires the three parts. */
    public EngineFacts {
        if (nativeLibrary == null || cuda == null || threads == null) {
            throw new IllegalArgumentException("nativeLibrary, cuda and threads are required");
        }
    }

    /** @return whether the PyTorch engine started */
    public boolean loaded() {
        return loadError == null;
    }

    /** @return the GPUs PyTorch can use: those the CUDA runtime sees when the native is a CUDA build, else none */
    public int usableGpus() {
        return loaded() && nativeLibrary.cudaBuild() ? cuda.gpus().size() : 0;
    }

    /**
     * The PyTorch native library.
     *
     * @param source where DJL took it from
     * @param origin the jar, folder or variable value behind {@code source}
     * @param version PyTorch's version, e.g. {@code 2.7.1}
     * @param flavor {@code cpu}, {@code cu128}, ...; the CUDA version a CUDA build was made for
     * @param cudaBuild whether the loaded library was built with CUDA
     * @param folder the folder the library was loaded from
     * @param jni DJL's JNI library: its version and, where known, its file
     */
    public record Native(NativeSource source, String origin, String version, String flavor, boolean cudaBuild,
            String folder, String jni) {}

    /**
     * CUDA as DJL sees it, through the CUDA runtime ({@code libcudart}) and driver ({@code libcuda}).
     *
     * @param runtime the CUDA runtime version, e.g. {@code 12.8}; null when {@code libcudart} could not be loaded
     * @param driverCuda the newest CUDA version the driver supports, e.g. {@code 12.8}; null without a driver
     * @param driver the NVIDIA driver version, e.g. {@code 570.86.15}
     * @param gpus the GPUs the CUDA runtime sees
     */
    public record Cuda(String runtime, String driverCuda, String driver, List<Gpu> gpus) {
        /** Copies the list. */
        public Cuda {
            gpus = List.copyOf(gpus);
        }
    }

    /**
     * One CUDA device.
     *
     * @param index its index, as in {@code gpu:index}
     * @param name its name, e.g. {@code NVIDIA H200}; null when the driver could not be asked
     * @param totalBytes its memory
     * @param freeBytes its memory not in use
     * @param computeCapability e.g. {@code 9.0}
     */
    public record Gpu(int index, String name, long totalBytes, long freeBytes, String computeCapability) {}

    /**
     * PyTorch's threads.
     *
     * @param intraOp the intra-op threads; 0 when the engine did not start
     * @param interOp the inter-op threads; 0 when the engine did not start
     * @param budget the system property {@code ai.djl.pytorch.num_threads} (ivl's thread budget); null when unset
     */
    public record Threads(int intraOp, int interOp, String budget) {}
}
