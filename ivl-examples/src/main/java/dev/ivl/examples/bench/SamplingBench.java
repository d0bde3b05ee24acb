package dev.ivl.examples.bench;

import dev.ivl.core.combine.ResidualCombiner;
import dev.ivl.core.sample.CategoricalSampler;
import dev.ivl.core.sample.RepetitionPenalty;
import dev.ivl.core.sample.TokenHistory;
import dev.ivl.core.sample.TopP;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Measures the per-step cost of the Java side of IVL decoding at a Llama-2 vocabulary (32000): the residual
 * combination {@code z_base + α·z_delta} (including the allocation of the output array, as a combined model's
 * session does each step), a repetition penalty over a 200-token history, top-p 0.9 filtering and a categorical
 * draw. Logits are drawn from N(0, 2.5²) (base) and N(0, 1) (delta) with a seeded generator; a pool of distinct
 * vectors is cycled so that the caches do not hold a single input. Prints median and p90 per component and for the
 * whole step, and the machine it ran on.
 *
 * <p>Usage: {@code SamplingBench [iterations] [warmupIterations] [vocabSize]} (defaults 20000, 5000, 32000).
 */
public final class SamplingBench {
    private static final double BUDGET_MILLIS = 0.3;
    private static final int POOL = 32;
    private static final int HISTORY = 200;
    private static final String[] COMPONENTS = {
        "ResidualCombiner.combine", "RepetitionPenalty(1.2)", "TopP(0.9)", "CategoricalSampler", "total"
    };

    private SamplingBench() {}

    /**
     * @param args optional: iterations, warm-up iterations, vocabulary size
     * @throws IOException if /proc/cpuinfo exists but cannot be read
     */
    public static void main(String[] args) throws IOException {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 5_000;
        int vocab = args.length > 2 ? Integer.parseInt(args[2]) : 32_000;

        SplittableRandom data = new SplittableRandom(20240601L);
        float[][] base = new float[POOL][vocab];
        float[][] delta = new float[POOL][vocab];
        for (int k = 0; k < POOL; k++) {
            for (int i = 0; i < vocab; i++) {
                base[k][i] = (float) (2.5 * data.nextGaussian());
                delta[k][i] = (float) data.nextGaussian();
            }
        }
        int[] historyTokens = new int[HISTORY];
        for (int i = 0; i < HISTORY; i++) {
            historyTokens[i] = data.nextInt(vocab);
        }
        TokenHistory history = new TokenHistory(historyTokens);

        ResidualCombiner combiner = ResidualCombiner.withAlpha(1.0f);
        RepetitionPenalty penalty = new RepetitionPenalty(1.2f);
        TopP topP = new TopP(0.9f);
        CategoricalSampler sampler = CategoricalSampler.INSTANCE;
        SplittableRandom random = new SplittableRandom(7L);

        long[][] nanos = new long[COMPONENTS.length][iterations];
        long kept = 0;
        long checksum = 0;
        for (int it = -warmup; it < iterations; it++) {
            int k = Math.floorMod(it, POOL);
            long t0 = System.nanoTime();
            float[] logits = new float[vocab];
            combiner.combine(new float[][] {base[k], delta[k]}, logits);
            long t1 = System.nanoTime();
            penalty.process(logits, history);
            long t2 = System.nanoTime();
            topP.process(logits, history);
            long t3 = System.nanoTime();
            int token = sampler.sample(logits, random);
            long t4 = System.nanoTime();
            checksum += token;
            if (it >= 0) {
                nanos[0][it] = t1 - t0;
                nanos[1][it] = t2 - t1;
                nanos[2][it] = t3 - t2;
                nanos[3][it] = t4 - t3;
                nanos[4][it] = t4 - t0;
                for (float z : logits) {
                    kept += z != Float.NEGATIVE_INFINITY ? 1 : 0;
                }
            }
        }

        System.out.printf("machine: %d cores (%s), %s %s (%s), %s%n", Runtime.getRuntime().availableProcessors(),
                cpuModel(), System.getProperty("java.vm.name"), System.getProperty("java.runtime.version"),
                System.getProperty("java.vm.vendor"), System.getProperty("os.arch"));
        System.out.printf("V=%d, history %d tokens, alpha 1; %d iterations after %d warm-up; top-p kept %.0f tokens"
                + " on average; checksum %d%n", vocab, HISTORY, iterations, warmup, (double) kept / iterations,
                checksum);
        System.out.printf("%-26s %12s %12s%n", "component", "median [ms]", "p90 [ms]");
        double totalMedian = 0;
        for (int c = 0; c < COMPONENTS.length; c++) {
            long[] sorted = nanos[c].clone();
            Arrays.sort(sorted);
            double median = percentile(sorted, 0.5) / 1e6;
            System.out.printf("%-26s %12.4f %12.4f%n", COMPONENTS[c], median, percentile(sorted, 0.9) / 1e6);
            totalMedian = median; // the last row is the total
        }
        if (vocab == 32_000) {
            System.out.printf("budget at V=32000: median step <= %.2f ms: %s%n", BUDGET_MILLIS,
                    totalMedian <= BUDGET_MILLIS ? "met" : "NOT met");
        }
    }

    private static double percentile(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
    }

    private static String cpuModel() throws IOException {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return "cpu model unknown";
        }
        return Files.readAllLines(cpuinfo).stream().filter(l -> l.startsWith("model name")).findFirst()
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("cpu model unknown");
    }
}
