package dev.ivl.djl.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.text.IncrementalDecoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** HfTokenizer on the shipped Llama-2 (sentencepiece BPE with byte fallback) and GPT-2 (byte-level BPE) fixtures. */
class HfTokenizerTest {
    private static HfTokenizer llama;
    private static HfTokenizer gpt2;

    @BeforeAll
    static void load() {
        llama = HfTokenizer.load(TestFiles.fixture("llama2-tokenizer.json"));
        gpt2 = HfTokenizer.load(TestFiles.fixture("gpt2-tokenizer.json"));
    }

    @AfterAll
    static void close() {
        llama.close();
        gpt2.close();
    }

    @Test
    void vocabularySizesIncludeAddedTokens() {
        assertEquals(32000, llama.vocabSize());
        assertEquals(50257, gpt2.vocabSize());
    }

    @Test
    void llamaAddsBosAndGpt2AddsNothing() {
        // Well-known ids: Llama "▁Hello" 15043, "▁world" 3186; GPT-2 "Hello" 15496, "Ġworld" 995.
        assertArrayEquals(new int[] {1, 15043, 3186}, llama.encode("Hello world"));
        assertArrayEquals(new int[] {15043, 3186}, llama.encode("Hello world", false));
        assertArrayEquals(new int[] {15496, 995}, gpt2.encode("Hello world"));
        assertArrayEquals(new int[] {15496, 995}, gpt2.encode("Hello world", false));
        assertArrayEquals(new int[] {1}, llama.encode(""));
        assertArrayEquals(new int[0], gpt2.encode(""));
    }

    @Test
    void specialTokensFromTheTokenizerJsonAlone() {
        assertEquals(OptionalInt.of(1), llama.bosTokenId());
        assertArrayEquals(new int[] {2}, llama.eosTokenIds());
        assertEquals(OptionalInt.empty(), gpt2.bosTokenId());
        assertArrayEquals(new int[] {50256}, gpt2.eosTokenIds());
    }

    @Test
    void tokenStringsAndIdsAsTheVocabularySpellsThem() {
        assertEquals("▁Hello", llama.tokenString(15043));
        assertEquals("<0xE2>", llama.tokenString(229));
        assertEquals("</s>", llama.tokenString(2));
        assertEquals(OptionalInt.of(229), llama.id("<0xE2>"));
        assertEquals("Ġworld", gpt2.tokenString(995));
        assertEquals("<|endoftext|>", gpt2.tokenString(50256));
        assertEquals(OptionalInt.of(995), gpt2.id("Ġworld"));
        assertEquals(OptionalInt.empty(), gpt2.id("no such token"));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> llama.tokenString(32000));
        assertTrue(e.getMessage().contains("32000") && e.getMessage().contains("31999"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> gpt2.tokenString(-1));
    }

    @Test
    void longTextIsNotTruncated() {
        String text = "word ".repeat(2000);
        int[] ids = llama.encode(text);
        // <s>, "▁word" 2000 times, then "▁" for the trailing space.
        assertEquals(2002, ids.length);
        assertEquals(text, llama.decode(ids));
        assertEquals(text, gpt2.decode(gpt2.encode(text)));
    }

    @Test
    void decodeLeavesOutSpecialTokens() {
        assertEquals("Hello world", llama.decode(new int[] {1, 15043, 3186, 2}));
        assertEquals("Hello world", gpt2.decode(new int[] {15496, 995, 50256}));
    }

    @Test
    void decodeRejectsIdsOutsideTheVocabulary() {
        // The native library silently drops such ids; HfTokenizer refuses them.
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> llama.decode(new int[] {15043, 32000}));
        assertTrue(e.getMessage().contains("ids[1] = 32000"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> gpt2.decode(new int[] {-5}));
    }

    @Test
    void unpairedSurrogateIsRejected() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> llama.encode("ab\uD800c"));
        assertTrue(e.getMessage().contains("index 2"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> gpt2.encode("x\uDC00"));
        assertArrayEquals(gpt2.encode("🦙"), gpt2.encode("\uD83E\uDD99"));
    }

    @Test
    void byteFallbackCharacterStreamsWhole() {
        int[] euroBytes = {229, 133, 175}; // <0xE2> <0x82> <0xAC>: the UTF-8 bytes of "€"
        assertEquals("<0x82>", llama.tokenString(133));
        assertEquals("<0xAC>", llama.tokenString(175));
        assertEquals("€", llama.decode(euroBytes));
        // What the native decoder does with a cut-off character: one U+FFFD per stray byte, at the end.
        assertEquals("\uFFFD", llama.decode(new int[] {229}));
        assertEquals("\uFFFD\uFFFD", llama.decode(new int[] {229, 133}));
        IncrementalDecoder decoder = llama.newDecoder();
        assertEquals("", decoder.push(229));
        assertEquals("", decoder.push(133));
        assertEquals("€", decoder.push(175));
        assertEquals("", decoder.flush());
    }

    @Test
    void byteLevelCharacterSplitOverTokensStreamsWhole() {
        String text = "llama 🦙 costs 5€, naïve 日本語";
        int[] ids = gpt2.encode(text);
        boolean cutCharacterSeen = false;
        for (int end = 1; end <= ids.length; end++) {
            cutCharacterSeen |= gpt2.decode(Arrays.copyOf(ids, end)).endsWith("\uFFFD");
        }
        assertTrue(cutCharacterSeen, "the text should split a character over GPT-2 tokens");
        assertEquals(text, streamed(gpt2, ids));
        assertEquals(text, streamed(llama, llama.encode(text)));
    }

    @Test
    void checkCompatibleAllowsPaddedModelVocabularies() {
        llama.checkCompatible(32000);
        llama.checkCompatible(32064);
        gpt2.checkCompatible(50304);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> llama.checkCompatible(31999));
        assertTrue(e.getMessage().contains("32000") && e.getMessage().contains("31999"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> gpt2.checkCompatible(32000));
    }

    @Test
    void concurrentEncodingGivesTheSameIdsAsSequential() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            texts.add("Line " + i + ": the quick brown fox 🦊 jumps over " + "lazy dog ".repeat(i % 17) + "€" + i);
        }
        List<int[]> expected = new ArrayList<>();
        for (String text : texts) {
            expected.add(llama.encode(text));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int worker = 0; worker < 4; worker++) {
                int offset = worker * 97;
                results.add(pool.submit(() -> {
                    int mismatches = 0;
                    for (int round = 0; round < 3; round++) {
                        for (int k = 0; k < texts.size(); k++) {
                            int i = (k + offset) % texts.size();
                            int[] ids = llama.encode(texts.get(i));
                            if (!Arrays.equals(expected.get(i), ids) || !llama.decode(ids).equals(texts.get(i))) {
                                mismatches++;
                            }
                        }
                    }
                    return mismatches;
                }));
            }
            for (Future<Integer> result : results) {
                assertEquals(0, result.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closeIsIdempotentAndLaterCallsFail() {
        HfTokenizer tokenizer = HfTokenizer.load(TestFiles.fixture("gpt2-tokenizer.json"));
        assertArrayEquals(new int[] {15496}, tokenizer.encode("Hello"));
        tokenizer.close();
        tokenizer.close();
        assertThrows(IllegalStateException.class, () -> tokenizer.encode("Hello"));
        assertThrows(IllegalStateException.class, () -> tokenizer.decode(new int[] {15496}));
        assertEquals("Ġworld", tokenizer.tokenString(995));
    }

    /** Decodes ids one at a time, checking that no piece holds a partial character. */
    static String streamed(HfTokenizer tokenizer, int[] ids) {
        IncrementalDecoder decoder = tokenizer.newDecoder();
        StringBuilder text = new StringBuilder();
        for (int id : ids) {
            String piece = decoder.push(id);
            assertFalse(piece.contains("\uFFFD"), () -> "piece with U+FFFD after id " + id);
            text.append(piece);
        }
        return text.append(decoder.flush()).toString();
    }
}
