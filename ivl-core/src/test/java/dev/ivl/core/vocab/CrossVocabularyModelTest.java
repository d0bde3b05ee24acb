package dev.ivl.core.vocab;

import dev.ivl.core.vocab.align.Normalization;
import dev.ivl.core.vocab.align.VocabularyAligner;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.combine.ResidualCombiner;
import dev.ivl.core.fakes.FakeModel;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.model.Session;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** Cross-vocabulary decoding with fake models: same-vocabulary equality, re-synchronisation, logits, guards. */
class CrossVocabularyModelTest {
    /**
     * Pseudo-random logits that depend on the whole sequence; {@code allowed} marks the tokens that may win (the
     * others get −20), so generated text stays in a range where every token sequence is the canonical one.
     */
    static FakeModel model(int vocab, long seed, boolean[] allowed) {
        return new FakeModel(vocab, 512, sequence -> {
            long h = seed;
            for (int t : sequence) {
                h = h * 31 + t;
            }
            SplittableRandom r = new SplittableRandom(h);
            float[] logits = new float[vocab];
            for (int i = 0; i < vocab; i++) {
                logits[i] = allowed[i] ? (float) r.nextGaussian() * 3 : -20f;
            }
            return logits;
        });
    }

    static boolean[] allowed(ToyTokenizer t, java.util.function.IntPredicate ok) {
        boolean[] a = new boolean[t.vocabSize()];
        for (int i = 0; i < a.length; i++) {
            a[i] = ok.test(i);
        }
        return a;
    }

    static int[] greedy(LanguageModel model, ToyTokenizer tokenizer, String prompt, int steps) {
        GenerationResult r = new Generator(model, tokenizer).generate(tokenizer.encode(prompt),
                GenerationConfig.builder().greedy().maxNewTokens(steps).ignoreEos(true).build(), TokenListener.NONE,
                new CancellationToken());
        return r.tokens();
    }

    @ParameterizedTest
    @EnumSource(SamplingVocabulary.class)
    void identicalTokenizersDecodeTokenForTokenLikeTheSameVocabularyCombiner(SamplingVocabulary sampling) {
        // lower-case letters and "▁x" pieces: every sequence after a non-empty prompt is canonical
        String[] pieces = new String[52];
        for (int c = 0; c < 26; c++) {
            pieces[2 * c] = String.valueOf((char) ('a' + c));
            pieces[2 * c + 1] = " " + (char) ('a' + c);
        }
        ToyTokenizer t = ToyTokenizer.sentencepiece(pieces);
        boolean[] ok = allowed(t, i -> i >= 259);
        FakeModel base = model(t.vocabSize(), 1, ok);
        FakeModel value = model(t.vocabSize(), 2, ok);
        VocabularyAligner aligner = new VocabularyAligner(t, t);
        TokenMap map = aligner.map(aligner.count(List.of("a quick brown fox jumps over the lazy dog"), 1, null),
                new Normalization.Paper());
        assertEquals(TokenMap.identity(t.vocabSize()).entries(), map.entries());

        int[] same = greedy(ResidualCombiner.withAlpha(0.8f).combine(base, value), t, "hello", 40);
        CrossVocabularyModel cross = CrossVocabularyModel.builder(base, t, value, t, map).alpha(0.8f)
                .sampling(sampling).build();
        assertArrayEquals(same, greedy(cross, t, "hello", 40));
        assertNotEquals(Arrays.toString(same), Arrays.toString(greedy(base, t, "hello", 40)),
                "the value model changes the output");
    }

    @Test
    void identicalByteLevelTokenizersDecodeTokenForTokenToo() {
        ToyTokenizer t = ToyTokenizer.byteLevel();
        boolean[] ok = allowed(t, i -> i >= 'a' && i <= 'z' || i == ' ');
        FakeModel base = model(t.vocabSize(), 3, ok);
        FakeModel value = model(t.vocabSize(), 4, ok);
        int[] same = greedy(ResidualCombiner.withAlpha(1f).combine(base, value), t, "The", 40);
        for (SamplingVocabulary s : SamplingVocabulary.values()) {
            CrossVocabularyModel cross = CrossVocabularyModel.builder(base, t, value, t,
                    TokenMap.identity(t.vocabSize())).sampling(s).build();
            assertArrayEquals(same, greedy(cross, t, "The", 40), s.toString());
        }
    }

    /** Value tokens fed one at a time: merged pieces, split multi-byte characters, merged spaces. */
    @Test
    void theBaseModelFollowsTheTextAndIsRewoundWhereItsTokensChange() {
        ToyTokenizer base = TokenSyncTest.SENTENCEPIECE;
        ToyTokenizer value = ToyTokenizer.byteLevel("he", "l", "lo", " wor", "ld", "  ", " ");
        FakeModel baseModel = FakeModel.constant(new float[base.vocabSize()]);
        FakeModel valueModel = FakeModel.constant(new float[value.vocabSize()]);
        CrossVocabularyModel cross = CrossVocabularyModel.builder(baseModel, base, valueModel, value,
                anyMap(base, value)).build();
        List<Integer> fed = new ArrayList<>();
        try (Session s = cross.newSession()) {
            String text = "say hello  wörld 日本";
            int[] ids = splitBytes(value, text);
            for (int id : ids) {
                fed.add(id);
                s.append(id);
                String decoded = value.decode(fed.stream().mapToInt(Integer::intValue).toArray());
                String stable = decoded.replaceAll("\uFFFD+$", "");
                int[] want = concat(new int[] {1}, base.encode(stable, false));
                assertArrayEquals(want, baseModel.sessions().get(0).tokens(), "after \"" + decoded + "\"");
            }
            assertEquals(ids.length, s.position());
        }
        int[] sizes = baseModel.sessions().get(0).appendSizes();
        int fedTotal = Arrays.stream(sizes).sum();
        int finalLength = baseModel.sessions().get(0).position();
        assertTrue(fedTotal > finalLength, "some tokens changed and were fed again: " + Arrays.toString(sizes));
        assertTrue(fedTotal <= finalLength + sizes.length,
                "each step re-feeds at most one changed token, never the whole text: " + Arrays.toString(sizes));
        assertTrue(sizes.length < fed.size(), "steps that complete no character feed nothing: " + sizes.length);
    }

    @Test
    void alphaZeroSamplingInTheBaseVocabularyGivesTheBaseExactly() {
        ToyTokenizer base = TokenSyncTest.SENTENCEPIECE;
        ToyTokenizer value = TokenSyncTest.BYTE_LEVEL;
        FakeModel baseModel = model(base.vocabSize(), 11, allowed(base, i -> i > 2));
        FakeModel valueModel = model(value.vocabSize(), 12, allowed(value, i -> true));
        CrossVocabularyModel cross = CrossVocabularyModel.builder(baseModel, base, valueModel, value,
                anyMap(base, value)).alpha(0f).sampling(SamplingVocabulary.BASE).build();
        assertArrayEquals(greedy(baseModel, base, "the cat", 30), greedy(cross, base, "the cat", 30));
    }

    @Test
    void theGeneratorRefusesATokenizerOtherThanTheSamplingOne() {
        ToyTokenizer base = TokenSyncTest.SENTENCEPIECE;
        ToyTokenizer value = TokenSyncTest.BYTE_LEVEL;
        CrossVocabularyModel cross = CrossVocabularyModel.builder(FakeModel.constant(new float[base.vocabSize()]),
                base, FakeModel.constant(new float[value.vocabSize()]), value, anyMap(base, value)).build();
        assertSame(value, cross.tokenizer().orElseThrow(), "sampling in the value vocabulary, the default");
        assertThrows(InvalidInputException.class, () -> new Generator(cross, base),
                "the base tokenizer would garble a text sampled in value ids");
        assertSame(value, new Generator(cross).tokenizer().orElseThrow());
    }

    @Test
    void theValueModelFollowsTheTextWhenSamplingInTheBaseVocabulary() {
        ToyTokenizer base = TokenSyncTest.SENTENCEPIECE;
        ToyTokenizer value = TokenSyncTest.BYTE_LEVEL;
        FakeModel baseModel = FakeModel.constant(new float[base.vocabSize()]);
        FakeModel valueModel = FakeModel.constant(new float[value.vocabSize()]);
        CrossVocabularyModel cross = CrossVocabularyModel.builder(baseModel, base, valueModel, value,
                anyMap(base, value)).sampling(SamplingVocabulary.BASE).build();
        try (Session s = cross.newSession()) {
            int[] prompt = base.encode("the cat");
            s.append(prompt);
            assertArrayEquals(value.encode("the cat", false), valueModel.sessions().get(0).tokens(),
                    "<s> is not text; byte-level has no BOS, so no start token");
            int[] more = {base.id("▁hel"), base.id("lo"), base.id("▁"), base.id("▁"), base.id("<0xE2>"),
                base.id("<0x82>"), base.id("<0xAC>")};
            StringBuilder text = new StringBuilder("the cat");
            String[] after = {" hel", "lo", " ", " ", "", "", "€"};
            for (int i = 0; i < more.length; i++) {
                s.append(more[i]);
                text.append(after[i]);
                assertArrayEquals(value.encode(text.toString(), false), valueModel.sessions().get(0).tokens(),
                        "after \"" + text + "\"");
            }
        }
    }

    @Test
    void rewindingTheSessionRewindsBothModels() {
        ToyTokenizer base = TokenSyncTest.SENTENCEPIECE;
        ToyTokenizer value = TokenSyncTest.BYTE_LEVEL;
        FakeModel baseModel = model(base.vocabSize(), 5, allowed(base, i -> true));
        FakeModel valueModel = model(value.vocabSize(), 6, allowed(value, i -> true));
        CrossVocabularyModel cross = CrossVocabularyModel.builder(baseModel, base, valueModel, value,
                anyMap(base, value)).build();
        int[] ids = value.encode("hello world, the cat sat", false);
        try (Session s = cross.newSession()) {
            float[] first = null;
            for (int i = 0; i < ids.length; i++) {
                float[] logits = s.append(ids[i]);
                if (i == 4) {
                    first = logits;
                }
            }
            s.rewind(4);
            assertEquals(4, s.position());
            assertArrayEquals(first, s.append(ids[4]), "same text, same logits");
            assertArrayEquals(concat(new int[] {1}, base.encode(value.decode(Arrays.copyOf(ids, 5)), false)),
                    baseModel.sessions().get(0).tokens());
        }
    }

    @Test
    void logitsAreTheMappedBasePlusAlphaDeltaWithUnmappedAndPaddedTokensMasked() {
        ToyTokenizer base = ToyTokenizer.byteLevel();
        ToyTokenizer value = ToyTokenizer.byteLevel(" x");
        int rows = base.vocabSize();
        int cols = value.vocabSize();
        // W: base 'a' -> value 'a' (0.5) and ' x' (0.25); base 'b' -> value 'a' (1); nothing else
        int a = 'a';
        int b = 'b';
        int x = value.id("Ġx");
        int[] starts = new int[rows + 1];
        for (int r = 0; r < rows; r++) {
            starts[r + 1] = starts[r] + (r == a ? 2 : r == b ? 1 : 0);
        }
        TokenMap map = new TokenMap(rows, cols, starts, new int[] {a, x, a}, new float[] {0.5f, 0.25f, 1f});
        float[] zBase = new float[rows];
        zBase[a] = 4f;
        zBase[b] = -2f;
        float[] zDelta = new float[cols + 2]; // the value model has two padded entries
        zDelta[a] = 1f;
        zDelta[x] = 3f;
        zDelta['c'] = 7f;
        FakeModel baseModel = FakeModel.constant(zBase);
        FakeModel valueModel = FakeModel.constant(zDelta);
        CrossVocabularyModel masked = CrossVocabularyModel.builder(baseModel, base, valueModel, value, map)
                .alpha(0.5f).build();
        float[] out;
        try (Session s = masked.newSession()) {
            out = s.append('q');
        }
        assertEquals(cols + 2, out.length);
        assertEquals(4f * 0.5f - 2f * 1f + 0.5f * 1f, out[a], 1e-6f);
        assertEquals(4f * 0.25f + 0.5f * 3f, out[x], 1e-6f);
        assertEquals(Float.NEGATIVE_INFINITY, out['c'], "no base token maps to 'c'");
        assertEquals(Float.NEGATIVE_INFINITY, out[cols], "padding beyond the tokenizer");
        assertEquals(Float.NEGATIVE_INFINITY, out[cols + 1]);
        CrossVocabularyModel literal = CrossVocabularyModel.builder(baseModel, base, valueModel, value, map)
                .alpha(0.5f).maskUnmapped(false).build();
        try (Session s = literal.newSession()) {
            out = s.append('q');
        }
        assertEquals(0.5f * 7f, out['c'], "eq. 5 as written: only α·z_delta");
        CrossVocabularyModel inBase = CrossVocabularyModel.builder(baseModel, base, valueModel, value, map)
                .alpha(0.5f).sampling(SamplingVocabulary.BASE).build();
        try (Session s = inBase.newSession()) {
            out = s.append('q');
        }
        assertEquals(rows, out.length);
        assertEquals(4f + 0.5f * (0.5f * 1f + 0.25f * 3f), out[a], 1e-6f);
        assertEquals(-2f + 0.5f * 1f, out[b], 1e-6f);
        assertEquals(0f, out['c'], "z_base alone where W has no row");
    }

    @Test
    void aMapForOtherTokenizersIsRefused() {
        ToyTokenizer base = ToyTokenizer.byteLevel();
        ToyTokenizer value = ToyTokenizer.byteLevel(" x");
        FakeModel baseModel = FakeModel.constant(new float[base.vocabSize()]);
        FakeModel valueModel = FakeModel.constant(new float[value.vocabSize()]);
        TokenMap swapped = TokenMap.identity(value.vocabSize());
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> CrossVocabularyModel.builder(baseModel, base, valueModel, value, swapped).build());
        assertTrue(e.getMessage().contains("built for other tokenizers"), e.getMessage());
    }

    @Test
    void vocabularySizesAndStartTokensAreChecked() {
        ToyTokenizer base = ToyTokenizer.byteLevel();
        ToyTokenizer value = ToyTokenizer.byteLevel(" x");
        TokenMap map = new TokenMap(base.vocabSize(), value.vocabSize(), new int[base.vocabSize() + 1], new int[0],
                new float[0]);
        FakeModel small = FakeModel.constant(new float[value.vocabSize() - 1]);
        FakeModel baseModel = FakeModel.constant(new float[base.vocabSize()]);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> CrossVocabularyModel.builder(baseModel, base, small, value, map).build());
        assertTrue(e.getMessage().contains("value model has " + (value.vocabSize() - 1) + " logits"), e.getMessage());
        FakeModel valueModel = FakeModel.constant(new float[value.vocabSize()]);
        assertThrows(InvalidInputException.class, () -> CrossVocabularyModel.builder(baseModel, base, valueModel,
                value, map).otherStartTokens(base.vocabSize()).build());
    }

    @Test
    void anEmptyTextWithoutStartTokensIsAClearErrorAndLeavesTheSessionUsable() {
        ToyTokenizer base = ToyTokenizer.byteLevel();
        ToyTokenizer value = ToyTokenizer.sentencepiece(" x");
        FakeModel baseModel = FakeModel.constant(new float[base.vocabSize()]);
        FakeModel valueModel = FakeModel.constant(new float[value.vocabSize()]);
        CrossVocabularyModel cross = CrossVocabularyModel.builder(baseModel, base, valueModel, value,
                anyMap(base, value)).build();
        try (Session s = cross.newSession()) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> s.append(1)); // <s> alone
            assertTrue(e.getMessage().contains("otherStartTokens"), e.getMessage());
            assertEquals(0, s.position(), "the failed append is undone");
            s.append(1, value.id("▁x"));
            assertArrayEquals(base.encode("x", false), baseModel.sessions().get(0).tokens(),
                    "sentencepiece decoding drops the dummy prefix's space");
        }
    }

    /** A map of the right shape: identity on the shared byte ids where both have them. */
    static TokenMap anyMap(ToyTokenizer base, ToyTokenizer value) {
        VocabularyAligner aligner = new VocabularyAligner(base, value);
        return aligner.map(aligner.count(List.of("the cat sat on the mat"), 1, null), new Normalization.Paper());
    }

    /** Encodes a text in the byte-level toy tokenizer, then splits every multi-byte character into byte tokens. */
    static int[] splitBytes(ToyTokenizer value, String text) {
        List<Integer> out = new ArrayList<>();
        for (int id : value.encode(text, false)) {
            String s = value.tokenString(id);
            if (s.length() > 1 && value.decode(new int[] {id}).codePoints().anyMatch(c -> c > 127)) {
                for (char c : s.toCharArray()) {
                    out.add(value.id(String.valueOf(c)));
                }
            } else {
                out.add(id);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
