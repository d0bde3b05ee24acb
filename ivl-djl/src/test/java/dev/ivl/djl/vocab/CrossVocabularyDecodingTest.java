package dev.ivl.djl.vocab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.combine.ResidualCombiner;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.core.model.Session;
import dev.ivl.core.vocab.CrossVocabularyModel;
import dev.ivl.core.vocab.align.Normalization;
import dev.ivl.core.vocab.SamplingVocabulary;
import dev.ivl.core.vocab.TokenMap;
import dev.ivl.core.vocab.align.VocabularyAlignment;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Cross-vocabulary decoding with real (tiny, random) LLaMA checkpoints and the real Llama-2 and GPT-2 tokenizers:
 * every step's logits against an uncached reference computed from the text, and the identity map against
 * same-vocabulary decoding.
 */
class CrossVocabularyDecodingTest {
    @TempDir
    static Path dir;
    static HfTokenizer llama2;
    static HfTokenizer gpt2;
    static LlamaModel llama2Model;
    static LlamaModel llama2Value;
    static LlamaModel gpt2Model;
    static VocabularyAlignment alignment;

    @BeforeAll
    static void load() {
        llama2 = SharedTokenizers.llama2();
        gpt2 = SharedTokenizers.gpt2();
        llama2Model = LlamaModel.load(TinyLlama.write(dir.resolve("l2a"), 32000, 1));
        llama2Value = LlamaModel.load(TinyLlama.write(dir.resolve("l2b"), 32000, 2));
        gpt2Model = LlamaModel.load(TinyLlama.write(dir.resolve("g2"), 50257, 3));
        alignment = VocabularyMaps.build(llama2, gpt2, SharedTokenizers.sample(), 2, null,
                new Normalization.ProbTopK(4), new Normalization.Paper());
    }

    @AfterAll
    static void close() {
        llama2Model.close();
        llama2Value.close();
        gpt2Model.close();
        llama2.close();
        gpt2.close();
    }

    /** The last row of a model's uncached full-sequence logits. */
    static float[] last(LlamaModel m, int[] ids) {
        float[][] all = m.logits(ids);
        return all[all.length - 1];
    }

    @ParameterizedTest
    @EnumSource(SamplingVocabulary.class)
    void everyStepEqualsAnUncachedReferenceComputedFromTheText(SamplingVocabulary sampling) {
        boolean value = sampling == SamplingVocabulary.VALUE;
        TokenMap map = alignment.map();
        float alpha = 0.7f;
        CrossVocabularyModel cross = CrossVocabularyModel.builder(llama2Model, llama2, gpt2Model, gpt2, map)
                .alpha(alpha).sampling(sampling).otherStartTokens(value ? new int[] {1} : new int[] {50256}).build();
        HfTokenizer sampledTok = value ? gpt2 : llama2;
        HfTokenizer otherTok = value ? llama2 : gpt2;
        LlamaModel sampledModel = value ? gpt2Model : llama2Model;
        LlamaModel otherModel = value ? llama2Model : gpt2Model;
        int[] start = value ? new int[] {1} : new int[] {50256};
        GenerationResult result = new Generator(cross, cross.samplingTokenizer()).generate(
                sampledTok.encode("Café owners in the old town"), GenerationConfig.builder().temperature(1f)
                        .seed(5L).maxNewTokens(8).ignoreEos(true).build(), TokenListener.NONE,
                new CancellationToken());
        int[] prompt = sampledTok.encode("Café owners in the old town");
        int[] all = ResynchronisationTest.concat(prompt, result.tokens());
        // replay the sampled tokens through a fresh session and check every step against the reference
        try (Session s = cross.newSession()) {
            float[] got = s.append(prompt);
            for (int n = prompt.length; n <= all.length; n++) {
                int[] seq = Arrays.copyOf(all, n);
                String text = ResynchronisationTest.stableText(sampledTok, seq, n);
                float[] zSampled = last(sampledModel, seq);
                float[] zOther = last(otherModel, ResynchronisationTest.concat(start, otherTok.encode(text, false)));
                float[] want = reference(map, value, alpha, zSampled, zOther);
                for (int i = 0; i < want.length; i++) {
                    if (Float.isInfinite(want[i])) {
                        assertEquals(want[i], got[i], "step " + n + ", token " + i);
                    } else {
                        assertEquals(want[i], got[i], 2e-4f, "step " + n + ", token " + i);
                    }
                }
                if (n < all.length) {
                    got = s.append(all[n]);
                }
            }
        }
    }

    /** The combination written out entry by entry from W's triples, independently of TokenMap's products. */
    static float[] reference(TokenMap map, boolean value, float alpha, float[] zSampled, float[] zOther) {
        int[] starts = map.rowStart();
        int[] cols = map.columnIndices();
        float[] w = map.weights();
        if (value) {
            double[] mapped = new double[zSampled.length];
            boolean[] reached = new boolean[zSampled.length];
            for (int b = 0; b < map.rows(); b++) {
                for (int k = starts[b]; k < starts[b + 1]; k++) {
                    mapped[cols[k]] += (double) zOther[b] * w[k];
                    reached[cols[k]] = true;
                }
            }
            float[] out = new float[zSampled.length];
            for (int v = 0; v < out.length; v++) {
                out[v] = reached[v] ? (float) (mapped[v] + alpha * zSampled[v]) : Float.NEGATIVE_INFINITY;
            }
            return out;
        }
        float[] out = new float[zSampled.length];
        for (int b = 0; b < out.length; b++) {
            double delta = 0;
            for (int k = starts[b]; k < starts[b + 1]; k++) {
                delta += (double) zOther[cols[k]] * w[k];
            }
            out[b] = (float) (zSampled[b] + alpha * delta);
        }
        return out;
    }

    @Test
    void identicalTokenizersGiveTheIdentityMapAndTheSameLogitsAsSameVocabularyDecoding() {
        VocabularyAlignment same = VocabularyMaps.build(llama2, llama2, SharedTokenizers.sample(), 2, null,
                new Normalization.Paper());
        TokenMap map = same.map();
        assertEquals(32000, map.entries());
        for (int id = 0; id < 32000; id++) {
            assertEquals(id, map.top(id));
            assertEquals(1f, map.weight(id, id));
        }
        List<String> sample = SharedTokenizers.sample();
        List<String> texts = List.of(sample.get(0), sample.get(6), sample.get(9)); // plain, accents, CJK
        for (SamplingVocabulary sampling : SamplingVocabulary.values()) {
            CrossVocabularyModel cross = CrossVocabularyModel.builder(llama2Model, llama2, llama2Value, llama2, map)
                    .alpha(0.5f).sampling(sampling).build();
            var combined = ResidualCombiner.withAlpha(0.5f).combine(llama2Model, llama2Value);
            for (String text : texts) {
                int[] ids = llama2.encode(text); // a canonical sequence: re-encoding its text gives it back
                try (Session a = cross.newSession(); Session b = combined.newSession()) {
                    assertArrayEquals(b.append(ids[0], ids[1]), a.append(ids[0], ids[1]), sampling + ": " + text);
                    for (int i = 2; i < ids.length; i++) {
                        assertArrayEquals(b.append(ids[i]), a.append(ids[i]), sampling + " step " + i + ": " + text);
                    }
                }
            }
        }
    }

    @Test
    void aMapIsSavedAndReadBackOnlyForItsOwnTokenizers(@TempDir Path tmp) {
        Path file = tmp.resolve("l2-g2.map");
        VocabularyMapFile.write(file, alignment);
        VocabularyAlignment back = VocabularyMaps.read(file, llama2, gpt2);
        assertEquals(alignment.base(), back.base());
        assertEquals(alignment.selected(), back.selected());
        assertTrue(back.maps().keySet().containsAll(alignment.maps().keySet()));
    }
}
