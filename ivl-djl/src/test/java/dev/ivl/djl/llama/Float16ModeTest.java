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

    @Test
    void inRangeBf16WeightsAllBecomeFloat16(@TempDir Path tmp) throws IOException {
        try (LlamaModel half = LlamaModel.load(bf16Copy(tmp.resolve("ok"), 60000f))) {
            assertEquals(List.of(), half.float32Weights(), "60000 fits float16");
        }
    }
}
