package dev.ivl.core.combine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.fakes.FakeModel;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.model.Session;
import java.util.List;
import org.junit.jupiter.api.Test;

class CombinedModelTest {
    @Test
    void checksTheNumberOfModelsAgainstTheCombinersArity() {
        FakeModel m = FakeModel.constant(0f, 1f);
        InvalidInputException one = assertThrows(InvalidInputException.class,
                () -> new CombinedModel(List.of(m), new ResidualCombiner()));
        assertEquals("ResidualCombiner combines 2 models, got 1", one.getMessage());
        InvalidInputException two = assertThrows(InvalidInputException.class,
                () -> new CombinedModel(List.of(m, m), new ProxyTuningCombiner(1f)));
        assertEquals("ProxyTuningCombiner combines 3 models, got 2", two.getMessage());
    }

    @Test
    void exposesPartsCombinerAndSizes() {
        FakeModel a = new FakeModel(6, 100, seq -> new float[6]);
        FakeModel b = new FakeModel(4, 50, seq -> new float[4]);
        ResidualCombiner combiner = new ResidualCombiner(1f, VocabularyPolicy.VALUE_PREFIX);
        CombinedModel model = new CombinedModel(List.of(a, b), combiner);
        assertEquals(List.of(a, b), model.parts());
        assertSame(combiner, model.combiner());
        assertEquals(6, model.vocabSize());
        assertEquals(50, model.maxSequenceLength());
    }

    @Test
    void rewindAndCloseReachEverySession() {
        FakeModel a = FakeModel.constant(0f, 1f, 2f);
        FakeModel b = FakeModel.constant(0f, 0f, 0f);
        CombinedModel model = ResidualCombiner.withAlpha(1f).combine(a, b);
        Session session = model.newSession();
        session.append(0, 1, 2);
        session.append(1);
        session.rewind(2);
        assertEquals(2, session.position());
        assertArrayEquals(new int[] {0, 1}, a.sessions().get(0).tokens());
        assertArrayEquals(new int[] {0, 1}, b.sessions().get(0).tokens());
        session.close();
        assertTrue(a.sessions().get(0).isClosed() && b.sessions().get(0).isClosed());
    }

    @Test
    void closesTheSessionsAlreadyOpenedWhenOpeningAnotherFails() {
        FakeModel a = FakeModel.constant(0f, 1f);
        LanguageModel failing = new LanguageModel() {
            @Override
            public int vocabSize() {
                return 2;
            }

            @Override
            public int maxSequenceLength() {
                return 10;
            }

            @Override
            public Session newSession() {
                throw new IllegalStateException("out of memory for the KV cache");
            }
        };
        CombinedModel model = new CombinedModel(List.of(a, failing), new ResidualCombiner());
        assertThrows(IllegalStateException.class, model::newSession);
        assertEquals(1, a.sessions().size());
        assertEquals(0, a.openSessions());
    }
}
