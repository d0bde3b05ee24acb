package dev.ivl.djl.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.djl.testutil.RawSafetensors;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Int8 weights (projections and lm_head quantized per output row at load) against Hugging Face's float64 logits.
 * Tolerance {@value #INT8_TOLERANCE}: a weight's rounding error is up to half a step, 1/254 of its row's largest
 * weight; on these fixtures' random weights that moves logits by a few hundredths.
 */
class Int8ModelTest {
    static final double INT8_TOLERANCE = 0.2;
    private static final LoadOptions INT8 = LoadOptions.builder().dtype(DataType.INT8).build();

    @ParameterizedTest
    @ValueSource(strings = {"mha", "gqa-tied", "mqa-llama2vocab-fp16", "gqa-bf16", "sharded-deep"})
    void int8LogitsStayWithinTheirToleranceOfTransformersAndGreedyTokensAreReported(String name) {
        Path dir = LlamaConformanceTest.fixture(name);
        RawSafetensors expected = RawSafetensors.read(dir.resolve("expected.safetensors"));
        try (LlamaModel model = LlamaModel.load(dir, INT8)) {
            assertEquals(DataType.INT8, model.dtype());
            assertEquals(DataType.FLOAT32, model.computeDtype());
            for (String seq : new String[] {"one", "short", "long"}) {
                int[] ids = expected.ints("input_ids." + seq);
                float[] want = expected.floats("logits." + seq);
                double err = LlamaConformanceTest.maxAbsError(model.logits(ids), want, model.vocabSize());
                System.out.printf("conformance %-22s int8 %-5s T=%-3d max|Δlogit| = %.3g%n", name, seq, ids.length,
                        err);
                assertTrue(err <= INT8_TOLERANCE, name + "/" + seq + ": max error " + err);
            }
            int[] prompt = expected.ints("greedy.prompt");
            int[] greedy = expected.ints("greedy.output");
            int[] got = new Generator(model).generate(prompt, GenerationConfig.builder().maxNewTokens(greedy.length)
                    .build(), TokenListener.NONE, new CancellationToken()).tokens();
            int same = 0;
            while (same < greedy.length && got[same] == greedy[same]) {
                same++;
            }
            System.out.printf("greedy %-22s int8: %d of %d tokens equal to transformers' before the first"
                    + " difference%n", name, same, greedy.length);
        }
    }

    @Test
    void int8ModelsRefuseTrainingSavingAndTheGpu(@TempDir Path tmp) {
        try (LlamaModel model = LlamaModel.load(LlamaConformanceTest.fixture("mha"), INT8)) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, model::parameters);
            assertTrue(e.getMessage().contains("int8"), e.getMessage());
            assertThrows(UnsupportedOperationException.class, () -> model.save(tmp, DataType.FLOAT16));
        }
        IllegalParameterException gpu = assertThrows(IllegalParameterException.class,
                () -> LoadOptions.builder().device("gpu").dtype(DataType.INT8).build());
        assertTrue(gpu.getMessage().contains("CPU only"), gpu.getMessage());
        assertEquals(DataType.INT8, LoadOptions.parseDtype("int8"));
    }
}
