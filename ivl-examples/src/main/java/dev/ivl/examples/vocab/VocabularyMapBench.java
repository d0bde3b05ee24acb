package dev.ivl.examples.vocab;

import dev.ivl.core.model.BaseModel;
import dev.ivl.core.model.Session;
import dev.ivl.core.model.ValueModel;
import dev.ivl.core.vocab.CrossVocabularyModel;
import dev.ivl.core.vocab.align.Normalization;
import dev.ivl.core.vocab.SamplingVocabulary;
import dev.ivl.core.vocab.TokenMap;
import dev.ivl.core.vocab.align.VocabularyAlignment;
import dev.ivl.djl.tokenizer.HfTokenizer;
import dev.ivl.djl.vocab.CorpusTexts;
import dev.ivl.djl.vocab.VocabularyMaps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Measures the per-step Java cost of cross-vocabulary decoding:
 *
 * <ol>
 *   <li>the sparse products of a saved map ({@code z_base·W} and {@code z_delta·Wᵀ}) for each of its
 *       normalisations, and of synthetic 128,256 × 128,256 maps with 1 and 8 entries per row;
 *   <li>a whole {@link CrossVocabularyModel} step with models that return zero logits (so only ivl's work is
 *       timed): decoding the sampled token, re-synchronising the other tokenizer's tokens, the sparse product and
 *       the combination, in both sampling vocabularies, feeding corpus texts token by token.
 * </ol>
 *
 * Logits are drawn from N(0, 2.5²) with a seeded generator, cycled through a pool. Prints median and p90.
 *
 * <p>Usage: {@code VocabularyMapBench MAP BASE_TOKENIZER VALUE_TOKENIZER CORPUS [texts]} (default 200 texts).
 */
public final class VocabularyMapBench {
    private static final int POOL = 16;
    private static final int SYNTHETIC = 128_256;

    private VocabularyMapBench() {}

    /**
     * @param args map file, base tokenizer.json, value tokenizer.json, corpus file, optional number of texts
     * @throws IOException if /proc/cpuinfo exists but cannot be read
     */
    public static void main(String[] args) throws IOException {
        if (args.length < 4) {
            System.err.println("usage: VocabularyMapBench MAP BASE_TOKENIZER VALUE_TOKENIZER CORPUS [texts]");
            System.exit(2);
        }
        int texts = args.length > 4 ? Integer.parseInt(args[4]) : 200;
        System.out.println("machine: " + cpu() + ", " + Runtime.getRuntime().availableProcessors() + " processors, "
                + System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        try (HfTokenizer base = HfTokenizer.load(Path.of(args[1]));
                HfTokenizer value = HfTokenizer.load(Path.of(args[2]))) {
            VocabularyAlignment alignment = VocabularyMaps.read(Path.of(args[0]), base, value);
            System.out.println("map " + args[0] + ": " + alignment.base().name() + " (" + alignment.base().vocabSize()
                    + ") x " + alignment.value().name() + " (" + alignment.value().vocabSize() + ")");
            for (Map.Entry<Normalization, TokenMap> e : alignment.maps().entrySet()) {
                products(e.getKey().toString(), e.getValue());
            }
            products("synthetic top-1", synthetic(1));
            products("synthetic top-8", synthetic(8));
            List<String> corpus = CorpusTexts.read(List.of(Path.of(args[3])), texts, CorpusTexts.DEFAULT_FIELDS);
            for (SamplingVocabulary sampling : SamplingVocabulary.values()) {
                steps(base, value, alignment.map(), sampling, corpus);
            }
        }
    }

    /** Times {@code z·W} and {@code y·Wᵀ}. */
    private static void products(String name, TokenMap map) {
        SplittableRandom r = new SplittableRandom(20240601L);
        float[][] z = gaussians(r, map.rows());
        float[][] y = gaussians(r, map.columns());
        float[] out = new float[map.columns()];
        float[] back = new float[map.rows()];
        int warmup = 300;
        int iterations = 2000;
        long[] forward = new long[iterations];
        long[] transposed = new long[iterations];
        for (int i = -warmup; i < iterations; i++) {
            long t0 = System.nanoTime();
            map.multiply(z[Math.floorMod(i, POOL)], out);
            long t1 = System.nanoTime();
            map.multiplyTransposed(y[Math.floorMod(i, POOL)], back);
            long t2 = System.nanoTime();
            if (i >= 0) {
                forward[i] = t1 - t0;
                transposed[i] = t2 - t1;
            }
        }
        System.out.printf(Locale.ROOT, "%-18s %7d x %7d, %8d entries: z·W %s | y·Wᵀ %s%n", name, map.rows(),
                map.columns(), map.entries(), stats(forward), stats(transposed));
    }

    /** Times whole steps of a cross-vocabulary session over models that return zero logits. */
    private static void steps(HfTokenizer base, HfTokenizer value, TokenMap map, SamplingVocabulary sampling,
            List<String> corpus) {
        CrossVocabularyModel cross = CrossVocabularyModel.builder(new ZeroModel(base.vocabSize()), base,
                new ZeroModel(value.vocabSize()), value, map).sampling(sampling).build();
        HfTokenizer sampled = sampling == SamplingVocabulary.VALUE ? value : base;
        List<Long> times = new ArrayList<>();
        for (int pass = 0; pass < 2; pass++) { // the first pass warms up
            times.clear();
            for (String text : corpus) {
                int[] ids = sampled.encode(text);
                if (ids.length < 2) {
                    continue;
                }
                try (Session s = cross.newSession()) {
                    s.append(ids[0], ids[1]);
                    for (int i = 2; i < ids.length; i++) {
                        long t0 = System.nanoTime();
                        s.append(ids[i]);
                        times.add(System.nanoTime() - t0);
                    }
                }
            }
        }
        long[] t = times.stream().mapToLong(Long::longValue).toArray();
        System.out.printf(Locale.ROOT, "cross step, sampling %-5s: %s over %d steps (decode, re-sync, map, combine)%n",
                sampling, stats(t), t.length);
    }

    /** A random map with {@code k} entries per row, 128,256 × 128,256. */
    private static TokenMap synthetic(int k) {
        SplittableRandom r = new SplittableRandom(k);
        int[] starts = new int[SYNTHETIC + 1];
        int[] cols = new int[SYNTHETIC * k];
        float[] weights = new float[SYNTHETIC * k];
        for (int row = 0; row < SYNTHETIC; row++) {
            int[] picked = r.ints(0, SYNTHETIC).distinct().limit(k).sorted().toArray();
            for (int j = 0; j < k; j++) {
                cols[row * k + j] = picked[j];
                weights[row * k + j] = (float) r.nextDouble();
            }
            starts[row + 1] = (row + 1) * k;
        }
        return new TokenMap(SYNTHETIC, SYNTHETIC, starts, cols, weights);
    }

    private static float[][] gaussians(SplittableRandom r, int n) {
        float[][] pool = new float[POOL][n];
        for (float[] v : pool) {
            for (int i = 0; i < n; i++) {
                v[i] = (float) (2.5 * r.nextGaussian());
            }
        }
        return pool;
    }

    private static String stats(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return String.format(Locale.ROOT, "median %.3f ms, p90 %.3f ms", sorted[sorted.length / 2] / 1e6,
                sorted[(int) (sorted.length * 0.9)] / 1e6);
    }

    private static String cpu() throws IOException {
        Path info = Path.of("/proc/cpuinfo");
        if (!Files.exists(info)) {
            return System.getProperty("os.arch");
        }
        return Files.readAllLines(info).stream().filter(l -> l.startsWith("model name")).findFirst()
                .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(System.getProperty("os.arch"));
    }

    /** A model whose every step returns zero logits: nothing but ivl's own work is timed. */
    private record ZeroModel(int vocabSize) implements BaseModel, ValueModel {
        @Override
        public int maxSequenceLength() {
            return 1 << 20;
        }

        @Override
        public Session newSession() {
            return new Session() {
                private int position;

                @Override
                public float[] append(int... tokens) {
                    position += tokens.length;
                    return new float[vocabSize];
                }

                @Override
                public int position() {
                    return position;
                }

                @Override
                public void rewind(int p) {
                    position = p;
                }

                @Override
                public void close() {}
            };
        }
    }
}
