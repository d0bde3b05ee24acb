package dev.ivl.examples.bench;

import ai.djl.ndarray.types.DataType;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.core.generate.TokenLogprob;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.llama.LoadOptions;
import dev.ivl.djl.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What reduced precision costs in quality: one model loaded with float32, float16 and int8 weights, each scored on
 * the same texts by the mean negative log-likelihood of their tokens (teacher-forced), and each asked for greedy
 * continuations of the texts' openings, compared token by token with float32's.
 */
public final class PrecisionQuality {
    /** Tokens of each text that open a greedy continuation. */
    static final int OPENING = 8;
    /** Greedy tokens per continuation. */
    static final int CONTINUATION = 16;

    private PrecisionQuality() {}

    /**
     * One weight dtype's scores.
     *
     * @param dtype f32, f16 or int8
     * @param meanNll mean negative log-likelihood per predicted token, in nats
     * @param tokens the predicted tokens scored
     * @param identical the share of continuations equal to float32's, token for token
     * @param agreeing the share of greedy tokens produced before the first difference from float32's
     */
    public record Mode(String dtype, double meanNll, long tokens, double identical, double agreeing) {}

    /**
     * @param dir a model folder with its tokenizer
     * @param texts the texts (each at least two tokens once encoded)
     * @return the scores of f32, f16 and int8 weights, in that order
     */
    public static List<Mode> measure(Path dir, List<String> texts) {
        List<Mode> modes = new ArrayList<>();
        List<int[]> reference = null;
        for (DataType dtype : List.of(DataType.FLOAT32, DataType.FLOAT16, DataType.INT8)) {
            try (LlamaModel model = LlamaModel.load(dir, LoadOptions.builder().dtype(dtype).build())) {
                HfTokenizer tokenizer = model.tokenizer().orElseThrow(() -> new InvalidInputException(dir
                        + " has no tokenizer.json: --quality encodes its texts with the model's tokenizer"));
                double nll = 0;
                long count = 0;
                List<int[]> continuations = new ArrayList<>();
                Generator generator = new Generator(model);
                GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(CONTINUATION).build();
                for (String text : texts) {
                    int[] ids = tokenizer.encode(text, true);
                    if (ids.length > model.maxSequenceLength()) {
                        ids = java.util.Arrays.copyOf(ids, model.maxSequenceLength());
                    }
                    float[][] logits = model.logits(ids);
                    for (int i = 0; i + 1 < ids.length; i++) {
                        nll += TokenLogprob.logNormalizer(logits[i]) - logits[i][ids[i + 1]];
                        count++;
                    }
                    int[] opening = java.util.Arrays.copyOf(ids, Math.min(OPENING, ids.length));
                    continuations.add(generator.generate(opening, greedy, TokenListener.NONE,
                            new CancellationToken()).tokens());
                }
                if (count == 0) {
                    throw new InvalidInputException("--quality: the texts hold no token to predict");
                }
                if (reference == null) {
                    reference = continuations;
                }
                modes.add(new Mode(name(dtype), nll / count, count, identical(reference, continuations),
                        agreeing(reference, continuations)));
            }
        }
        return modes;
    }

    private static String name(DataType dtype) {
        return dtype == DataType.FLOAT32 ? "f32" : dtype == DataType.FLOAT16 ? "f16" : "int8";
    }

    private static double identical(List<int[]> reference, List<int[]> got) {
        int same = 0;
        for (int i = 0; i < reference.size(); i++) {
            same += java.util.Arrays.equals(reference.get(i), got.get(i)) ? 1 : 0;
        }
        return (double) same / reference.size();
    }

    private static double agreeing(List<int[]> reference, List<int[]> got) {
        long agree = 0;
        long total = 0;
        for (int i = 0; i < reference.size(); i++) {
            int[] a = reference.get(i);
            int[] b = got.get(i);
            int k = 0;
            while (k < a.length && k < b.length && a[k] == b[k]) {
                k++;
            }
            agree += k;
            total += a.length;
        }
        return total == 0 ? 1 : (double) agree / total;
    }

    /**
     * @param modes the scores
     * @return a table: dtype, mean NLL, its difference from float32, and the greedy agreement
     */
    public static String table(List<Mode> modes) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "%-6s %12s %12s %14s %16s%n", "dtype", "mean NLL", "vs f32", "identical", "tokens agreeing"));
        double f32 = modes.get(0).meanNll();
        for (Mode m : modes) {
            b.append(String.format(Locale.ROOT, "%-6s %12.4f %+12.4f %14.3f %16.3f%n", m.dtype(), m.meanNll(),
                    m.meanNll() - f32, m.identical(), m.agreeing()));
        }
        b.append(String.format(Locale.ROOT, "(%d tokens scored; greedy continuations of %d tokens after each text's"
                + " first %d, compared with f32's)%n", modes.get(0).tokens(), CONTINUATION, OPENING));
        return b.toString();
    }
}
