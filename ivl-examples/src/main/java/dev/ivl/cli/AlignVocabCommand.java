package dev.ivl.cli;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.vocab.align.Normalization;
import dev.ivl.core.vocab.TokenMap;
import dev.ivl.core.vocab.align.TokenOverlap;
import dev.ivl.core.vocab.align.VocabularyAlignment;
import dev.ivl.djl.tokenizer.HfTokenizer;
import dev.ivl.djl.vocab.CorpusTexts;
import dev.ivl.djl.vocab.VocabularyMapFile;
import dev.ivl.djl.vocab.VocabularyMaps;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Builds a vocabulary map between two tokenizers from a corpus and reports its overlap on held-out texts. */
@Command(name = "align-vocab", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Build the token map W (|V_base| x |V_value|) between two tokenizers by aligning a corpus "
                + "tokenised both ways (DTW over edit distances), for decoding a value model with a base model of "
                + "another vocabulary. Saves both normalisations (paper and prob-topk) and the pair counts.")
final class AlignVocabCommand implements Callable<Integer> {
    /** K of the prob-topk map saved beside a selected paper map. */
    private static final int DEFAULT_TOP_K = 8;

    @Option(names = "--base-tokenizer", required = true, description = "the base model's tokenizer.json (rows of W)")
    Path baseTokenizer;

    @Option(names = "--value-tokenizer", required = true,
            description = "the value model's tokenizer.json (columns of W)")
    Path valueTokenizer;

    @Option(names = "--corpus", required = true, arity = "1..*",
            description = "corpus files: one text per non-blank line, or .jsonl objects (see --jsonl-field)")
    List<Path> corpus;

    @Option(names = "--max-texts", description = "most texts to align (default: all but the held-out ones)")
    Integer maxTexts;

    @Option(names = "--eval-texts", defaultValue = "0",
            description = "texts after the aligned ones, held out to measure the overlap (default: ${DEFAULT-VALUE})")
    int evalTexts;

    @Option(names = "--normalize", defaultValue = "paper",
            description = "map used for decoding: paper (the authors' computation), nonzero-minmax or prob-topk:K;"
                    + " the others (paper, nonzero-minmax, prob-topk:" + DEFAULT_TOP_K + ") are saved too"
                    + " (default: ${DEFAULT-VALUE})")
    String normalize;

    @Option(names = "--counts", paramLabel = "FILE", description = "also write the raw pair counts (safetensors,"
            + " sparse), to recompute any normalisation")
    Path countsFile;

    @Option(names = "--threads", description = "threads aligning texts (default: the number of processors)")
    Integer threads;

    @Option(names = "--jsonl-field", description = "field of a .jsonl line that is a text (repeatable; default: "
            + "text, instruction, response)")
    List<String> jsonlFields = CorpusTexts.DEFAULT_FIELDS;

    @Option(names = "--out", required = true, description = "the map file to write (safetensors)")
    Path out;

    @Override
    public Integer call() {
        PrintStream stdout = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Normalization selected = Normalization.parse(normalize);
        Normalization[] others = {new Normalization.Paper(), new Normalization.NonZeroMinMax(),
            new Normalization.ProbTopK(DEFAULT_TOP_K)};
        if (evalTexts < 0) {
            throw new IllegalParameterException("--eval-texts", evalTexts, "must not be negative");
        }
        if (maxTexts != null && maxTexts < 1) {
            throw new IllegalParameterException("--max-texts", maxTexts, "must be at least 1");
        }
        int threadCount = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (threadCount < 1) {
            throw new IllegalParameterException("--threads", threadCount, "must be at least 1");
        }
        int limit = maxTexts == null ? Integer.MAX_VALUE
                : (int) Math.min(Integer.MAX_VALUE, (long) maxTexts + evalTexts);
        List<String> texts = CorpusTexts.read(corpus, limit, jsonlFields);
        if (texts.size() <= evalTexts) {
            throw new InvalidInputException("the corpus has " + texts.size() + " texts: too few to hold out "
                    + evalTexts + " (--eval-texts) and align the rest");
        }
        List<String> aligned = texts.subList(0, texts.size() - evalTexts);
        List<String> heldOut = texts.subList(texts.size() - evalTexts, texts.size());
        try (HfTokenizer base = HfTokenizer.load(baseTokenizer); HfTokenizer value = HfTokenizer.load(valueTokenizer)) {
            long start = System.nanoTime();
            ProgressBar progress = new ProgressBar(aligned.size());
            VocabularyAlignment alignment = VocabularyMaps.build(base, value, aligned, threadCount, progress,
                    selected, others);
            double seconds = (System.nanoTime() - start) / 1e9;
            progress.finish();
            VocabularyMapFile.write(out, alignment);
            if (countsFile != null) {
                VocabularyMapFile.writeCounts(countsFile, alignment);
            }
            stdout.printf(Locale.ROOT, "aligned %d texts (%d token pairs, %d distinct) in %.1f s on %d threads%n",
                    aligned.size(), alignment.counts().total(), alignment.counts().entries(), seconds, threadCount);
            stdout.printf(Locale.ROOT, "base  %s: %d tokens, word-prefix marker '%s'%n", alignment.base().name(),
                    alignment.base().vocabSize(), alignment.base().marker());
            stdout.printf(Locale.ROOT, "value %s: %d tokens, word-prefix marker '%s'%n", alignment.value().name(),
                    alignment.value().vocabSize(), alignment.value().marker());
            for (Map.Entry<Normalization, TokenMap> e : alignment.maps().entrySet()) {
                stdout.printf(Locale.ROOT, "%-12s %8d entries", e.getKey(), e.getValue().entries());
                if (!heldOut.isEmpty()) {
                    TokenOverlap overlap = TokenOverlap.measure(e.getValue(), base, value, heldOut);
                    stdout.printf(Locale.ROOT, ", held-out overlap %.4f (%d of %d tokens, %d texts)",
                            overlap.fraction(), overlap.recovered(), overlap.total(), heldOut.size());
                }
                stdout.println();
            }
            stdout.printf("wrote %s (%s selected)%s%n", out, alignment.selected(),
                    countsFile == null ? "" : " and the pair counts to " + countsFile);
        }
        return 0;
    }

    /** A progress bar on stderr, redrawn at most ten times a second; safe to call from any thread. */
    private static final class ProgressBar implements IntConsumer {
        private static final int WIDTH = 30;
        private final int total;
        private final long start = System.nanoTime();
        private final AtomicLong lastDraw = new AtomicLong(start);

        ProgressBar(int total) {
            this.total = total;
        }

        @Override
        public void accept(int done) {
            long now = System.nanoTime();
            long last = lastDraw.get();
            if (now - last >= 100_000_000L && lastDraw.compareAndSet(last, now)) {
                draw(done, now);
            }
        }

        /** Draws the full bar and ends its line. */
        void finish() {
            draw(total, System.nanoTime());
            System.err.println();
        }

        private synchronized void draw(int done, long now) {
            int filled = total == 0 ? WIDTH : (int) ((long) done * WIDTH / total);
            System.err.printf(Locale.ROOT, "\r[%s%s] %d/%d texts %.1f s", "#".repeat(filled),
                    ".".repeat(WIDTH - filled), done, total, (now - start) / 1e9);
            System.err.flush();
        }
    }
}
