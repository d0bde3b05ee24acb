package dev.ivl.core.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.fakes.FakeModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link BatchGenerator} over a model that cannot batch its steps (it steps the sessions one by one): every request
 * still gets exactly what {@link Generator} gives it alone, greedy or sampled, and a request that fails fails alone.
 */
class BatchGeneratorFallbackTest {
    /** Logits that depend on the whole sequence, differently per token. */
    private static float[] logits(int[] sequence) {
        int h = Arrays.hashCode(sequence);
        float[] z = new float[50];
        for (int v = 0; v < z.length; v++) {
            z[v] = (float) Math.sin(h * 0.001 * (v + 1)) * 3;
        }
        return z;
    }

    @Test
    void eachRequestGetsWhatItGetsAloneAndAFailureStaysItsOwn() throws Exception {
        FakeModel model = new FakeModel(50, 64, BatchGeneratorFallbackTest::logits);
        Generator alone = new Generator(model);
        try (BatchGenerator batch = new BatchGenerator(model, 3)) {
            List<int[]> prompts = List.of(new int[] {1, 2}, new int[] {3}, new int[] {4, 5, 6}, new int[] {7, 8},
                    new int[] {9});
            List<GenerationConfig> configs = new ArrayList<>();
            List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                GenerationConfig.Builder b = GenerationConfig.builder().maxNewTokens(5 + i);
                if (i % 2 == 1) {
                    b.temperature(1f).topK(10).seed(i);
                }
                configs.add(b.build());
                futures.add(batch.submit(prompts.get(i), configs.get(i), TokenListener.NONE,
                        new CancellationToken()));
            }
            GenerationConfig failing = GenerationConfig.builder().maxNewTokens(5).addProcessor((z, history) -> {
                if (history.size() > history.promptLength()) {
                    throw new IllegalStateException("processor failed");
                }
            }).build();
            CompletableFuture<GenerationResult> failed = batch.submit(new int[] {2, 2}, failing, TokenListener.NONE,
                    new CancellationToken());
            for (int i = 0; i < prompts.size(); i++) {
                GenerationResult want = alone.generate(prompts.get(i), configs.get(i), TokenListener.NONE,
                        new CancellationToken());
                GenerationResult got = futures.get(i).get(30, TimeUnit.SECONDS);
                assertArrayEquals(want.tokens(), got.tokens(), "request " + i);
                if (i % 2 == 1) {
                    assertEquals(i, got.seed(), "the request's own seed");
                }
            }
            ExecutionException e = assertThrows(ExecutionException.class, () -> failed.get(30, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("processor failed"), e.getCause().toString());
            // a listener that throws when its request completes fails that request only; the generator goes on
            TokenListener throwing = new TokenListener() {
                @Override
                public void onText(String text) {}

                @Override
                public void onComplete(GenerationResult result) {
                    throw new IllegalStateException("listener failed");
                }
            };
            CompletableFuture<GenerationResult> bad = batch.submit(new int[] {3, 3}, configs.get(0), throwing,
                    new CancellationToken());
            ExecutionException listenerFailure = assertThrows(ExecutionException.class,
                    () -> bad.get(30, TimeUnit.SECONDS));
            assertTrue(listenerFailure.getCause().getMessage().contains("listener failed"));
            GenerationResult after = batch.submit(prompts.get(0), configs.get(0), TokenListener.NONE,
                    new CancellationToken()).get(30, TimeUnit.SECONDS);
            assertArrayEquals(alone.generate(prompts.get(0), configs.get(0), TokenListener.NONE,
                    new CancellationToken()).tokens(), after.tokens());
        }
        assertTrue(model.sessions().stream().allMatch(s -> s.isClosed()), "every session closed");
    }
}
