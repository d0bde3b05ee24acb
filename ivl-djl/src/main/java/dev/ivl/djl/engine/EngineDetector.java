package dev.ivl.djl.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.pytorch.jni.LibUtils;
import ai.djl.util.cuda.CudaUtils;
import com.sun.jna.Library;
import com.sun.jna.Native;
import dev.ivl.core.IvlException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.MemoryUsage;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fills {@link EngineFacts} from DJL, PyTorch and CUDA. Starts DJL's PyTorch engine if it has not started; a native
 * that cannot be loaded becomes {@link EngineFacts#loadError()}, never an exception.
 */
public final class EngineDetector {
    /** DJL's engine name for PyTorch. */
    public static final String ENGINE = "PyTorch";
    /** The variable (environment first, then system property) DJL reads for a local libtorch folder. */
    static final String LIBRARY_PATH = "PYTORCH_LIBRARY_PATH";
    /** The system property that sets PyTorch's intra-op threads when the engine starts. */
    static final String THREADS_PROPERTY = "ai.djl.pytorch.num_threads";

    /** DJL's cache folders: {@code <version>-<flavor>-<os>-<arch>}, e.g. {@code 2.7.1-20250812-cpu-linux-x86_64}. */
    private static final Pattern CACHE_FOLDER =
            Pattern.compile("\\d+\\.\\d+\\.\\d+(?:-\\d+)?-(.+)-(?:linux|osx|win)-.+");
    /** The version after "Kernel Module" ("… Kernel Module  580.95.05 …", "… Open Kernel Module for x86_64  …"). */
    private static final Pattern KERNEL_MODULE = Pattern.compile("Kernel Module\\b[^\\n]*?\\s(\\d+\\.\\d+(?:\\.\\d+)*)\\b");
    private static final String LIBTORCH = System.mapLibraryName("torch");

    private EngineDetector() {}

    /**
     * Starts DJL's PyTorch engine, or says in one line why it cannot.
     *
     * @return the engine
     * @throws IvlException {@code PyTorch native could not be loaded: ...} when the native library or DJL's JNI for
     *     it is missing, mismatched or broken (what {@link #detect()} and {@code ivl doctor} report in full)
     */
    public static Engine engine() {
        try {
            return Engine.getEngine(ENGINE);
        } catch (RuntimeException | LinkageError e) {
            throw new IvlException("PyTorch native could not be loaded: " + oneLine(e) + " (`ivl doctor` explains)", e);
        }
    }

    /** @return what can be found out now; starts the engine */
    public static EngineFacts detect() {
        String jvm = System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ", "
                + System.getProperty("java.vm.name") + ")";
        NativeSource source = NativeSource.DJL_DOWNLOAD;
        String origin = null;
        Properties jar = null;
        if (hasLibtorch(System.getenv(LIBRARY_PATH))) {
            source = NativeSource.ENVIRONMENT_VARIABLE;
            origin = System.getenv(LIBRARY_PATH);
        } else if (hasLibtorch(System.getProperty(LIBRARY_PATH))) {
            source = NativeSource.SYSTEM_PROPERTY;
            origin = System.getProperty(LIBRARY_PATH);
        } else {
            URL url = EngineDetector.class.getClassLoader().getResource("native/lib/pytorch.properties");
            jar = url == null ? null : properties(url);
            if (jar != null && jar.getProperty("placeholder") == null) {
                source = NativeSource.CLASSPATH_JAR;
                origin = jarName(url);
            }
        }
        String loadError = null;
        String version = null;
        String flavor = null;
        boolean cudaBuild = false;
        String folder = null;
        int intraOp = 0;
        int interOp = 0;
        try {
            Engine engine = Engine.getEngine(ENGINE);
            version = engine.getVersion();
            cudaBuild = engine.hasCapability(StandardCapabilities.CUDA);
            folder = LibUtils.getLibtorchPath();
            flavor = flavor(source, jar, folder, cudaBuild);
            intraOp = JniUtils.getNumThreads();
            interOp = JniUtils.getNumInteropThreads();
        } catch (Throwable t) { // NOPMD: UnsatisfiedLinkError, EngineException, ExceptionInInitializerError...
            loadError = oneLine(t);
        }
        EngineFacts.Native lib = new EngineFacts.Native(source, origin, version, flavor, cudaBuild, folder, jni());
        return new EngineFacts(jvm, Engine.getDjlVersion(), loadError, lib, cuda(),
                new EngineFacts.Threads(intraOp, interOp, System.getProperty(THREADS_PROPERTY)));
    }

    private static boolean hasLibtorch(String path) {
        return path != null && !path.isEmpty() && Files.isRegularFile(Path.of(path).resolve(LIBTORCH));
    }

    private static Properties properties(URL url) {
        try (InputStream in = url.openStream()) {
            Properties p = new Properties();
            p.load(in);
            return p;
        } catch (IOException e) {
            return null;
        }
    }

    /** @return the jar's file name from {@code jar:file:/.../x.jar!/native/lib/pytorch.properties} */
    private static String jarName(URL url) {
        String s = url.toString();
        int end = s.indexOf("!/");
        return s.substring(s.lastIndexOf('/', end < 0 ? s.length() : end) + 1, end < 0 ? s.length() : end);
    }

    private static String flavor(NativeSource source, Properties jar, String folder, boolean cudaBuild) {
        String set = System.getenv("PYTORCH_FLAVOR") != null ? System.getenv("PYTORCH_FLAVOR")
                : System.getProperty("PYTORCH_FLAVOR");
        boolean local = source == NativeSource.ENVIRONMENT_VARIABLE || source == NativeSource.SYSTEM_PROPERTY;
        if (local && set != null && !set.isEmpty()) {
            return set;
        }
        if (source == NativeSource.CLASSPATH_JAR && jar.getProperty("flavor") != null) {
            return jar.getProperty("flavor");
        }
        Matcher m = CACHE_FOLDER.matcher(Path.of(folder).getFileName().toString());
        if (m.matches()) {
            return m.group(1);
        }
        return cudaBuild ? "cuda" : "cpu";
    }

    /** @return DJL's JNI version from the pytorch-jni jar and, on Linux, the file the process loaded */
    private static String jni() {
        URL url = EngineDetector.class.getClassLoader().getResource("jnilib/pytorch.properties");
        Properties p = url == null ? null : properties(url);
        String version = p == null ? null : p.getProperty("jni_version");
        String file = null;
        try {
            file = Files.readAllLines(Path.of("/proc/self/maps"), StandardCharsets.UTF_8).stream()
                    .map(line -> line.substring(line.indexOf('/') < 0 ? line.length() : line.indexOf('/')))
                    .filter(f -> f.endsWith(System.mapLibraryName("djl_torch"))).findFirst().orElse(null);
        } catch (IOException | RuntimeException e) {
            // not Linux: the version alone
        }
        if (version == null && file == null) {
            return null;
        }
        if (file == null) {
            return version + " (the pytorch-jni jar)";
        }
        // DJL loads a JNI built for the torch it found; the jar's version names the torch it was published for
        return file + (version == null ? "" : " (the pytorch-jni jar on the classpath is " + version + ")");
    }

    private static EngineFacts.Cuda cuda() {
        String runtime = null;
        List<EngineFacts.Gpu> gpus = new ArrayList<>();
        try {
            int count = CudaUtils.getGpuCount();
            runtime = versionString(CudaUtils.getCudaVersion());
            for (int i = 0; i < count; i++) {
                MemoryUsage memory = CudaUtils.getGpuMemory(Device.gpu(i));
                String cc = CudaUtils.getComputeCapability(i); // "90" for 9.0
                String capability = cc.substring(0, cc.length() - 1) + "." + cc.substring(cc.length() - 1);
                gpus.add(new EngineFacts.Gpu(i, Driver.deviceName(i), memory.getMax(),
                        memory.getMax() - memory.getUsed(), capability));
            }
        } catch (RuntimeException | LinkageError e) {
            // no CUDA runtime, or it failed: what was found so far
        }
        return new EngineFacts.Cuda(runtime, Driver.cudaVersion(), nvidiaDriver(), gpus);
    }

    /** @return 12080 as {@code 12.8} */
    private static String versionString(int version) {
        return version / 1000 + "." + version % 1000 / 10;
    }

    private static String nvidiaDriver() {
        try {
            return driverVersion(Files.readString(Path.of("/proc/driver/nvidia/version")));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * @param procVersion the text of {@code /proc/driver/nvidia/version}
     * @return the kernel module's version, or null
     */
    static String driverVersion(String procVersion) {
        Matcher m = KERNEL_MODULE.matcher(procVersion);
        return m.find() ? m.group(1) : null;
    }

    /** @return the throwable and its causes' messages on one line */
    static String oneLine(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String message = c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
            if (sb.indexOf(message) < 0) {
                sb.append(sb.length() == 0 ? "" : ": ").append(message);
            }
        }
        return sb.toString().replaceAll("\\s+", " ").trim();
    }

    /** The CUDA driver API ({@code libcuda}), for what DJL does not ask: the driver's version and device names. */
    private static final class Driver {
        private static final CudaDriver LIB = load();

        private Driver() {}

        private static CudaDriver load() {
            try {
                CudaDriver lib = Native.load("cuda", CudaDriver.class);
                return lib.cuInit(0) == 0 ? lib : null;
            } catch (LinkageError | RuntimeException e) {
                return null;
            }
        }

        static String cudaVersion() {
            int[] version = new int[1];
            return LIB != null && LIB.cuDriverGetVersion(version) == 0 ? versionString(version[0]) : null;
        }

        static String deviceName(int index) {
            int[] device = new int[1];
            byte[] name = new byte[256];
            if (LIB == null || LIB.cuDeviceGet(device, index) != 0
                    || LIB.cuDeviceGetName(name, name.length, device[0]) != 0) {
                return null;
            }
            return Native.toString(name);
        }
    }

    /** The few driver API functions {@link Driver} calls; each returns a CUresult, 0 on success. */
    interface CudaDriver extends Library {
        int cuInit(int flags);

        int cuDriverGetVersion(int[] version);

        int cuDeviceGet(int[] device, int ordinal);

        int cuDeviceGetName(byte[] name, int length, int device);
    }
}
