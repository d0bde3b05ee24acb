package dev.ivl.djl.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import dev.ivl.core.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link LlamaModel#appendEach}: one forward pass for one new token of each of several sequences gives each the
 * logits its own {@link LlamaSession#append} gives, over steps where the sequences have different lengths.
 */
class BatchedStepTest {
    private static final int[][] PROMPTS = {{1, 5, 9}, {1, 7, 3, 8, 2, 6, 4}, {1, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}};

    @ParameterizedTest
    @ValueSource(strings = {"mha", "gqa-tied", "mqa-llama2vocab-fp16", "int8"})
    void eachSequenceGetsTheLogitsOfItsOwnSteps(String name) {
        boolean int8 = name.equals("int8");
        LoadOptions options = LoadOptions.builder().dtype(int8 ? DataType.INT8 : DataType.FLOAT32).build();
        try (LlamaModel model = LlamaModel.load(LlamaConformanceTest.fixture(int8 ? "gqa-tied" : name), options)) {
            List<LlamaSession> batched = new ArrayList<>();
            List<LlamaSession> alone = new ArrayList<>();
            try {
                for (int[] prompt : PROMPTS) {
                    LlamaSession b = model.newSession();
                    batched.add(b);
                    b.append(prompt);
                    LlamaSession a = model.newSession();
                    alone.add(a);
                    a.append(prompt);
                }
                double worst = 0;
                for (int step = 0; step < 6; step++) {
                    int[] tokens = {20 + step, 30 + 2 * step, 40 + 3 * step};
                    float[][] rows = model.appendEach(batched, tokens);
                    for (int i = 0; i < tokens.length; i++) {
                        float[] want = alone.get(i).append(tokens[i]);
                        assertEquals(want.length, rows[i].length);
                        for (int v = 0; v < want.length; v++) {
                            worst = Math.max(worst, Math.abs(want[v] - rows[i][v]));
                        }
                        assertEquals(alone.get(i).position(), batched.get(i).position());
                    }
                }
                System.out.printf("batched step %-22s max|Δlogit| against single steps = %.3g%n", name, worst);
                assertTrue(worst < (int8 ? 1e-3 : 1e-4), name + ": " + worst);
            } finally {
                batched.forEach(LlamaSession::close);
                alone.forEach(LlamaSession::close);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gqa-tied"})
    void badBatchesAreRefused(String name) {
        try (LlamaModel model = LlamaModel.load(LlamaConformanceTest.fixture(name));
                LlamaModel other = LlamaModel.load(LlamaConformanceTest.fixture(name));
                LlamaSession a = model.newSession(); LlamaSession b = other.newSession()) {
            a.append(1);
            b.append(1);
            assertTrue(assertThrows(InvalidInputException.class, () -> model.appendEach(List.of(a, a), new int[] {2,
                    3})).getMessage().contains("given twice"));
            assertTrue(assertThrows(InvalidInputException.class, () -> model.appendEach(List.of(a, b), new int[] {2,
                    3})).getMessage().contains("another model's"));
            assertThrows(InvalidInputException.class, () -> model.appendEach(List.of(a), new int[] {2, 3}));
            assertThrows(InvalidInputException.class, () -> model.appendEach(List.of(a), new int[] {-1}));
            assertEquals(1, a.position(), "nothing appended by a refused batch");
        }
    }
}
