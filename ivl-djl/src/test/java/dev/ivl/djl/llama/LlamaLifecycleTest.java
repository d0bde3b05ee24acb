package dev.ivl.djl.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.IvlException;
import dev.ivl.djl.testutil.Fixtures;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Closing a model: refused while sessions are open, and any later use says which model is closed. */
class LlamaLifecycleTest {
    static final Path MHA = Fixtures.path("hf-llama/mha");

    @Test
    void aModelWithOpenSessionsRefusesToCloseAndSaysWhy() {
        LlamaModel model = LlamaModel.load(MHA);
        LlamaSession first = model.newSession();
        LlamaSession second = model.newSession();
        IvlException e = assertThrows(IvlException.class, model::close);
        assertEquals("model " + MHA + " still has 2 open session(s): close them before the model", e.getMessage());
        first.close();
        first.close(); // a session closed twice counts once
        assertTrue(assertThrows(IvlException.class, model::close).getMessage().contains("1 open session(s)"));
        float[] logits = second.append(1, 2, 3); // the refused close freed nothing
        assertEquals(model.vocabSize(), logits.length);
        second.close();
        model.close();
        model.close(); // closing again does nothing
    }

    @Test
    void useAfterCloseNamesTheModel() {
        LlamaModel model = LlamaModel.load(MHA);
        model.close();
        String closed = "model " + MHA + " is closed";
        assertEquals(closed, assertThrows(IvlException.class, model::newSession).getMessage());
        assertEquals(closed, assertThrows(IvlException.class, () -> model.logits(1, 2)).getMessage());
        assertEquals(closed, assertThrows(IvlException.class, model::parameters).getMessage());
    }
}
