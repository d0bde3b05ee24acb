package dev.ivl.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.ivl.djl.llama.LoadOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpCountTest {
    /**
     * The decode step's engine ops per layer on the single-thread product path (the one a GPU takes): 59 before
     * the lean step, 32 now (26 calls through the engine: a product shows as aten::t and aten::matmul or addmm). A
     * change that adds ops to the decode step fails here.
     */
    static final int BUDGET = 32;

    @Test
    void decodeStepStaysWithinItsOpBudget(@TempDir Path dir) {
        Engine.getEngine("PyTorch"); // loads the native library that JniUtils calls
        int threads = JniUtils.getNumThreads();
        JniUtils.setNumThreads(1);
        try {
            OpCount.Result r = OpCount.measure(LoadOptions.defaults(), dir);
            System.out.print(r.toText());
            assertTrue(r.perLayer() <= BUDGET, r.toText());
            assertEquals(r.perLayer(), r.byOp().values().stream().mapToInt(Integer::intValue).sum());
            assertTrue(r.hostMicrosPerOp() > 0 && r.hostMicrosPerOp() < 1000, r.toText());
            // one layer's products: q/k/v, gate/up, the rotation of q/k/v and the two attention ones; o and down with
            // the residual as their bias
            assertEquals(5, r.byOp().get("aten::matmul"), r.toText());
            assertEquals(2, r.byOp().get("aten::addmm"), r.toText());
            assertEquals(2, r.byOp().get("aten::layer_norm"), r.toText());
        } finally {
            JniUtils.setNumThreads(threads);
        }
    }

    @Test
    void onlyEventsNoOtherEventOfTheirThreadEnclosesAreCounted(@TempDir Path dir) throws IOException {
        Path trace = dir.resolve("trace.json");
        Files.writeString(trace, """
                [
                {"name": "aten::linear", "ph": "X", "ts": 10.0, "dur": 10.0, "tid": 1},
                {"name": "aten::t", "ph": "X", "ts": 10.0, "dur": 1.0, "tid": 1},
                {"name": "aten::matmul", "ph": "X", "ts": 12.0, "dur": 7.0, "tid": 1},
                {"name": "aten::mm", "ph": "X", "ts": 13.0, "dur": 5.0, "tid": 1},
                {"name": "aten::add", "ph": "X", "ts": 20.0, "dur": 2.0, "tid": 1},
                {"name": "aten::mul", "ph": "X", "ts": 11.0, "dur": 2.0, "tid": 2},
                {"name": "process", "ph": "M", "ts": 0.0, "tid": 1}
                ]
                """);
        assertEquals(Map.of("aten::linear", 1, "aten::add", 1, "aten::mul", 1), OpCount.topLevel(trace));
    }
}
