package dev.ivl.djl.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.djl.testutil.Fixtures;
import dev.ivl.djl.testutil.RawSafetensors;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link LlamaModel} against Hugging Face transformers: logits computed by {@code LlamaForCausalLM} in float64 from
 * the same weights ({@code expected.safetensors}), compared at every position with fp32 compute. Tolerance: 1e-4
 * absolute, as the fixtures' README states for a correct fp32 implementation. The CPU's float16 mode (float16 weight
 * matrices, float32 activations) is held to {@value #F16_TOLERANCE}: its products round the activations to float16
 * (a relative error of 2^-11 per input), which these fixtures' logits, of magnitude up to a few units, turn into
 * errors of a few thousandths.
 */
class LlamaConformanceTest {
    static final double TOLERANCE = 1e-4;
    static final double F16_TOLERANCE = 0.02;
    private static final LoadOptions F32 = LoadOptions.builder().dtype(DataType.FLOAT32).build();
    private static final LoadOptions F16 = LoadOptions.builder().dtype(DataType.FLOAT16).build();

    static Path fixture(String name) {
        return switch (name) {
            case "mha", "gqa-tied" -> Fixtures.path("hf-llama/" + name); // shipped with the project
            default -> Fixtures.shared("conformance/hf-llama/" + name);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"mha", "gqa-tied", "mqa-llama2vocab-fp16", "gqa-bf16", "sharded-deep"})
    void logitsMatchTransformersAtEveryPosition(String name) {
        assertLogitsWithin(name, F32, TOLERANCE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"mha", "gqa-tied", "mqa-llama2vocab-fp16", "gqa-bf16", "sharded-deep"})
    void float16WeightsStayWithinTheirToleranceOfTransformers(String name) {
        assertLogitsWithin(name, F16, F16_TOLERANCE);
    }

    private static void assertLogitsWithin(String name, LoadOptions options, double tolerance) {
        Path dir = fixture(name);
        RawSafetensors expected = RawSafetensors.read(dir.resolve("expected.safetensors"));
        try (LlamaModel model = LlamaModel.load(dir, options)) {
            assertEquals(DataType.FLOAT32, model.computeDtype(), "the CPU computes in float32");
            for (String seq : new String[] {"one", "short", "long"}) {
                int[] ids = expected.ints("input_ids." + seq);
                float[] want = expected.floats("logits." + seq);
                float[][] got = model.logits(ids);
                double err = maxAbsError(got, want, model.vocabSize());
                System.out.printf("conformance %-22s %-4s %-5s T=%-3d max|Δlogit| = %.3g%n", name,
                        model.dtype() == DataType.FLOAT32 ? "f32" : "f16", seq, ids.length, err);
                assertTrue(err <= tolerance, name + "/" + seq + ": max error " + err + " > " + tolerance);
            }
        }
    }

    @Test
    void halfPrecisionCheckpointsLoadAsFloat16WeightsOnTheCpu() {
        for (String name : List.of("mqa-llama2vocab-fp16", "gqa-bf16", "mha")) {
            try (LlamaModel model = LlamaModel.load(fixture(name))) {
                assertEquals(name.equals("mha") ? DataType.FLOAT32 : DataType.FLOAT16, model.dtype(), name);
                assertEquals(DataType.FLOAT32, model.computeDtype(), name);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mha", "gqa-tied", "mqa-llama2vocab-fp16", "gqa-bf16", "sharded-deep"})
    void greedyTokensMatchTransformers(String name) {
        Path dir = fixture(name);
        RawSafetensors expected = RawSafetensors.read(dir.resolve("expected.safetensors"));
        int[] prompt = expected.ints("greedy.prompt");
        int[] want = expected.ints("greedy.output");
        try (LlamaModel model = LlamaModel.load(dir, F32)) {
            GenerationResult result = new Generator(model).generate(prompt,
                    GenerationConfig.builder().greedy().maxNewTokens(want.length).build(), TokenListener.NONE,
                    new CancellationToken());
            assertArrayEquals(want, result.tokens(), name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mha", "gqa-tied"})
    void cachedStepsAndChunkedPrefillEqualTheFullSequence(String name) {
        Path dir = fixture(name);
        int[] ids = RawSafetensors.read(dir.resolve("expected.safetensors")).ints("input_ids.long");
        try (LlamaModel full = LlamaModel.load(dir);
                LlamaModel chunked = LlamaModel.load(dir, LoadOptions.builder().prefillChunk(7).build())) {
            float[][] reference = full.logits(ids);
            int vocab = full.vocabSize();
            // prefill 10 tokens, then one token per step through the cache
            try (LlamaSession s = full.newSession()) {
                float[] logits = s.append(Arrays.copyOf(ids, 10));
                double err = maxAbs(logits, reference[9]);
                for (int i = 10; i < ids.length; i++) {
                    logits = s.append(ids[i]);
                    err = Math.max(err, maxAbs(logits, reference[i]));
                }
                assertEquals(ids.length, s.position());
                System.out.printf("cache vs full %-10s max|Δ| = %.3g%n", name, err);
                assertTrue(err <= 1e-5, "cached decoding differs from full forward by " + err);
            }
            // prefill in chunks of 7 tokens: every row equal to the single-pass forward
            double err = maxAbsError(chunked.logits(ids), flatten(reference), vocab);
            assertTrue(err <= 1e-5, "chunked prefill differs by " + err);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gqa-tied"})
    void rewindThenRefeedEqualsAFreshSession(String name) {
        Path dir = fixture(name);
        int[] ids = RawSafetensors.read(dir.resolve("expected.safetensors")).ints("input_ids.short");
        try (LlamaModel model = LlamaModel.load(dir); LlamaSession s = model.newSession()) {
            s.append(ids);
            s.rewind(5);
            assertEquals(5, s.position());
            int[] tail = {7, 8, 9};
            float[] afterRewind = s.append(tail);
            int[] fresh = new int[8];
            System.arraycopy(ids, 0, fresh, 0, 5);
            System.arraycopy(tail, 0, fresh, 5, 3);
            float[][] reference = model.logits(fresh);
            assertTrue(maxAbs(afterRewind, reference[7]) <= 1e-5);
        }
    }

    static double maxAbsError(float[][] got, float[] want, int vocab) {
        assertEquals(want.length, got.length * vocab, "logits size");
        double err = 0;
        for (int r = 0; r < got.length; r++) {
            for (int v = 0; v < vocab; v++) {
                err = Math.max(err, Math.abs(got[r][v] - want[r * vocab + v]));
            }
        }
        return err;
    }

    static double maxAbs(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double err = 0;
        for (int i = 0; i < a.length; i++) {
            err = Math.max(err, Math.abs(a[i] - b[i]));
        }
        return err;
    }

    static float[] flatten(float[][] rows) {
        float[] out = new float[rows.length * rows[0].length];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, out, r * rows[0].length, rows[0].length);
        }
        return out;
    }
}
