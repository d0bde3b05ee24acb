package dev.ivl.djl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The verdict from hand-made facts: every way to end up on the CPU, and ready. */
class DiagnosisTest {
    static final EngineFacts.Gpu H200 = new EngineFacts.Gpu(0, "NVIDIA H200", 150L << 30, 149L << 30, "9.0");
    static final EngineFacts.Gpu H200_1 = new EngineFacts.Gpu(1, "NVIDIA H200", 150L << 30, 149L << 30, "9.0");

    static EngineFacts facts(String loadError, NativeSource source, String flavor, boolean cudaBuild,
            String runtime, String driverCuda, List<EngineFacts.Gpu> gpus) {
        return new EngineFacts("17", "0.36.0", loadError,
                new EngineFacts.Native(source, source == NativeSource.CLASSPATH_JAR
                        ? "pytorch-native-cpu-2.7.1-linux-x86_64.jar" : null,
                        loadError == null ? "2.7.1" : null, flavor, cudaBuild, "/lib", "2.7.1-0.36.0"),
                new EngineFacts.Cuda(runtime, driverCuda, driverCuda == null ? null : "570.86.15", gpus),
                new EngineFacts.Threads(2, 2, null));
    }

    @Test
    void cpuBuildFromTheJarWhileGpusAreVisibleNamesTheJar() {
        Diagnosis d = Diagnosis.cuda(facts(null, NativeSource.CLASSPATH_JAR, "cpu", false, "12.8", "12.8",
                List.of(H200)));
        assertFalse(d.ready());
        assertEquals("CPU only, because the PyTorch native is the CPU build (pytorch-native jar on the classpath:"
                + " pytorch-native-cpu-2.7.1-linux-x86_64.jar) although 1 GPU(s) are visible; see README"
                + " \"Run on CUDA\"", d.line());
    }

    @Test
    void cpuBuildWithoutCuda() {
        assertEquals("CPU only, because the PyTorch native is the CPU build (pytorch-native jar on the classpath:"
                + " pytorch-native-cpu-2.7.1-linux-x86_64.jar) and no CUDA runtime (libcudart) could be loaded",
                Diagnosis.cuda(facts(null, NativeSource.CLASSPATH_JAR, "cpu", false, null, null, List.of())).line());
    }

    @Test
    void downloadWithACudaRuntimeOlderThan128FellBackToTheCpu() {
        Diagnosis d = Diagnosis.cuda(facts(null, NativeSource.DJL_DOWNLOAD, "cpu", false, "12.4", "12.4",
                List.of(H200)));
        assertFalse(d.ready());
        assertTrue(d.line().startsWith("CPU only, because the CUDA runtime is 12.4, older than the 12.8"), d.line());
    }

    @Test
    void cudaBuildThatSeesNoGpuSaysWhy() {
        assertEquals("CPU only, because PyTorch's CUDA build (cu128) loaded but sees 0 GPUs: the driver supports"
                + " CUDA 12.4, older than the 12.8 this build needs", Diagnosis.cuda(facts(null,
                NativeSource.ENVIRONMENT_VARIABLE, "cu128", true, "12.8", "12.4", List.of())).line());
        assertEquals("CPU only, because PyTorch's CUDA build (cu128) loaded but sees 0 GPUs: the CUDA runtime"
                + " (libcudart) could not be loaded; add its folder to LD_LIBRARY_PATH", Diagnosis.cuda(facts(null,
                NativeSource.ENVIRONMENT_VARIABLE, "cu128", true, null, "12.8", List.of())).line());
        Diagnosis hidden = Diagnosis.gpu(facts(null, NativeSource.DJL_DOWNLOAD, "cu128", true, "12.8", "12.8",
                List.of()), 0);
        assertFalse(hidden.ready());
        assertTrue(hidden.line().startsWith("CPU only, because PyTorch's CUDA build (cu128) loaded but sees 0 GPUs"
                + " (CUDA runtime 12.8, driver for CUDA 12.8;"), hidden.line());
    }

    @Test
    void gpuIndexOutOfRangeNamesTheGpusThereAre() {
        EngineFacts two = facts(null, NativeSource.DJL_DOWNLOAD, "cu128", true, "12.8", "12.8", List.of(H200, H200_1));
        assertEquals(new Diagnosis(false, "gpu:2 is not available: PyTorch sees 2 GPU(s), gpu:0 to gpu:1"),
                Diagnosis.gpu(two, 2));
        assertTrue(Diagnosis.gpu(two, 1).ready());
    }

    @Test
    void loadFailureIsTheVerdictAndFailsEveryDevice() {
        EngineFacts broken = facts("libtorch.so: cannot open shared object file", NativeSource.ENVIRONMENT_VARIABLE,
                null, false, null, null, List.of());
        Diagnosis d = Diagnosis.cuda(broken);
        assertEquals(new Diagnosis(false, "PyTorch native could not be loaded: libtorch.so: cannot open shared"
                + " object file"), d);
        assertEquals(d, Diagnosis.gpu(broken, 0));
        assertFalse(Diagnosis.cpu(broken).ready());
    }

    @Test
    void readyWhenACudaBuildSeesGpus() {
        EngineFacts one = facts(null, NativeSource.CLASSPATH_JAR, "cu124", true, "12.8", "12.8", List.of(H200));
        assertEquals(new Diagnosis(true, "CUDA ready: 1 GPU(s)"), Diagnosis.cuda(one));
        assertEquals(new Diagnosis(true, "CUDA ready: 1 GPU(s)"), Diagnosis.gpu(one, 0));
        assertTrue(Diagnosis.cpu(one).ready());
    }

    @Test
    void cpuIsReadyOnTheCpuBuild() {
        Diagnosis d = Diagnosis.cpu(facts(null, NativeSource.CLASSPATH_JAR, "cpu", false, null, null, List.of()));
        assertTrue(d.ready());
        assertTrue(d.line().startsWith("CPU only, because"), d.line());
    }

    @Test
    void cudaVersionsReadAsNumbers() {
        assertEquals(128, Diagnosis.cudaNumber("12.8"));
        assertEquals(0, Diagnosis.cudaNumber(null));
        assertEquals(124, Diagnosis.flavorCuda("cu124-precxx11"));
        assertEquals(0, Diagnosis.flavorCuda("cpu"));
    }
}
