package dev.ivl.core.vocab.align;

import dev.ivl.core.vocab.TokenBytes;
import dev.ivl.core.vocab.TokenMap;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.IvlException;
import dev.ivl.core.text.TextTokenizer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Builds the token map between a base and a value tokenizer from a corpus (the MinED/DTW method of FuseLLM): each
 * text is encoded by both tokenizers, the two token sequences are aligned by dynamic time warping with the cost of
 * a pair the edit distance of the tokens' {@linkplain TokenBytes#normalized normalised bytes} (×0.1 when one
 * contains the other), and every aligned pair is counted in a sparse matrix ({@link #count}). A
 * {@link Normalization} then turns the counts into weights ({@link #map}).
 *
 * <p>Tokenizer-agnostic: it needs only {@link TextTokenizer#encode} and {@link TextTokenizer#tokenString}. Texts
 * are encoded without special tokens; texts longer than {@value #MAX_PIECE_CHARS} characters are aligned in pieces
 * cut at white space. Thread-safe.
 */
public final class VocabularyAligner {
    /** Longest piece of text aligned at once, in characters. */
    public static final int MAX_PIECE_CHARS = 4000;

    private final TextTokenizer base;
    private final TextTokenizer value;
    private final TokenBytes baseBytes;
    private final TokenBytes valueBytes;

    /**
     * Reads both vocabularies' token bytes.
     *
     * @param base the base model's tokenizer (rows of the map)
     * @param value the value model's tokenizer (columns of the map)
     * @throws dev.ivl.core.InvalidInputException if a tokenizer exposes no token strings
     */
    public VocabularyAligner(TextTokenizer base, TextTokenizer value) {
        this.base = base;
        this.value = value;
        this.baseBytes = TokenBytes.of(base);
        this.valueBytes = TokenBytes.of(value);
    }

    /** @return the base tokenizer's token bytes */
    public TokenBytes baseBytes() {
        return baseBytes;
    }

    /** @return the value tokenizer's token bytes */
    public TokenBytes valueBytes() {
        return valueBytes;
    }

    /**
     * Aligns every text and counts the aligned token pairs.
     *
     * @param texts the corpus
     * @param threads how many threads align texts at once, at least 1
     * @param progress called with the number of texts done so far, from any of the worker threads, after each
     *     text; may be null
     * @return the counts, |V_base| × |V_value|
     * @throws IllegalParameterException if threads is below 1
     */
    public PairCounts count(List<String> texts, int threads, IntConsumer progress) {
        if (threads < 1) {
            throw new IllegalParameterException("threads", threads, "must be at least 1");
        }
        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        IntConsumer report = progress == null ? n -> { } : progress;
        int workers = Math.min(threads, Math.max(1, texts.size()));
        PairCounter total;
        if (workers == 1) {
            total = work(texts, next, done, report);
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
                Thread t = new Thread(r, "ivl-align");
                t.setDaemon(true);
                return t;
            });
            try {
                List<Future<PairCounter>> parts = new ArrayList<>();
                for (int w = 0; w < workers; w++) {
                    parts.add(pool.submit(() -> work(texts, next, done, report)));
                }
                total = new PairCounter();
                for (Future<PairCounter> part : parts) {
                    total.addAll(await(part));
                }
            } finally {
                pool.shutdownNow();
            }
        }
        return total.toCounts(base.vocabSize(), value.vocabSize());
    }

    /**
     * Normalises counts into a map, then completes it: a base token that never occurred in the corpus maps with
     * weight 1 to the value token that stands for the same bytes (preferring the same token string, then a token
     * that is not a byte-fallback token, then the lowest id), if there is one; and each base end-of-sequence token
     * maps with weight 1 to the value tokenizer's first end-of-sequence token, replacing whatever its row held.
     *
     * @param counts counts from {@link #count}
     * @param normalization how counts become weights
     * @return the map W, |V_base| × |V_value|
     */
    public TokenMap map(PairCounts counts, Normalization normalization) {
        TokenMap normalized = normalization.apply(counts);
        int rows = normalized.rows();
        int[] fixedColumn = new int[rows];
        Arrays.fill(fixedColumn, -1);
        Map<String, List<Integer>> valueByBytes = new HashMap<>();
        for (int v = 0; v < valueBytes.size(); v++) {
            byte[] b = valueBytes.bytesView(v);
            if (b.length > 0) {
                valueByBytes.computeIfAbsent(key(b), k -> new ArrayList<>(1)).add(v);
            }
        }
        int[] starts = normalized.rowStart();
        for (int r = 0; r < rows; r++) {
            if (starts[r] == starts[r + 1] && baseBytes.bytesView(r).length > 0) {
                List<Integer> candidates = valueByBytes.get(key(baseBytes.bytesView(r)));
                if (candidates != null) {
                    fixedColumn[r] = pick(r, candidates);
                }
            }
        }
        int[] valueEos = value.eosTokenIds();
        if (valueEos.length > 0) {
            for (int eos : base.eosTokenIds()) {
                if (eos >= 0 && eos < rows) {
                    fixedColumn[eos] = valueEos[0];
                }
            }
        }
        int[] cols = normalized.columnIndices();
        float[] weights = normalized.weights();
        int[] outStart = new int[rows + 1];
        int[] outCols = new int[cols.length + rows];
        float[] outWeights = new float[cols.length + rows];
        int n = 0;
        for (int r = 0; r < rows; r++) {
            if (fixedColumn[r] >= 0) {
                outCols[n] = fixedColumn[r];
                outWeights[n++] = 1f;
            } else {
                for (int k = starts[r]; k < starts[r + 1]; k++) {
                    outCols[n] = cols[k];
                    outWeights[n++] = weights[k];
                }
            }
            outStart[r + 1] = n;
        }
        return new TokenMap(rows, normalized.columns(), outStart, Arrays.copyOf(outCols, n),
                Arrays.copyOf(outWeights, n));
    }

    /**
     * @param texts a corpus
     * @return the SHA-256 of the texts' UTF-8 bytes, each followed by a 0 byte, in lower-case hex
     */
    public static String corpusSha256(List<String> texts) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IvlException("SHA-256 is not available", e);
        }
        for (String text : texts) {
            digest.update(text.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private int pick(int row, List<Integer> candidates) {
        String token = base.tokenString(row);
        int best = -1;
        int bestRank = Integer.MAX_VALUE;
        for (int v : candidates) {
            int rank = token.equals(value.tokenString(v)) ? 0 : valueBytes.isByteFallback(v) ? 2 : 1;
            if (rank < bestRank) { // candidates come in increasing id order
                best = v;
                bestRank = rank;
            }
        }
        return best;
    }

    private PairCounter work(List<String> texts, AtomicInteger next, AtomicInteger done, IntConsumer progress) {
        PairCounter counter = new PairCounter();
        Dtw dtw = new Dtw();
        int[] path = new int[256];
        for (int i = next.getAndIncrement(); i < texts.size(); i = next.getAndIncrement()) {
            for (String piece : pieces(texts.get(i))) {
                int[] a = base.encode(piece, false);
                int[] b = value.encode(piece, false);
                if (a.length == 0 || b.length == 0) {
                    continue;
                }
                if (path.length < 2 * (a.length + b.length)) {
                    path = new int[2 * (a.length + b.length)];
                }
                int pairs = dtw.align(forms(baseBytes, a), forms(valueBytes, b), path);
                for (int k = 0; k < pairs; k++) {
                    counter.add(a[path[2 * k]], b[path[2 * k + 1]], 1);
                }
            }
            progress.accept(done.incrementAndGet());
        }
        return counter;
    }

    private static byte[][] forms(TokenBytes bytes, int[] ids) {
        byte[][] forms = new byte[ids.length][];
        for (int i = 0; i < ids.length; i++) {
            forms[i] = bytes.normalizedView(ids[i]);
        }
        return forms;
    }

    /** @return the text cut at white space into pieces of at most {@link #MAX_PIECE_CHARS} characters */
    static List<String> pieces(String text) {
        if (text.length() <= MAX_PIECE_CHARS) {
            return List.of(text);
        }
        List<String> out = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int end = Math.min(text.length(), start + MAX_PIECE_CHARS);
            if (end < text.length()) {
                int cut = end;
                while (cut > start + MAX_PIECE_CHARS / 2 && !Character.isWhitespace(text.charAt(cut))) {
                    cut--;
                }
                end = cut > start + MAX_PIECE_CHARS / 2 ? cut : end;
                if (Character.isHighSurrogate(text.charAt(end - 1))) {
                    end--; // never split a surrogate pair
                }
            }
            out.add(text.substring(start, end));
            start = end;
        }
        return out;
    }

    private static String key(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static PairCounter await(Future<PairCounter> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IvlException("interrupted while aligning texts", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IvlException("aligning texts failed", e.getCause());
        }
    }
}
