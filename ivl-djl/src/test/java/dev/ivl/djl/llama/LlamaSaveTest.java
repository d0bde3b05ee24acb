package dev.ivl.djl.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import dev.ivl.djl.testutil.Fixtures;
import dev.ivl.djl.weights.SafetensorsCheckpoint;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saving writes the Hugging Face layout back: same tensor names and values, same logits after reloading. */
class LlamaSaveTest {
    @Test
    void saveThenLoadGivesIdenticalTensorsAndLogits(@TempDir Path tmp) {
        for (String name : new String[] {"mha", "gqa-tied"}) {
            Path src = Fixtures.path("hf-llama/" + name);
            Path dst = tmp.resolve(name);
            int[] ids = {1, 5, 9, 300, 2, 17};
            try (LlamaModel model = LlamaModel.load(src)) {
                model.save(dst, DataType.FLOAT32);
                try (LlamaModel reloaded = LlamaModel.load(dst)) {
                    assertEquals(model.config(), reloaded.config());
                    float[][] a = model.logits(ids);
                    float[][] b = reloaded.logits(ids);
                    for (int t = 0; t < ids.length; t++) {
                        assertArrayEquals(a[t], b[t], 0f, name + " position " + t);
                    }
                }
            }
            try (SafetensorsCheckpoint original = SafetensorsCheckpoint.open(src);
                    SafetensorsCheckpoint saved = SafetensorsCheckpoint.open(dst)) {
                Set<String> names = new TreeSet<>(original.names());
                assertEquals(names, new TreeSet<>(saved.names()), name + ": the HF tensor names, nothing fused");
                for (String t : names) {
                    assertArrayEquals(original.readFloats(t), saved.readFloats(t), 0f, t);
                }
            }
        }
    }

    @Test
    void halfPrecisionSaveRecordsItsDtype(@TempDir Path tmp) {
        try (LlamaModel model = LlamaModel.load(Fixtures.path("hf-llama/mha"))) {
            model.save(tmp, DataType.FLOAT16);
        }
        try (SafetensorsCheckpoint saved = SafetensorsCheckpoint.open(tmp)) {
            assertTrue(saved.names().stream().allMatch(n -> saved.info(n).dtype().equals("F16")));
        }
        assertEquals("float16", LlamaConfig.load(tmp).torchDtype());
    }
}
