package dev.ivl.djl.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import dev.ivl.djl.testutil.RawSafetensors;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link HostStep}: single-token steps in Java against the engine's pass over the whole sequence, on every HF fixture
 * (MHA, GQA, MQA, tied embeddings, bfloat16 and float16 storage, a deep stack), for float32, int8 and float16
 * weights; and the cache they share, written by either and read by the other.
 */
class HostStepTest {
    /** float32 sums in another order than the engine's, over a few dozen positions. */
    private static final double TOLERANCE = 1e-5;
    /** A prompt long enough for the engine's pass (more than {@link HostStep#MAX_ROWS} tokens). */
    private static final int PROMPT = HostStep.MAX_ROWS + 4;

    private static float[][] engineRows(LlamaModel model, int[] ids) {
        return model.logits(ids); // one pass of every row: the engine's (or the kernels') products, never a host step
    }

    @ParameterizedTest
    @ValueSource(strings = {"mha", "gqa-tied", "mqa-llama2vocab-fp16", "gqa-bf16", "sharded-deep"})
    void stepsInJavaEqualTheEnginesPassForFloat32AndInt8Weights(String name) {
        Path dir = LlamaConformanceTest.fixture(name);
        int[] ids = RawSafetensors.read(dir.resolve("expected.safetensors")).ints("input_ids.long");
        for (DataType dtype : new DataType[] {DataType.FLOAT32, DataType.INT8}) {
            try (LlamaModel model = LlamaModel.load(dir, LoadOptions.builder().dtype(dtype).build())) {
                assertTrue(model.stepsInJava(PROMPT, 1));
                double err = stepwiseError(model, ids, PROMPT, engineRows(model, ids));
                System.out.printf("host step vs pass %-22s %-7s max|Δlogit| = %.3g%n", name, dtype, err);
                assertTrue(err <= TOLERANCE, name + " " + dtype + ": " + err);
            }
        }
    }

    @Test
    void float16WeightsStepInFloat32ArithmeticAsTheFloat32ModelOfTheSameValues() {
        Path dir = LlamaConformanceTest.fixture("mqa-llama2vocab-fp16"); // stored float16: both loads hold one value
        int[] ids = RawSafetensors.read(dir.resolve("expected.safetensors")).ints("input_ids.long");
        try (LlamaModel half = LlamaModel.load(dir, LoadOptions.builder().dtype(DataType.FLOAT16).build());
                LlamaModel single = LlamaModel.load(dir, LoadOptions.builder().dtype(DataType.FLOAT32).build())) {
            // every token a step: the fixture's matrices are too small for Java's prompt products, and the engine's
            // float16 products round their activations
            double err = stepwiseError(half, ids, 1, engineRows(single, ids));
            assertTrue(err <= TOLERANCE, "float16 weights widened exactly, float32 activations: " + err);
        }
    }

    /**
     * The first {@code prompt} tokens in one append (a pass, or a step for one), then one Java step per token: the
     * largest difference of any row.
     */
    private static double stepwiseError(LlamaModel model, int[] ids, int prompt, float[][] reference) {
        try (LlamaSession s = model.newSession()) {
            double err = LlamaConformanceTest.maxAbs(s.append(Arrays.copyOf(ids, prompt)), reference[prompt - 1]);
            for (int i = prompt; i < ids.length; i++) {
                err = Math.max(err, LlamaConformanceTest.maxAbs(s.append(ids[i]), reference[i]));
            }
            return err;
        }
    }

    @Test
    void passesAndJavaStepsShareTheCacheInBothDirectionsAndAfterARewind() {
        Path dir = LlamaConformanceTest.fixture("gqa-tied");
        int[] ids = RawSafetensors.read(dir.resolve("expected.safetensors")).ints("input_ids.long");
        int p = PROMPT;
        try (LlamaModel model = LlamaModel.load(dir, LoadOptions.builder().dtype(DataType.FLOAT32).build());
                LlamaSession s = model.newSession()) {
            float[][] reference = engineRows(model, ids);
            s.append(Arrays.copyOf(ids, p)); //                                  the engine's pass writes 0 to p − 1
            for (int i = p; i < p + 3; i++) { //                                 Java steps read them and write on
                assertEquals(0, LlamaConformanceTest.maxAbs(s.append(ids[i]), reference[i]), TOLERANCE);
            }
            float[][] rows = s.appendAll(Arrays.copyOfRange(ids, p + 3, p + 7)); //  four rows in one Java call
            for (int i = 0; i < rows.length; i++) {
                assertEquals(0, LlamaConformanceTest.maxAbs(rows[i], reference[p + 3 + i]), TOLERANCE, "row " + i);
            }
            rows = s.appendAll(Arrays.copyOfRange(ids, p + 7, 2 * p + 7)); //   the engine's pass reads Java's writes
            for (int i = 0; i < rows.length; i++) {
                assertEquals(0, LlamaConformanceTest.maxAbs(rows[i], reference[p + 7 + i]), TOLERANCE, "row " + i);
            }
            assertEquals(0, LlamaConformanceTest.maxAbs(s.append(ids[2 * p + 7]), reference[2 * p + 7]), TOLERANCE);
            s.rewind(p + 1); //                                                  Java steps overwrite p + 1 on
            for (int i = p + 1; i < p + 10; i++) {
                assertEquals(0, LlamaConformanceTest.maxAbs(s.append(ids[i]), reference[i]), TOLERANCE, "at " + i);
            }
            assertEquals(p + 10, s.position());
        }
    }

    @Test
    void longContextsSplitTheAttentionAcrossThreadsAndStillEqualThePass(@TempDir Path tmp) {
        Path dir = randomModel(tmp.resolve("long"), 64, 128, 2, 100, 512, "F32");
        int[] ids = new java.util.SplittableRandom(7).ints(300, 0, 100).toArray(); // past 256: the split attention
        try (LlamaModel model = LlamaModel.load(dir, LoadOptions.builder().dtype(DataType.FLOAT32).build())) {
            float[][] reference = engineRows(model, ids);
            double magnitude = magnitude(reference);
            double err = stepwiseError(model, ids, 200, reference);
            // float32 sums in another order over 300 positions: 1.5e-6 of the largest logit, the same with the
            // attention on one thread; a head or position out of place would be off by the logits' own size
            assertTrue(err <= 5e-6 * magnitude, "max |Δlogit| " + err + " against logits up to " + magnitude);
        }
    }

    @Test
    void largeFloat16LayersStepInJavaWithTheEnginesProductsAsTheEnginesPassDoes(@TempDir Path tmp) {
        // one layer and a tied vocabulary of 2^17 × 256: 64 MB of float16 weights per layer, the engine's products
        Path dir = randomModel(tmp.resolve("wide"), 256, 512, 1, 1 << 17, 64, "F16");
        int[] ids = new java.util.SplittableRandom(11).ints(24, 0, 1 << 17).toArray();
        LoadOptions.Builder half = LoadOptions.builder().dtype(DataType.FLOAT16);
        try (LlamaModel model = LlamaModel.load(dir, half.build());
                LlamaModel engine = LlamaModel.load(dir, half.javaSteps(false).build())) {
            assertTrue(LlamaModel.halfProductsOnEngine(model.config(), DataType.FLOAT16));
            assertTrue(model.stepsInJava(0, HostStep.MAX_ROWS));
            assertFalse(engine.stepsInJava(0, 1));
            float[][] reference = new float[ids.length][];
            try (LlamaSession e = engine.newSession()) {
                for (int i = 0; i < ids.length; i++) { // one row per pass: the engine's float16 products, as a step's
                    reference[i] = e.append(ids[i]);
                }
            }
            double magnitude = magnitude(reference);
            int arrays = model.liveArrays();
            double err = 0;
            try (LlamaSession s = model.newSession()) {
                for (int i = 0; i < 16; i++) {
                    err = Math.max(err, LlamaConformanceTest.maxAbs(s.append(ids[i]), reference[i]));
                }
                float[][] rows = s.appendAll(Arrays.copyOfRange(ids, 16, ids.length)); //   eight rows in one call
                for (int i = 0; i < rows.length; i++) {
                    err = Math.max(err, LlamaConformanceTest.maxAbs(rows[i], reference[16 + i]));
                }
            }
            System.out.printf("host step with the engine's float16 products: max|Δlogit| = %.3g of %.3g%n", err,
                    magnitude);
            // both round the products' inputs to float16 at the same places; the float32 arithmetic between them
            // differs in order, which moves a rounding by one float16 step now and then; a wrong row, head or
            // position is off by the logits' own size
            assertTrue(err <= 2e-3 * magnitude, "max |Δlogit| " + err + " against logits up to " + magnitude);
            assertEquals(arrays, model.liveArrays(), "each product's arrays are freed with it");
        }
    }

    /**
     * Writes a random one-file checkpoint, Gaussian weights (σ = 0.2) and unit norms, tied embeddings, four query
     * heads and two key-value heads.
     *
     * @param dtype the stored float type, {@code F32} or {@code F16}
     */
    private static Path randomModel(Path dir, int hidden, int ffn, int layers, int vocab, int context, String dtype) {
        try {
            java.nio.file.Files.createDirectories(dir);
            java.nio.file.Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\", \"hidden_size\": "
                    + hidden + ", \"intermediate_size\": " + ffn + ", \"num_hidden_layers\": " + layers
                    + ", \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"vocab_size\": " + vocab
                    + ", \"max_position_embeddings\": " + context + ", \"rms_norm_eps\": 1e-5,"
                    + " \"tie_word_embeddings\": true, \"torch_dtype\": \"float32\"}");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        dev.ivl.djl.weights.SafetensorsWriter writer = new dev.ivl.djl.weights.SafetensorsWriter();
        writer.add("model.embed_tokens.weight", new long[] {vocab, hidden}, dtype, gaussian(random.split()));
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            long[][] shapes = {{hidden, hidden}, {hidden / 2, hidden}, {hidden / 2, hidden}, {hidden, hidden},
                {ffn, hidden}, {ffn, hidden}, {hidden, ffn}};
            String[] names = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};
            for (int i = 0; i < names.length; i++) {
                writer.add(p + names[i] + ".weight", shapes[i], dtype, gaussian(random.split()));
            }
            writer.add(p + "input_layernorm.weight", new long[] {hidden}, dtype, HostStepTest::ones);
            writer.add(p + "post_attention_layernorm.weight", new long[] {hidden}, dtype, HostStepTest::ones);
        }
        writer.add("model.norm.weight", new long[] {hidden}, dtype, HostStepTest::ones);
        writer.write(dir.resolve("model.safetensors"));
        return dir;
    }

    private static dev.ivl.djl.weights.SafetensorsWriter.FloatSource gaussian(java.util.SplittableRandom random) {
        return (offset, chunk, length) -> {
            for (int i = 0; i < length; i++) {
                chunk[i] = (float) (random.nextGaussian() * 0.2);
            }
        };
    }

    private static void ones(long offset, float[] chunk, int length) {
        Arrays.fill(chunk, 0, length, 1f);
    }

    private static double magnitude(float[][] rows) {
        double magnitude = 0;
        for (float[] row : rows) {
            for (float v : row) {
                magnitude = Math.max(magnitude, Math.abs(v));
            }
        }
        return magnitude;
    }

    @Test
    void largeFloat16LayersMultiplyOnTheEngineAndOnlyTheCpuWithFloat32ActivationsStepsInJava() {
        LlamaConfig small = LlamaConfig.parse("{\"model_type\": \"llama\", \"hidden_size\": 1024, \"intermediate_size\": 2816,"
                + " \"num_hidden_layers\": 8, \"num_attention_heads\": 16, \"num_key_value_heads\": 4,"
                + " \"vocab_size\": 32000, \"max_position_embeddings\": 2048}", null);
        LlamaConfig large = LlamaConfig.parse("{\"model_type\": \"llama\", \"hidden_size\": 2048, \"intermediate_size\": 5632,"
                + " \"num_hidden_layers\": 22, \"num_attention_heads\": 32, \"num_key_value_heads\": 4,"
                + " \"vocab_size\": 32000, \"max_position_embeddings\": 2048}", null);
        assertFalse(LlamaModel.halfProductsOnEngine(small, DataType.FLOAT16), "31 MB per layer");
        assertTrue(LlamaModel.halfProductsOnEngine(large, DataType.FLOAT16), "94 MB per layer");
        assertFalse(LlamaModel.halfProductsOnEngine(large, DataType.FLOAT32));
        assertFalse(LlamaModel.halfProductsOnEngine(large, DataType.INT8));
        assertTrue(LlamaModel.hostStepWanted(false, DataType.FLOAT32));
        assertFalse(LlamaModel.hostStepWanted(true, DataType.FLOAT32), "a GPU");
        assertFalse(LlamaModel.hostStepWanted(false, DataType.FLOAT16), "float16 compute");
    }
}
