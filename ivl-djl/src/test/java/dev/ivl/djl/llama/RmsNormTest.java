package dev.ivl.djl.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import dev.ivl.djl.testutil.Fixtures;
import org.junit.jupiter.api.Test;

/** The norm weights as the lean decode step reads them: in place updates (a trainer's) take effect at once. */
class RmsNormTest {
    @Test
    void anInPlaceUpdateOfANormWeightChangesTheNextStep() {
        try (LlamaModel model = LlamaModel.load(Fixtures.path("hf-llama/mha"))) {
            int[] ids = {1, 5, 9};
            float[] before = model.logits(ids)[2];
            NDArray finalNorm = model.parameters().get("model.norm.weight");
            finalNorm.muli(2); // lm_head(2·norm(h)) = 2·lm_head(norm(h))
            float[] after = model.logits(ids)[2];
            for (int v = 0; v < before.length; v++) {
                assertEquals(2 * before[v], after[v], 1e-5, "logit " + v);
            }
        }
    }
}
