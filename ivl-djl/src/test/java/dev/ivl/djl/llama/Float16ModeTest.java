package dev.ivl.djl.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.ivl.djl.testutil.Fixtures;
import dev.ivl.djl.weights.Float16OverflowException;
import dev.ivl.djl.weights.SafetensorsCheckpoint;
import dev.ivl.djl.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CPU's float16 mode: float16 weight matrices, float32 everything else; and bfloat16 values beyond float16's
 * range, which must neither become infinite nor pass unnoticed.
 */
class Float16ModeTest {
    private static final String BIG = "model.layers.0.mlp.down_proj.weight";

    /** The {@code mha} fixture stored as BF16, with one weight of {@code BIG} set to {@code value}. */
    private static Path bf16Copy(Path dir, float value) throws IOException {
        Path src = Fixtures.path("hf-llama/mha");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), Files.readString(src.resolve("config.json"))
                .replace("\"float32\"", "\"bfloat16\""));
        SafetensorsWriter writer = new SafetensorsWriter();
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(src)) {
            for (String name : checkpoint.names()) {
                float[] values = checkpoint.readFloats(name);
                if (name.equals(BIG)) {
                    values[3] = value;
                }
                writer.add(name, values, checkpoint.info(name).shape(), "BF16");
            }
        }
        writer.write(dir.resolve(SafetensorsCheckpoint.SINGLE_FILE));
        return dir;
    }

    @Test
    void aValueBeyondFloat16KeepsItsTensorInFloat32AndTheLogitsFinite(@TempDir Path tmp) throws IOException {
        Path dir = bf16Copy(tmp.resolve("big"), 1e5f);
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir);
                NDManager m = NDManager.newBaseManager()) {
            Float16OverflowException e = assertThrows(Float16OverflowException.class,
                    () -> checkpoint.load(BIG, m, DataType.FLOAT16));
            assertEquals(BIG, e.tensor());
            assertTrue(e.getMessage().contains(BIG) && e.getMessage().contains("65504"), e.getMessage());
        }
        int[] ids = {1, 5, 9, 2, 7};
        try (LlamaModel half = LlamaModel.load(dir); LlamaModel single = LlamaModel.load(dir,
                LoadOptions.builder().dtype(DataType.FLOAT32).build())) {
            assertEquals(DataType.FLOAT16, half.dtype(), "a bfloat16 checkpoint loads as float16 weights on the CPU");
            assertEquals(List.of(BIG), half.float32Weights(), "reported, and only that tensor");
            assertEquals(List.of(), single.float32Weights());
            float[][] got = half.logits(ids);
            float[][] want = single.logits(ids);
            for (int t = 0; t < ids.length; t++) {
                for (int v = 0; v < got[t].length; v++) {
                    assertTrue(Float.isFinite(got[t][v]), "finite logits");
                    assertEquals(want[t][v], got[t][v], 0.05, "row " + t + ", token " + v);
                }
            }
        }
    }

    /**
     * A one-layer checkpoint stored as F16 whose matrices are large enough for Java's products (at least
     * {@value KernelPass#MIN_WEIGHTS} weights each): hidden 512, 8 heads, ffn 1024, 600 tokens, tied embeddings.
     */
    private static Path float16Checkpoint(Path dir) throws IOException {
        int hidden = 512;
        int ffn = 1024;
        int vocab = 600;
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\":"
                + " \"llama\", \"hidden_size\": " + hidden + ", \"intermediate_size\": " + ffn + ","
                + " \"num_hidden_layers\": 1, \"num_attention_heads\": 8, \"num_key_value_heads\": 8,"
                + " \"vocab_size\": " + vocab + ", \"max_position_embeddings\": 256, \"rms_norm_eps\": 1e-5,"
                + " \"rope_theta\": 10000.0, \"tie_word_embeddings\": true, \"torch_dtype\": \"float16\"}");
        java.util.SplittableRandom random = new java.util.SplittableRandom(16);
        SafetensorsWriter writer = new SafetensorsWriter();
        String p = "model.layers.0.";
        Object[][] tensors = {{"model.embed_tokens.weight", vocab, hidden}, {p + "self_attn.q_proj.weight", hidden, hidden},
            {p + "self_attn.k_proj.weight", hidden, hidden}, {p + "self_attn.v_proj.weight", hidden, hidden},
            {p + "self_attn.o_proj.weight", hidden, hidden}, {p + "mlp.gate_proj.weight", ffn, hidden},
            {p + "mlp.up_proj.weight", ffn, hidden}, {p + "mlp.down_proj.weight", hidden, ffn}};
        for (Object[] t : tensors) {
            int rows = (int) t[1];
            int cols = (int) t[2];
            float[] values = new float[rows * cols];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (random.nextGaussian() * 0.05);
            }
            writer.add((String) t[0], values, new long[] {rows, cols}, "F16");
        }
        for (String norm : new String[] {p + "input_layernorm.weight", p + "post_attention_layernorm.weight",
            "model.norm.weight"}) {
            float[] ones = new float[hidden];
            java.util.Arrays.fill(ones, 1);
            writer.add(norm, ones, new long[] {hidden}, "F16");
        }
        writer.write(dir.resolve(SafetensorsCheckpoint.SINGLE_FILE));
        return dir;
    }

    @Test
    void aPromptsFloat16ProductsInJavaEqualFloat32ArithmeticOnTheSameWeights(@TempDir Path tmp) throws IOException {
        Path dir = float16Checkpoint(tmp.resolve("f16"));
        // more tokens than a Java step takes (HostStep.MAX_ROWS): one engine pass, its products in Java (KernelPass)
        int[] ids = java.util.stream.IntStream.range(0, HostStep.MAX_ROWS + 4).map(i -> (i * 37 + 3) % 600).toArray();
        try (LlamaModel half = LlamaModel.load(dir); LlamaModel single = LlamaModel.load(dir,
                LoadOptions.builder().dtype(DataType.FLOAT32).build())) {
            assertEquals(DataType.FLOAT16, half.dtype());
            // every float16 weight is a float32 value: with float32 activations the two models compute the same sums
            float[][] got = half.logits(ids); // Java's products, reading the float16 weights
            float[][] want = single.logits(ids);
            double err = 0;
            for (int t = 0; t < ids.length; t++) {
                for (int v = 0; v < want[t].length; v++) {
                    err = Math.max(err, Math.abs(got[t][v] - want[t][v]));
                }
            }
            assertTrue(err < 1e-4, "max |Δlogit| " + err + ": float32 rounding only, no float16 activations");
            // a single row of a model this small steps in Java (HostStep): float32 arithmetic as well
            try (LlamaSession session = half.newSession()) {
                session.append(java.util.Arrays.copyOf(ids, ids.length - 1));
                float[] last = session.append(new int[] {ids[ids.length - 1]});
                double rowErr = 0;
                for (int v = 0; v < last.length; v++) {
                    rowErr = Math.max(rowErr, Math.abs(last[v] - want[ids.length - 1][v]));
                }
                assertTrue(rowErr < 1e-4, "max |Δlogit| " + rowErr);
            }
        }
    }

    @Test
    void inRangeBf16WeightsAllBecomeFloat16(@TempDir Path tmp) throws IOException {
        try (LlamaModel half = LlamaModel.load(bf16Copy(tmp.resolve("ok"), 60000f))) {
            assertEquals(List.of(), half.float32Weights(), "60000 fits float16");
        }
    }
}
