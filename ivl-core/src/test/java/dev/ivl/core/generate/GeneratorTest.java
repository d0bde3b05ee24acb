package dev.ivl.core.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.combine.ResidualCombiner;
import dev.ivl.core.fakes.ByteTokenizer;
import dev.ivl.core.fakes.FakeModel;
import dev.ivl.core.fakes.WordTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class GeneratorTest {
    private static final int V = ByteTokenizer.VOCAB;
    private static final ByteTokenizer TOKENIZER = new ByteTokenizer();
    private static final int[] PROMPT = {ByteTokenizer.BOS, 'Q', ':'};

    /** Records what a generation streams. */
    private static final class Recorder implements TokenListener {
        final List<String> texts = new ArrayList<>();
        final List<Integer> tokens = new ArrayList<>();

        @Override
        public void onText(String text) {
            texts.add(text);
        }

        @Override
        public void onToken(int tokenId) {
            tokens.add(tokenId);
        }

        String joined() {
            return String.join("", texts);
        }
    }

    private static GenerationConfig.Builder greedy(int maxNewTokens) {
        return GenerationConfig.builder().greedy().maxNewTokens(maxNewTokens);
    }

    private static int[] concat(int[] a, int... b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** After the prompt, the model says {@code script} (bytes, then the given extra ids) and then 'z' forever. */
    private static FakeModel saying(String script, int... extra) {
        return FakeModel.scripted(V, 256, PROMPT.length, 'z', concat(ByteTokenizer.bytes(script), extra));
    }

    private static GenerationResult run(FakeModel model, GenerationConfig config, Recorder recorder) {
        return new Generator(model, TOKENIZER).generate(PROMPT, config, recorder, new CancellationToken());
    }

    /** The next token is the sum of the sequence modulo 10 (the only logit of 1; the rest are 0). */
    private static FakeModel sumModel(int maxSequenceLength) {
        return new FakeModel(10, maxSequenceLength, seq -> {
            float[] logits = new float[10];
            logits[IntStream.of(seq).sum() % 10] = 1f;
            return logits;
        });
    }

    @Test
    void greedyDecodingFollowsTheModel() {
        FakeModel model = sumModel(64);
        GenerationResult r = new Generator(model).generate(new int[] {3, 4}, greedy(5).build(), TokenListener.NONE,
                new CancellationToken());
        // sums: 7 → 7, 14 → 4, 18 → 8, 26 → 6, 32 → 2
        assertArrayEquals(new int[] {7, 4, 8, 6, 2}, r.tokens());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertNull(r.text(), "no tokenizer, no text");
        assertEquals(new Usage(2, 5), r.usage());
        assertEquals(7, r.usage().totalTokens());
        assertEquals(5, r.timings().tokenMillis().length);
        assertTrue(r.timings().prefillMillis() >= 0 && r.timings().meanTokenMillis() >= 0);
        // prompt in one call, then one token per step; the last token is not fed back
        assertArrayEquals(new int[] {2, 1, 1, 1, 1}, model.sessions().get(0).appendSizes());
        assertArrayEquals(new int[] {3, 4, 7, 4, 8, 6}, model.sessions().get(0).tokens());
        assertEquals(0, model.openSessions(), "the session is closed after generate");
    }

    @Test
    void maxNewTokensCountsOnlyNewTokens() {
        GenerationResult r = new Generator(sumModel(64)).generate(new int[] {1, 1, 1, 1, 1, 1}, greedy(3).build(),
                TokenListener.NONE, new CancellationToken());
        // sums: 6 → 6, 12 → 2, 14 → 4
        assertArrayEquals(new int[] {6, 2, 4}, r.tokens());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(new Usage(6, 3), r.usage());
    }

    @Test
    void aStopTokenEndsGenerationAndIsNotInTheText() {
        Recorder rec = new Recorder();
        GenerationResult r = run(saying("Hi", 99, 'x'), greedy(10).stopTokenIds(99).build(), rec);
        assertArrayEquals(new int[] {'H', 'i', 99}, r.tokens());
        assertEquals("Hi", r.text());
        assertEquals(FinishReason.STOP_TOKEN, r.finishReason());
        assertEquals(List.of('H' + 0, 'i' + 0, 99), rec.tokens, "the listener sees the stop token");
        assertEquals("Hi", rec.joined());
        assertEquals(new Usage(3, 3), r.usage());
    }

    @Test
    void theTokenizersEndOfSequenceStopsUnlessIgnored() {
        FakeModel model = saying("ok", ByteTokenizer.EOS);
        GenerationResult stopped = run(model, greedy(10).build(), new Recorder());
        assertArrayEquals(new int[] {'o', 'k', ByteTokenizer.EOS}, stopped.tokens());
        assertEquals("ok", stopped.text());
        assertEquals(FinishReason.STOP_TOKEN, stopped.finishReason());

        Recorder rec = new Recorder();
        GenerationResult ignored = run(model, greedy(5).ignoreEos(true).build(), rec);
        assertArrayEquals(new int[] {'o', 'k', ByteTokenizer.EOS, 'z', 'z'}, ignored.tokens());
        assertEquals("okzz", ignored.text());
        assertEquals("okzz", rec.joined());
        assertEquals(FinishReason.LENGTH, ignored.finishReason());
    }

    @Test
    void aStopStringSpanningTokensIsNeverStreamed() {
        Recorder rec = new Recorder();
        GenerationResult r = run(saying("Hello, END world"), greedy(40).stopStrings("END").build(), rec);
        assertEquals("Hello, ", r.text());
        assertEquals(FinishReason.STOP_STRING, r.finishReason());
        assertEquals(List.of("H", "e", "l", "l", "o", ",", " "), rec.texts);
        assertArrayEquals(ByteTokenizer.bytes("Hello, END"), r.tokens(), "generation ends at the stop's last token");
    }

    @Test
    void aPartialStopIsReleasedWhenTheTextDiverges() {
        Recorder rec = new Recorder();
        GenerationResult r = run(saying("a EN b END c"), greedy(40).stopStrings("END").build(), rec);
        assertEquals("a EN b ", r.text());
        assertEquals("a EN b ", rec.joined());
        assertFalse(rec.texts.stream().anyMatch(t -> t.contains("D")));
        assertEquals(FinishReason.STOP_STRING, r.finishReason());
    }

    @Test
    void anUncompletedStopAtTheEndIsPartOfTheText() {
        Recorder rec = new Recorder();
        GenerationResult r = run(saying("abcEN"), greedy(5).stopStrings("END").build(), rec);
        assertEquals("abcEN", r.text());
        assertEquals("abcEN", rec.joined());
        assertEquals(FinishReason.LENGTH, r.finishReason());
    }

    @Test
    void theEarliestOfSeveralStopStringsWins() {
        GenerationResult r = run(saying("Hello, world"), greedy(40).stopStrings("world", "lo, ").build(),
                new Recorder());
        assertEquals("Hel", r.text());
        GenerationResult first = run(saying("ENDx"), greedy(40).stopStrings("END").build(), new Recorder());
        assertEquals("", first.text());
        assertEquals(3, first.tokens().length);
    }

    @Test
    void multiByteCharactersAreStreamedOnlyWhenComplete() {
        String text = "añ€😀!";
        Recorder rec = new Recorder();
        GenerationResult r = run(saying(text, ByteTokenizer.EOS), greedy(40).build(), rec);
        assertEquals(List.of("a", "ñ", "€", "😀", "!"), rec.texts);
        assertEquals(text, r.text());
        assertEquals(ByteTokenizer.bytes(text).length + 1, r.tokens().length);
        GenerationResult stopped = run(saying(text), greedy(40).stopStrings("€").build(), new Recorder());
        assertEquals("añ", stopped.text());
    }

    @Test
    void aCharacterCutOffByTheLengthLimitEndsAsAReplacementCharacter() {
        // "a€" is 'a' 0xE2 0x82 0xAC; three tokens leave the euro sign incomplete. The text is what the tokenizer
        // decodes, and the listener gets the same.
        Recorder rec = new Recorder();
        GenerationResult r = run(saying("a€"), greedy(3).build(), rec);
        assertEquals(TOKENIZER.decode(r.tokens()), r.text());
        assertEquals("a\uFFFD", r.text());
        assertEquals(List.of("a", "\uFFFD"), rec.texts);
    }

    @Test
    void aTextPromptIsEncodedWithSpecialTokens() {
        FakeModel model = saying("ok", ByteTokenizer.EOS);
        GenerationResult r = new Generator(model, TOKENIZER).generate("Q:", greedy(10).build());
        assertEquals("ok", r.text());
        assertArrayEquals(new int[] {ByteTokenizer.BOS, 'Q', ':', 'o', 'k'}, model.sessions().get(0).tokens());
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> new Generator(model).generate("Q:", greedy(3).build()));
        assertTrue(e.getMessage().contains("tokenizer"), e.getMessage());
    }

    @Test
    void cancellationFromAnotherThreadEndsCleanly() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        FakeModel model = new FakeModel(10, 100, seq -> {
            if (seq.length == 2 + 3) { // feeding the third generated token
                entered.countDown();
                try {
                    assertTrue(release.await(10, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
            float[] logits = new float[10];
            logits[seq.length % 10] = 1f;
            return logits;
        });
        CancellationToken cancellation = new CancellationToken();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<GenerationResult> future = pool.submit(() -> new Generator(model).generate(new int[] {1, 1},
                    greedy(50).build(), TokenListener.NONE, cancellation));
            assertTrue(entered.await(10, TimeUnit.SECONDS), "generation did not reach the third token");
            cancellation.cancel();
            assertTrue(cancellation.isCancelled());
            release.countDown();
            GenerationResult r = future.get(10, TimeUnit.SECONDS);
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            assertArrayEquals(new int[] {2, 3, 4}, r.tokens());
            assertEquals(new Usage(2, 3), r.usage());
            assertEquals(0, model.openSessions());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void cancellingBeforeTheStartGeneratesNothing() {
        CancellationToken cancellation = new CancellationToken();
        cancellation.cancel();
        cancellation.cancel();
        FakeModel model = sumModel(10);
        GenerationResult r = new Generator(model).generate(new int[] {1}, greedy(5).build(), TokenListener.NONE,
                cancellation);
        assertEquals(FinishReason.CANCELLED, r.finishReason());
        assertEquals(0, r.tokens().length);
        assertEquals(0, model.openSessions());
    }

    @Test
    void stopsWhenTheContextIsFull() {
        FakeModel model = sumModel(8);
        GenerationResult r = new Generator(model).generate(new int[] {1, 1, 1, 1, 1}, greedy(100).build(),
                TokenListener.NONE, new CancellationToken());
        // the session fills up with the prompt and three tokens; the fourth is sampled from its last logits
        assertEquals(FinishReason.CONTEXT_FULL, r.finishReason());
        assertArrayEquals(new int[] {5, 0, 0, 0}, r.tokens());
        assertEquals(8, model.sessions().get(0).position());
        GenerationResult full = new Generator(model).generate(new int[] {1, 2, 3, 4, 5, 6, 7, 8}, greedy(100).build(),
                TokenListener.NONE, new CancellationToken());
        assertEquals(FinishReason.CONTEXT_FULL, full.finishReason());
        assertArrayEquals(new int[] {6}, full.tokens());
    }

    @Test
    void rejectsBadPromptsBeforeOpeningASession() {
        FakeModel model = sumModel(8);
        Generator generator = new Generator(model);
        GenerationConfig config = greedy(3).build();
        InvalidInputException empty = assertThrows(InvalidInputException.class,
                () -> generator.generate(new int[0], config, TokenListener.NONE, new CancellationToken()));
        assertTrue(empty.getMessage().contains("empty"), empty.getMessage());
        InvalidInputException tooLong = assertThrows(InvalidInputException.class,
                () -> generator.generate(new int[9], config, TokenListener.NONE, new CancellationToken()));
        assertEquals("prompt has 9 tokens, more than the model's context of 8 (maxSequenceLength)",
                tooLong.getMessage());
        InvalidInputException outOfRange = assertThrows(InvalidInputException.class,
                () -> generator.generate(new int[] {1, 10}, config, TokenListener.NONE, new CancellationToken()));
        assertEquals("prompt token 1 is 10, outside the vocabulary [0, 10)", outOfRange.getMessage());
        assertThrows(InvalidInputException.class,
                () -> generator.generate(new int[] {-1}, config, TokenListener.NONE, new CancellationToken()));
        IllegalParameterException stops = assertThrows(IllegalParameterException.class,
                () -> generator.generate(new int[] {1}, greedy(3).stopStrings("x").build(), TokenListener.NONE,
                        new CancellationToken()));
        assertEquals("stopStrings", stops.parameter());
        assertEquals(0, model.sessions().size());
    }

    /** Logits that depend on the whole sequence, varied enough that sampling has real choices. */
    private static FakeModel noisyModel() {
        return new FakeModel(50, 512, seq -> {
            SplittableRandom r = new SplittableRandom(Arrays.hashCode(seq));
            float[] logits = new float[50];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) (r.nextGaussian() * 2);
            }
            return logits;
        });
    }

    @Test
    void seededSamplingIsReproducible() {
        Generator generator = new Generator(noisyModel());
        GenerationConfig config = GenerationConfig.builder().temperature(0.8f).topP(0.95f).topK(30)
                .repetitionPenalty(1.1f).maxNewTokens(40).seed(42).build();
        int[] prompt = {1, 2, 3};
        GenerationResult a = generator.generate(prompt, config, TokenListener.NONE, new CancellationToken());
        GenerationResult b = generator.generate(prompt, config, TokenListener.NONE, new CancellationToken());
        assertEquals(42, a.seed());
        assertArrayEquals(a.tokens(), b.tokens());
        assertEquals(40, a.tokens().length);
        GenerationResult other = generator.generate(prompt, config.toBuilder().seed(43).build(), TokenListener.NONE,
                new CancellationToken());
        assertFalse(Arrays.equals(a.tokens(), other.tokens()));
        GenerationResult greedy = generator.generate(prompt, greedy(40).build(), TokenListener.NONE,
                new CancellationToken());
        assertFalse(Arrays.equals(a.tokens(), greedy.tokens()), "sampling made no choice of its own");

        GenerationConfig fresh = GenerationConfig.builder().temperature(0.8f).topP(0.95f).maxNewTokens(40).build();
        GenerationResult drawn = generator.generate(prompt, fresh, TokenListener.NONE, new CancellationToken());
        GenerationResult replayed = generator.generate(prompt, fresh.toBuilder().seed(drawn.seed()).build(),
                TokenListener.NONE, new CancellationToken());
        assertArrayEquals(drawn.tokens(), replayed.tokens(), "the reported seed replays the generation");
    }

    @Test
    void theRepetitionPenaltyCountsEachDistinctTokenOnce() {
        // z = {2.0, 1.9, 1.8, 1.7}, θ = 1.1, prompt {3}:
        // step 1 {3}: 2.0 wins → 0; step 2 {3,0}: 2.0/1.1 = 1.818 < 1.9 → 1;
        // step 3 {3,0,1}: 1.818 > 1.8 > 1.727 → 0; step 4: 0 again (a second 0 is not penalised twice)
        GenerationResult r = new Generator(FakeModel.constant(2.0f, 1.9f, 1.8f, 1.7f)).generate(new int[] {3},
                greedy(4).repetitionPenalty(1.1f).build(), TokenListener.NONE, new CancellationToken());
        assertArrayEquals(new int[] {0, 1, 0, 0}, r.tokens());
    }

    @Test
    void processorsSeeTheWholeHistoryAndRunBeforeTheSampler() {
        List<int[]> seen = new ArrayList<>();
        GenerationConfig config = greedy(3).addProcessor((logits, history) -> {
            seen.add(history.toArray());
            logits[9] = 100f; // forces token 9
        }).build();
        GenerationResult r = new Generator(sumModel(64)).generate(new int[] {1, 2}, config, TokenListener.NONE,
                new CancellationToken());
        assertArrayEquals(new int[] {9, 9, 9}, r.tokens());
        assertEquals(3, seen.size());
        assertArrayEquals(new int[] {1, 2}, seen.get(0));
        assertArrayEquals(new int[] {1, 2, 9, 9}, seen.get(2));
    }

    @Test
    void aForceTokenHookWorksUnderTopP() {
        // z = {3, 0, 0, ...}: top-p 0.5 alone keeps only token 0. The hook runs before the filter (Hugging Face's
        // order), so the token it forces is the one the filter keeps; run after it, it would have raised a masked
        // token and the sampler would have had nothing but −∞ and 100 to choose from in a distribution it never saw.
        float[] logits = new float[V];
        logits[0] = 3f;
        List<Integer> promptLengths = new ArrayList<>();
        GenerationConfig config = GenerationConfig.builder().temperature(1f).topP(0.5f).maxNewTokens(4).seed(7)
                .addProcessor((z, history) -> {
                    promptLengths.add(history.promptLength());
                    assertTrue(Float.isFinite(z[42]), "the hook sees the whole distribution");
                    z[42] = 100f;
                }).build();
        GenerationResult r = new Generator(FakeModel.constant(logits)).generate(new int[] {1, 2, 3}, config,
                TokenListener.NONE, new CancellationToken());
        assertArrayEquals(new int[] {42, 42, 42, 42}, r.tokens());
        assertEquals(List.of(3, 3, 3, 3), promptLengths, "the history knows where the prompt ends");
    }

    @Test
    void aKeptSessionRunsOnlyWhatItDoesNotHold() {
        FakeModel model = sumModel(256);
        Generator generator = new Generator(model);
        GenerationConfig config = greedy(4).build();
        int[] first = {1, 2, 3, 4, 5};
        try (PrefixSession kept = new PrefixSession(model)) {
            GenerationResult a = generator.generate(kept, first, config, TokenListener.NONE, new CancellationToken());
            // the next turn: the first prompt, the answer, and more
            int[] second = concat(concat(first, a.tokens()), 7, 8);
            GenerationResult b = generator.generate(kept, second, config, TokenListener.NONE, new CancellationToken());
            GenerationResult fresh = generator.generate(second, config, TokenListener.NONE, new CancellationToken());
            assertArrayEquals(fresh.tokens(), b.tokens(), "the cache gives what a fresh session gives");
            // held after turn one: the prompt and all answer tokens but the last (sampled, never fed)
            assertEquals(first.length + a.tokens().length - 1, kept.reusedTokens());
            assertEquals(first.length + 3, kept.prefilledTokens());
            int[] sizes = model.sessions().get(0).appendSizes();
            assertEquals(3, sizes[a.tokens().length], "turn one appended the prompt, then one token per step but the"
                    + " last; turn two fed 3 tokens: " + Arrays.toString(
                    sizes));
            // a prompt that diverges early rewinds to where it diverges
            generator.generate(kept, new int[] {1, 9}, config, TokenListener.NONE, new CancellationToken());
            assertEquals(first.length + a.tokens().length - 1 + 1, kept.reusedTokens());
        }
        assertEquals(0, model.openSessions());
    }

    @Test
    void theListenerHearsTheEndAndTheFutureCompletes() throws Exception {
        List<String> events = new ArrayList<>();
        TokenListener listener = new TokenListener() {
            @Override
            public void onText(String text) {}

            @Override
            public void onComplete(GenerationResult result) {
                events.add("complete " + result.tokens().length);
            }

            @Override
            public void onError(RuntimeException error) {
                events.add("error " + error.getMessage());
            }
        };
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            GenerationResult r = new Generator(sumModel(64)).generateAsync(new int[] {1}, greedy(3).build(), listener,
                    new CancellationToken(), executor).get(10, TimeUnit.SECONDS);
            assertEquals(3, r.tokens().length);
            FakeModel failing = new FakeModel(4, 64, seq -> {
                throw new IllegalStateException("boom");
            });
            java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> new Generator(failing).generateAsync(new int[] {1}, greedy(3).build(), listener,
                            new CancellationToken(), executor).get(10, TimeUnit.SECONDS));
            assertEquals("boom", e.getCause().getMessage());
        } finally {
            executor.shutdown();
        }
        assertEquals(List.of("complete 3", "error boom"), events);
    }

    @Test
    void aHugeTokenLimitAllocatesOnlyWhatIsGenerated() {
        GenerationResult r = new Generator(sumModel(600)).generate(new int[] {1}, greedy(1_000_000_000).build(),
                TokenListener.NONE, new CancellationToken());
        assertEquals(FinishReason.CONTEXT_FULL, r.finishReason());
        assertEquals(600, r.tokens().length, "the context holds the prompt and 599 fed tokens; the last is not fed");
        assertEquals(600, r.timings().tokenMillis().length);
    }

    @Test
    void logprobsAreTheModelsDistributionWithTheTopAlternatives() {
        // z = {ln 1, ln 2, ln 3, ln 4} − 7: p = {0.1, 0.2, 0.3, 0.4} whatever the shift
        float[] z = {(float) Math.log(1) - 7, (float) Math.log(2) - 7, (float) Math.log(3) - 7, (float) Math.log(4) - 7};
        GenerationConfig config = greedy(2).repetitionPenalty(5f).logprobs(3).build();
        GenerationResult r = new Generator(FakeModel.constant(z)).generate(new int[] {0}, config, TokenListener.NONE,
                new CancellationToken());
        assertEquals(2, r.logprobs().size());
        TokenLogprob first = r.logprobs().get(0);
        assertEquals(3, first.token());
        assertEquals(Math.log(0.4), first.logprob(), 1e-6, "the model's, before the penalty changed the logits");
        assertEquals(List.of(3, 2, 1), first.top().stream().map(TokenLogprob.Alternative::token).toList());
        assertEquals(Math.log(0.2), first.top().get(2).logprob(), 1e-6);
        TokenLogprob second = r.logprobs().get(1); // the penalty on token 3 made 2 win
        assertEquals(2, second.token());
        assertEquals(Math.log(0.3), second.logprob(), 1e-6);
        assertEquals(List.of(), new Generator(FakeModel.constant(z)).generate(new int[] {0}, greedy(2).build(),
                TokenListener.NONE, new CancellationToken()).logprobs(), "only on request");
        assertThrows(IllegalParameterException.class, () -> greedy(1).logprobs(21).build());
    }

    @Test
    void theGeneratorTakesTheModelsTokenizer() {
        WordTokenizer words = new WordTokenizer("<s>", "the", "cat", "sat");
        FakeModel model = FakeModel.scripted(4, 64, 1, 3, 1, 2).withTokenizer(words);
        Generator generator = new Generator(model);
        assertEquals(words, generator.tokenizer().orElseThrow());
        assertEquals("the cat sat", generator.generate(new int[] {0}, greedy(3).build(), TokenListener.NONE,
                new CancellationToken()).text().replace("  ", " "));
        new Generator(model, new WordTokenizer("<s>", "the", "cat", "sat")); // the same vocabulary: accepted
    }

    @Test
    void aTokenizerOtherThanTheModelsIsRefused() {
        FakeModel model = FakeModel.constant(0f, 1f, 0f, 0f).withTokenizer(new WordTokenizer("<s>", "the", "cat",
                "sat"));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> new Generator(model, new WordTokenizer("<s>", "cat", "the", "sat")));
        assertTrue(e.getMessage().contains("not the one the model samples in"), e.getMessage());
    }

    @Test
    void decodesACombinedBaseAndValueModel() {
        FakeModel base = FakeModel.constant(0f, 2f, 1.5f);
        FakeModel value = FakeModel.constant(0f, 0f, 1f);
        // z = {0, 2, 1.5 + α}: token 2 wins iff α > 0.5
        for (float alpha : new float[] {0f, 0.4f, 0.6f, 1f}) {
            GenerationResult r = new Generator(ResidualCombiner.withAlpha(alpha).combine(base, value)).generate(
                    new int[] {0}, greedy(3).build(), TokenListener.NONE, new CancellationToken());
            int expected = alpha > 0.5f ? 2 : 1;
            assertArrayEquals(new int[] {expected, expected, expected}, r.tokens(), "alpha " + alpha);
        }
        assertEquals(0, base.openSessions() + value.openSessions());
    }

    @Test
    void theSessionIsClosedAfterAFailure() {
        FakeModel failing = new FakeModel(10, 64, seq -> {
            if (seq.length == 4) {
                throw new IllegalStateException("device lost");
            }
            return new float[10];
        });
        GenerationConfig config = greedy(10).build();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new Generator(failing).generate(
                new int[] {1, 2}, config, TokenListener.NONE, new CancellationToken()));
        assertEquals("device lost", e.getMessage());
        assertEquals(1, failing.sessions().size());
        assertEquals(0, failing.openSessions());

        FakeModel model = sumModel(64);
        InvalidInputException badSampler = assertThrows(InvalidInputException.class, () -> new Generator(model)
                .generate(new int[] {1}, GenerationConfig.builder().sampler((logits, random) -> 10).build(),
                        TokenListener.NONE, new CancellationToken()));
        assertEquals("sampler returned token 10, outside [0, 10)", badSampler.getMessage());
        TokenListener onToken = new TokenListener() {
            @Override
            public void onText(String text) {}

            @Override
            public void onToken(int tokenId) {
                throw new IllegalArgumentException("listener failed");
            }
        };
        assertThrows(IllegalArgumentException.class, () -> new Generator(model).generate(new int[] {1}, config,
                onToken, new CancellationToken()));
        assertEquals(2, model.sessions().size());
        assertEquals(0, model.openSessions());
    }

    @Test
    void generatorsAreIndependentAcrossThreads() throws Exception {
        Generator generator = new Generator(noisyModel());
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(30).seed(7).topP(0.9f).build();
        int[] expected = generator.generate(new int[] {4}, config, TokenListener.NONE, new CancellationToken())
                .tokens();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<GenerationResult>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                futures.add(pool.submit(() -> generator.generate(new int[] {4}, config, TokenListener.NONE,
                        new CancellationToken())));
            }
            for (Future<GenerationResult> f : futures) {
                assertArrayEquals(expected, f.get(10, TimeUnit.SECONDS).tokens());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
