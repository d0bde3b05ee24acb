package dev.ivl.djl.plug;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.ivl.core.generate.BatchGenerator;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.djl.testutil.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Continuous batching of a base with its value model: requests with different α ({@link PluggedModel#withAlpha}
 * views of one pair) share the batched steps and each gets the tokens it gets alone.
 */
class PluggedBatchTest {
    @Test
    void requestsWithTheirOwnAlphaShareTheBatchAndGetWhatTheyGetAlone() throws Exception {
        try (PluggedModel pair = PluggedModel.load(Fixtures.path("demo/base"), Fixtures.path("demo/value"),
                PlugOptions.builder().alpha(4f).stepping(dev.ivl.core.combine.Stepping.SEQUENTIAL).build());
                BatchGenerator batch = new BatchGenerator(pair, 8)) {
            String[] questions = {"Where does Brudem Fesul live?", "What does Gokaik Bimous do for a living?",
                "Where does Stuvor Paihis live?", "Brudem Fesul lives in"};
            float[] alphas = {4f, 4f, 0f, 1f};
            GenerationConfig config = pair.generationConfig().toBuilder().maxNewTokens(12).build();
            List<int[]> prompts = new ArrayList<>();
            List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
            for (int i = 0; i < questions.length; i++) {
                int[] prompt = pair.tokenizer().orElseThrow().encode(questions[i]);
                prompts.add(prompt);
                futures.add(batch.submit(pair.withAlpha(alphas[i]), prompt, config, TokenListener.NONE,
                        new CancellationToken()));
            }
            for (int i = 0; i < questions.length; i++) {
                GenerationResult alone = new Generator(pair.withAlpha(alphas[i])).generate(prompts.get(i), config,
                        TokenListener.NONE, new CancellationToken());
                assertArrayEquals(alone.tokens(), futures.get(i).get(60, TimeUnit.SECONDS).tokens(),
                        questions[i] + " at alpha " + alphas[i]);
            }
        }
    }
}
