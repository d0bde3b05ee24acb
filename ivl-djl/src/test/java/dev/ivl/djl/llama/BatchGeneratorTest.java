package dev.ivl.djl.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import dev.ivl.core.generate.BatchGenerator;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.FinishReason;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.TokenListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link BatchGenerator} over {@link LlamaModel}'s batched steps: every request gets the tokens it gets alone, also
 * when it joins while others run, when others are cancelled, and when it samples with its own seed.
 */
class BatchGeneratorTest {
    private static final int[][] PROMPTS = {{1, 5, 9}, {1, 7, 3, 8, 2, 6, 4}, {1, 11, 12}, {1, 40, 41, 42, 43},
        {1, 50}};

    @Test
    void requestsThatJoinLeaveOrSampleGetWhatTheyGetAlone() throws Exception {
        try (LlamaModel model = LlamaModel.load(LlamaConformanceTest.fixture("gqa-tied"),
                LoadOptions.builder().dtype(DataType.FLOAT32).build());
                BatchGenerator batch = new BatchGenerator(model, 4)) {
            Generator alone = new Generator(model);
            List<GenerationConfig> configs = new ArrayList<>();
            for (int i = 0; i < PROMPTS.length; i++) {
                GenerationConfig.Builder b = GenerationConfig.builder().maxNewTokens(12 + 3 * i);
                if (i == 3) {
                    b.temperature(0.8f).seed(7); // sampled: the same seed gives the same tokens
                }
                configs.add(b.build());
            }
            CountDownLatch firstStarted = new CountDownLatch(3);
            TokenListener counting = new TokenListener() {
                @Override
                public void onText(String text) {}

                @Override
                public void onToken(int tokenId) {
                    firstStarted.countDown();
                }
            };
            List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
            futures.add(batch.submit(PROMPTS[0], configs.get(0), counting, new CancellationToken()));
            futures.add(batch.submit(PROMPTS[1], configs.get(1), TokenListener.NONE, new CancellationToken()));
            assertTrue(firstStarted.await(30, TimeUnit.SECONDS), "the first request runs");
            // three more join while the first two run: one waits (batch of 4), one is cancelled after 2 tokens
            CancellationToken cancel = new CancellationToken();
            TokenListener cancelAfterTwo = new TokenListener() {
                private int tokens;

                @Override
                public void onText(String text) {}

                @Override
                public void onToken(int tokenId) {
                    if (++tokens == 2) {
                        cancel.cancel();
                    }
                }
            };
            for (int i = 2; i < PROMPTS.length; i++) {
                futures.add(batch.submit(PROMPTS[i], configs.get(i), i == 2 ? cancelAfterTwo : TokenListener.NONE,
                        i == 2 ? cancel : new CancellationToken()));
            }
            for (int i = 0; i < PROMPTS.length; i++) {
                GenerationResult got = futures.get(i).get(60, TimeUnit.SECONDS);
                if (i == 2) {
                    assertEquals(FinishReason.CANCELLED, got.finishReason());
                    assertEquals(2, got.tokens().length, "cancelled after its second token");
                    continue;
                }
                GenerationResult want = alone.generate(PROMPTS[i], configs.get(i), TokenListener.NONE,
                        new CancellationToken());
                assertArrayEquals(want.tokens(), got.tokens(), "request " + i);
                assertEquals(want.finishReason(), got.finishReason(), "request " + i);
            }
        }
    }

    @Test
    void aClosedGeneratorEndsWhatWaitsAndRefusesMore() {
        try (LlamaModel model = LlamaModel.load(LlamaConformanceTest.fixture("gqa-tied"))) {
            BatchGenerator batch = new BatchGenerator(model, 1);
            CompletableFuture<GenerationResult> longOne = batch.submit(new int[] {1, 2}, GenerationConfig.builder()
                    .maxNewTokens(500).ignoreEos(true).build(), TokenListener.NONE, new CancellationToken());
            CompletableFuture<GenerationResult> waiting = batch.submit(new int[] {1, 3}, GenerationConfig.builder()
                    .maxNewTokens(5).build(), TokenListener.NONE, new CancellationToken());
            batch.close();
            assertTrue(longOne.isDone() && waiting.isDone());
            assertTrue(waiting.isCompletedExceptionally(), "a request that waited ends exceptionally");
            assertTrue(org.junit.jupiter.api.Assertions.assertThrows(dev.ivl.core.IvlException.class,
                    () -> batch.submit(new int[] {1}, GenerationConfig.builder().build(), TokenListener.NONE,
                            new CancellationToken())).getMessage().contains("closed"));
        }
    }
}
