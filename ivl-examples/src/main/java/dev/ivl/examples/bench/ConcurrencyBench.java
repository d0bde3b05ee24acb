package dev.ivl.examples.bench;

import dev.ivl.core.generate.BatchGenerator;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.core.model.LanguageModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * Continuous batching measured: N requests at once through a {@link BatchGenerator} against one request alone
 * through the same generator, interleaved in each repetition. Greedy, end of sequence ignored, so that every
 * request makes exactly its tokens.
 */
public final class ConcurrencyBench {
    private ConcurrencyBench() {}

    /**
     * @param concurrency N, the requests at once
     * @param alone per repetition, the tokens per second of one request alone (its decoding)
     * @param together per repetition, the aggregate tokens per second of N requests (all their tokens over the wall
     *     time from the first submission to the last completion, prefills included)
     * @param aloneLatency per repetition, the milliseconds per token of one request alone
     * @param togetherLatency per repetition, the mean over the N requests of their milliseconds per token
     * @param peakRssMb the process's peak resident memory at the end
     */
    public record Result(int concurrency, double[] alone, double[] together, double[] aloneLatency,
            double[] togetherLatency, double peakRssMb) {
        /** @return the report */
        public String toText() {
            double a = DecodeBench.Summary.of(alone).median();
            double t = DecodeBench.Summary.of(together).median();
            double la = DecodeBench.Summary.of(aloneLatency).median();
            double lt = DecodeBench.Summary.of(togetherLatency).median();
            return String.format(Locale.ROOT, """
                    concurrency %d, %d repetitions (medians; each repetition runs 1 request, then %d at once)
                    aggregate tokens/s:  1 request %.1f, %d requests %.1f  -> %.2fx
                    ms per token:        1 request %.2f, %d requests %.2f  -> %.2fx
                    peak RSS %.0f MB
                    """, concurrency, alone.length, concurrency, a, concurrency, t, t / a, la, concurrency, lt, lt / la,
                    peakRssMb);
        }
    }

    /**
     * @param model the model (a {@code BatchStepping} one steps its sequences in one pass)
     * @param concurrency N
     * @param promptTokens each request's prompt length (random ids, seeded per request)
     * @param newTokens each request's tokens
     * @param repetitions how many times to measure (after one uncounted warm-up)
     * @return the figures
     */
    public static Result run(LanguageModel model, int concurrency, int promptTokens, int newTokens,
            int repetitions) {
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(newTokens).ignoreEos(true).build();
        double[] alone = new double[repetitions];
        double[] together = new double[repetitions];
        double[] aloneLatency = new double[repetitions];
        double[] togetherLatency = new double[repetitions];
        try (BatchGenerator batch = new BatchGenerator(model, concurrency)) {
            for (int r = -1; r < repetitions; r++) {
                double[] one = measure(batch, model, 1, promptTokens, config, r);
                double[] many = measure(batch, model, concurrency, promptTokens, config, r);
                if (r >= 0) {
                    alone[r] = one[0];
                    aloneLatency[r] = one[1];
                    together[r] = many[0];
                    togetherLatency[r] = many[1];
                }
            }
        }
        return new Result(concurrency, alone, together, aloneLatency, togetherLatency,
                PairBench.status("VmHWM"));
    }

    /** @return {aggregate tokens/s, mean ms per token} of {@code n} requests at once */
    private static double[] measure(BatchGenerator batch, LanguageModel model, int n, int promptTokens,
            GenerationConfig config, int repetition) {
        List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            SplittableRandom random = new SplittableRandom(1000L * repetition + i);
            int[] prompt = new int[promptTokens];
            Arrays.setAll(prompt, k -> 1 + random.nextInt(Math.min(model.vocabSize(), 30000) - 1));
            futures.add(batch.submit(prompt, config, TokenListener.NONE, new CancellationToken()));
        }
        int tokens = 0;
        double latency = 0;
        for (CompletableFuture<GenerationResult> f : futures) {
            GenerationResult result = f.join();
            tokens += result.tokens().length;
            latency += result.timings().meanTokenMillis();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new double[] {tokens / seconds, latency / n};
    }
}
