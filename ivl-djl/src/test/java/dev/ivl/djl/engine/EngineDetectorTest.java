package dev.ivl.djl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.djl.llama.LoadOptions;
import org.junit.jupiter.api.Test;

/** What the detector finds with the test classpath's CPU native, and what a GPU request then gets. */
class EngineDetectorTest {
    @Test
    void findsTheCpuNativeFromTheClasspathJar() {
        EngineFacts facts = EngineDetector.detect();
        assertTrue(facts.loaded(), facts.loadError());
        EngineFacts.Native lib = facts.nativeLibrary();
        assertEquals(NativeSource.CLASSPATH_JAR, lib.source());
        assertTrue(lib.origin().startsWith("pytorch-native-cpu-"), lib.origin());
        assertEquals(Engine.getEngine("PyTorch").getVersion(), lib.version());
        assertEquals("cpu", lib.flavor());
        assertFalse(lib.cudaBuild());
        assertNotNull(lib.folder());
        assertTrue(lib.jni().contains(lib.version() + "-" + facts.djlVersion()), lib.jni());
        assertTrue(facts.threads().intraOp() >= 1);
    }

    @Test
    void gpuOnTheCpuBuildIsRefusedWithTheDiagnosis() {
        Diagnosis diagnosis = Diagnosis.cuda(EngineDetector.detect());
        assertFalse(diagnosis.ready());
        IllegalParameterException e = assertThrows(() -> LoadOptions.builder().device("gpu").build());
        assertEquals("device", e.parameter());
        assertEquals("device gpu: " + diagnosis.line(), e.getMessage());
        assertTrue(e.getMessage().contains("CPU only, because the PyTorch native is the CPU build"), e.getMessage());
    }

    private static IllegalParameterException assertThrows(org.junit.jupiter.api.function.Executable run) {
        return org.junit.jupiter.api.Assertions.assertThrows(IllegalParameterException.class, run);
    }

    @Test
    void oneLineJoinsTheCauses() {
        assertEquals("Failed to load PyTorch native library: libtorch.so: cannot open",
                EngineDetector.oneLine(new IllegalStateException("Failed to load PyTorch native library",
                        new UnsatisfiedLinkError("libtorch.so:\n cannot open"))));
    }

    @Test
    void readsTheDriverVersionOfOpenAndProprietaryKernelModules() {
        assertEquals("580.159.04", EngineDetector.driverVersion("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64"
                + "  580.159.04  Release Build  (dvs-builder@U16-I1-N07-12-3)  Thu Oct  2 10:00:00 UTC 2025\n"
                + "GCC version:  gcc version 12.3.0\n"));
        assertEquals("535.104.05", EngineDetector.driverVersion(
                "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\n"));
        assertEquals(null, EngineDetector.driverVersion("no driver here"));
    }
}
