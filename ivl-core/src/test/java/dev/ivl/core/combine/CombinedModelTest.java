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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
    void appendAllCombinesEveryPartsRowsAsStepByStepAppendsWould() {
        FakeModel.LogitsFunction f = seq -> new float[] {seq.length, seq[seq.length - 1], 1f};
        FakeModel a = new FakeModel(3, 50, f);
        FakeModel b = new FakeModel(3, 50, seq -> new float[] {2f * seq.length, 0f, seq[0]});
        CombinedModel model = ResidualCombiner.withAlpha(0.5f).combine(a, b);
        float[][] rows;
        try (Session all = model.newSession()) {
            rows = all.appendAll(2, 0, 1);
            assertEquals(3, all.position());
        }
        try (Session one = model.newSession()) {
            for (int i = 0; i < rows.length; i++) {
                assertArrayEquals(one.append(new int[] {2, 0, 1}[i]), rows[i], "row " + i);
            }
        }
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

    @Test
    void concurrentSteppingGivesTheSameLogitsAsSequential() {
        FakeModel base = new FakeModel(5, 64, seq -> new float[] {seq.length, -seq[seq.length - 1], 0.5f, 1f, 2f});
        FakeModel value = new FakeModel(5, 64, seq -> new float[] {0.25f * seq.length, 1f, -1f, seq[0], 3f});
        CombinedModel sequential = new ResidualCombiner(0.5f, VocabularyPolicy.EXACT).combine(base, value);
        CombinedModel concurrent = sequential.withStepping(Stepping.CONCURRENT);
        assertEquals(Stepping.CONCURRENT, concurrent.stepping());
        try (Session s = sequential.newSession(); Session c = concurrent.newSession()) {
            assertArrayEquals(s.append(3, 1, 4), c.append(3, 1, 4));
            for (int t = 0; t < 5; t++) {
                assertArrayEquals(s.append(t), c.append(t));
            }
            s.rewind(2);
            c.rewind(2);
            assertArrayEquals(s.append(2), c.append(2));
        }
    }

    /** Each model waits until the other has started its step: this only finishes if they truly overlap. */
    @Test
    void concurrentSteppingRunsTheModelsAtTheSameTimeOnDifferentThreads() {
        CountDownLatch started = new CountDownLatch(2);
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        FakeModel.LogitsFunction waitForTheOther = seq -> {
            threads.add(Thread.currentThread());
            started.countDown();
            try {
                if (!started.await(5, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the other model never started: steps ran one after the other");
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return new float[] {1f, 2f};
        };
        CombinedModel model = ResidualCombiner.withAlpha(1f)
                .combine(new FakeModel(2, 8, waitForTheOther), new FakeModel(2, 8, waitForTheOther))
                .withStepping(Stepping.CONCURRENT);
        try (Session s = model.newSession()) {
            assertArrayEquals(new float[] {2f, 4f}, s.append(1));
        }
        assertEquals(2, threads.size());
        assertTrue(threads.contains(Thread.currentThread()), "the first model steps on the caller's thread");
    }

    @Test
    void aFailingWorkerStepSurfacesItsExceptionAfterBothFinish() {
        FakeModel base = FakeModel.constant(1f, 2f);
        FakeModel value = new FakeModel(2, 8, seq -> {
            throw new InvalidInputException("value model refuses");
        });
        CombinedModel model = ResidualCombiner.withAlpha(1f).combine(base, value).withStepping(Stepping.CONCURRENT);
        try (Session s = model.newSession()) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> s.append(1));
            assertEquals("value model refuses", e.getMessage());
        }
        assertTrue(base.sessions().get(0).isClosed() && value.sessions().get(0).isClosed());
    }
}
