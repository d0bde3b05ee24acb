package dev.ivl.djl.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.djl.testutil.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * rope_scaling rules against their published definitions (transformers' {@code modeling_rope_utils}); the fixtures
 * do not cover them.
 */
class RopeScalingTest {
    static LlamaConfig config(double theta, int headDim, RopeScaling scaling) {
        return new LlamaConfig(1024, headDim * 4, 256, 1, 4, 4, headDim, 1e-5, theta, scaling, 8192, false, 1,
                List.of(2), "float32");
    }

    @Test
    void defaultFrequenciesAreThetaPowers() {
        float[] inv = RotaryEmbedding.inverseFrequencies(config(10000, 64, null));
        assertEquals(32, inv.length);
        for (int i = 0; i < inv.length; i++) {
            assertEquals(Math.pow(10000, -2.0 * i / 64), inv[i], 1e-6 * Math.pow(10000, -2.0 * i / 64));
        }
    }

    @Test
    void linearScalingDividesEveryFrequency() {
        float[] base = RotaryEmbedding.inverseFrequencies(config(10000, 64, null));
        float[] lin = RotaryEmbedding.inverseFrequencies(config(10000, 64, new RopeScaling("linear", 4, 0, 0, 8192)));
        for (int i = 0; i < base.length; i++) {
            assertEquals(base[i] / 4, lin[i], 1e-7 * base[i]);
        }
    }

    /**
     * Llama 3.1's setting (θ = 500000, d = 128, factor 8, low 1, high 4, original context 8192): wavelengths below
     * 8192/4 = 2048 keep their frequency, above 8192/1 are divided by 8, and in between
     * {@code (1 − s)·f/8 + s·f} with {@code s = (8192/λ − 1)/(4 − 1)}.
     */
    @Test
    void llama3ScalingFollowsTheThreeBands() {
        float[] base = RotaryEmbedding.inverseFrequencies(config(500000, 128, null));
        float[] scaled = RotaryEmbedding.inverseFrequencies(
                config(500000, 128, new RopeScaling("llama3", 8, 1, 4, 8192)));
        int high = 0;
        int low = 0;
        int medium = 0;
        for (int i = 0; i < base.length; i++) {
            double wavelen = 2 * Math.PI / base[i];
            if (wavelen < 2048) {
                assertEquals(base[i], scaled[i], 0f, "high frequency " + i + " unchanged");
                high++;
            } else if (wavelen > 8192) {
                assertEquals(base[i] / 8, scaled[i], 1e-7 * base[i], "low frequency " + i + " divided by 8");
                low++;
            } else {
                double s = (8192 / wavelen - 1) / 3;
                assertEquals((1 - s) * base[i] / 8 + s * base[i], scaled[i], 1e-6 * base[i], "blend " + i);
                assertTrue(scaled[i] < base[i] && scaled[i] > base[i] / 8);
                medium++;
            }
        }
        // the split of Llama 3.1's 64 frequencies: all three bands are exercised
        assertTrue(high > 0 && low > 0 && medium > 0, high + "/" + medium + "/" + low);
        // one value worked by hand: i = 20, f = 500000^(-40/128) = e^(-4.10074) = 0.016560, λ = 379.4 → high
        // band, unchanged; i = 40, f = 500000^(-80/128) = 2.7425e-4, λ = 22910 → low band, f/8 = 3.4281e-5
        assertEquals(0.016560, scaled[20], 1e-6);
        assertEquals(3.4281e-5, scaled[40], 1e-8);
    }

    /**
     * Dynamic NTK changes nothing within the original context and changes later positions; the model's context
     * becomes max_position_embeddings × factor.
     */
    @Test
    void dynamicScalingOnlyActsBeyondTheOriginalContext(@TempDir Path tmp) throws IOException {
        Path mha = Fixtures.path("hf-llama/mha");
        for (String f : new String[] {"model.safetensors"}) {
            Files.copy(mha.resolve(f), tmp.resolve(f));
        }
        String config = Files.readString(mha.resolve("config.json"))
                .replace("\"max_position_embeddings\": 256", "\"max_position_embeddings\": 16");
        Files.writeString(tmp.resolve("config.json"), config.replace("\"rope_theta\": 10000.0,",
                "\"rope_theta\": 10000.0, \"rope_scaling\": {\"rope_type\": \"dynamic\", \"factor\": 2.0},"));
        int[] ids = new int[24];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 37 + 5) % 1024;
        }
        try (LlamaModel plain = LlamaModel.load(mha); LlamaModel dynamic = LlamaModel.load(tmp)) {
            assertEquals(32, dynamic.maxSequenceLength());
            int[] within = java.util.Arrays.copyOf(ids, 16);
            float[][] a = plain.logits(within);
            float[][] b = dynamic.logits(within);
            for (int t = 0; t < 16; t++) {
                assertTrue(LlamaConformanceTest.maxAbs(a[t], b[t]) < 1e-5, "position " + t + " within context");
            }
            // a pass of 24 > 16 positions is rotated with the enlarged base θ·(2·24/16 − 1)^(d/(d−2)), as HF
            // does for a forward pass whose sequence exceeds the original context
            float[][] longA = plain.logits(ids);
            float[][] longB = dynamic.logits(ids);
            assertTrue(LlamaConformanceTest.maxAbs(longA[0], longB[0]) < 1e-5, "position 0 has angle 0 anyway");
            assertTrue(LlamaConformanceTest.maxAbs(longA[20], longB[20]) > 1e-3, "position 20 uses the NTK base");
        }
    }
}
