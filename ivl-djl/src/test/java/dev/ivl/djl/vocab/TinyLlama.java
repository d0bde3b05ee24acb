package dev.ivl.djl.vocab;

import dev.ivl.djl.weights.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** Writes a one-layer LLaMA checkpoint with seeded random weights and a given vocabulary size, for decoding tests. */
final class TinyLlama {
    static final int HIDDEN = 16;
    static final int FFN = 32;

    private TinyLlama() {}

    /**
     * @param dir the folder to write config.json and model.safetensors into
     * @param vocab the vocabulary size
     * @param seed the weights' seed
     * @return {@code dir}
     */
    static Path write(Path dir, int vocab, long seed) {
        String config = "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", \"hidden_size\": "
                + HIDDEN + ", \"intermediate_size\": " + FFN + ", \"num_hidden_layers\": 1, \"num_attention_heads\": 2,"
                + " \"num_key_value_heads\": 2, \"vocab_size\": " + vocab + ", \"max_position_embeddings\": 512,"
                + " \"rms_norm_eps\": 1e-5, \"rope_theta\": 10000.0, \"tie_word_embeddings\": true,"
                + " \"torch_dtype\": \"float32\"}";
        SplittableRandom r = new SplittableRandom(seed);
        SafetensorsWriter w = new SafetensorsWriter();
        w.add("model.embed_tokens.weight", random(r, vocab * HIDDEN, 1.0), new long[] {vocab, HIDDEN}, "F32");
        String p = "model.layers.0.";
        for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "o_proj"}) {
            w.add(p + "self_attn." + proj + ".weight", random(r, HIDDEN * HIDDEN, 0.5), new long[] {HIDDEN, HIDDEN},
                    "F32");
        }
        w.add(p + "mlp.gate_proj.weight", random(r, FFN * HIDDEN, 0.5), new long[] {FFN, HIDDEN}, "F32");
        w.add(p + "mlp.up_proj.weight", random(r, FFN * HIDDEN, 0.5), new long[] {FFN, HIDDEN}, "F32");
        w.add(p + "mlp.down_proj.weight", random(r, HIDDEN * FFN, 0.5), new long[] {HIDDEN, FFN}, "F32");
        w.add(p + "input_layernorm.weight", ones(HIDDEN), new long[] {HIDDEN}, "F32");
        w.add(p + "post_attention_layernorm.weight", ones(HIDDEN), new long[] {HIDDEN}, "F32");
        w.add("model.norm.weight", ones(HIDDEN), new long[] {HIDDEN}, "F32");
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), config, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        w.write(dir.resolve("model.safetensors"));
        return dir;
    }

    private static float[] random(SplittableRandom r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return v;
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }
}
