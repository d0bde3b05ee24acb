package dev.ivl.djl.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.vocab.TokenMap;
import dev.ivl.core.vocab.TokenizerProfile;
import dev.ivl.core.vocab.align.Normalization;
import dev.ivl.core.vocab.align.PairCounts;
import dev.ivl.core.vocab.align.TokenOverlap;
import dev.ivl.core.vocab.align.VocabularyAligner;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Word-level vocabularies built from the Book of Genesis (the toy experiment's corpus), written as tokenizer.json
 * and run by the tokenizers library through {@link HfTokenizer}.
 */
class WordTokenizerBuilderTest {
    /** Texts beside the verses that exercise spacing, punctuation, line breaks and characters beyond ASCII. */
    static final List<String> EXTRA = List.of("Orlun went home. Orlun?!", "two  spaces, and a trailing space ",
            "(parenthesis) first...", "line one\nline two\r\n\tand a tab", "“curly quotes” — a dash, café, 🦙");

    @TempDir
    static Path tmp;
    static List<String> genesis;
    static List<String> corpus;
    static WordVocabulary vocabulary;
    static HfTokenizer tokenizer;

    @BeforeAll
    static void build() throws IOException {
        genesis = genesis();
        corpus = new ArrayList<>(genesis);
        corpus.addAll(EXTRA);
        vocabulary = new WordTokenizerBuilder().build(corpus);
        vocabulary.writeTo(tmp.resolve("full"));
        tokenizer = HfTokenizer.load(tmp.resolve("full"));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void genesisIsTheShippedCorpus() {
        assertEquals(1533, genesis.size());
        assertEquals("Genesis 1:1 In the beginning God created the heaven and the earth.", genesis.get(0));
    }

    @Test
    void everyTextOfTheCorpusDecodesToItselfAndIsCutAsTheJavaSplitterCutsIt() {
        for (String text : corpus) {
            int[] ids = tokenizer.encode(text, false);
            assertEquals(WordSplitter.pieces(text), tokenStrings(ids), text);
            assertFalse(Arrays.stream(ids).anyMatch(id -> id == 0), "no <unk> in " + text);
            assertEquals(text, tokenizer.decode(ids));
        }
        assertEquals(List.of("▁Orlun", "▁went", "▁home", ".", "▁Orlun", "?", "!"),
                tokenStrings(tokenizer.encode("Orlun went home. Orlun?!", false)));
        assertEquals(List.of("▁line", "▁one", "\n", "▁line", "▁two", "\r", "▁", "\n", "▁", "\t", "▁and", "▁a", "▁tab"),
                tokenStrings(tokenizer.encode("line one\nline two\r\n\tand a tab", false)),
                "a line break or tab is a token of its own, and the word after it is spelled as after a space");
    }

    @Test
    void spacesAtTheStartOfATextAreTheOnlyOnesLost() {
        assertEquals("God", tokenizer.decode(tokenizer.encode(" God", false)));
        assertEquals(" God", tokenizer.decode(tokenizer.encode("  God", false)));
        assertEquals("God  said ", tokenizer.decode(tokenizer.encode("God  said ", false)));
        assertEquals("\nGod", tokenizer.decode(tokenizer.encode("\nGod", false)));
    }

    @Test
    void unknownWordsEncodeAsUnk() {
        int[] ids = tokenizer.encode("And Zorblax said unto Qwerty.", false);
        assertEquals(List.of("▁And", "<unk>", "▁said", "▁unto", "<unk>", "."), tokenStrings(ids));
        assertEquals(0, ids[1]);
        assertEquals("And said unto.", tokenizer.decode(ids), "<unk> is special: decoding leaves it out");
        assertEquals(List.of("▁God", "<unk>"), tokenStrings(tokenizer.encode("God godly", false)),
                "words are whole: no sub-word pieces");
    }

    @Test
    void bosIsAddedWithSpecialTokensOnly() {
        assertEquals(OptionalInt.of(1), tokenizer.bosTokenId());
        assertArrayEquals(new int[] {2}, tokenizer.eosTokenIds());
        int[] plain = tokenizer.encode("And God said", false);
        int[] special = tokenizer.encode("And God said", true);
        assertEquals(1, special[0]);
        assertArrayEquals(plain, Arrays.copyOfRange(special, 1, special.length));
        assertFalse(Arrays.stream(plain).anyMatch(id -> id == 1));
        assertArrayEquals(new int[] {1}, tokenizer.encode("", true));
        assertArrayEquals(new int[0], tokenizer.encode("", false));
    }

    @Test
    void theLlama2ChatFormatEncodesItsMarkersAsSingleSpecialIds() {
        String prompt = ChatTemplate.llama2().render(List.of(ChatMessage.user("And God said"),
                ChatMessage.assistant("Let there be light.")), false);
        assertEquals("<s>[INST] And God said [/INST] Let there be light. </s>", prompt);
        int[] ids = tokenizer.encode(prompt, false);
        assertEquals(List.of("<s>", "[INST]", "▁And", "▁God", "▁said", "▁", "[/INST]", "▁Let", "▁there", "▁be",
                "▁light", ".", "▁", "</s>"), tokenStrings(ids));
        assertEquals(List.of(1, 3), List.of(ids[0], ids[1]));
        assertEquals(List.of(4, 2), List.of(ids[6], ids[13]));
        assertEquals("And God said  Let there be light. ", tokenizer.decode(ids), "markers are left out");

        String withSystem = ChatTemplate.llama2().render(List.of(ChatMessage.system("The LORD God"),
                ChatMessage.user("And God said")), true);
        List<String> strings = tokenStrings(tokenizer.encode(withSystem, false));
        assertEquals(List.of("<s>", "[INST]", "▁", "<<SYS>>", "▁", "\n", "▁The", "▁LORD", "▁God", "\n", "▁",
                "<</SYS>>", "▁", "\n", "▁", "\n", "▁And", "▁God", "▁said", "▁", "[/INST]"), strings);
    }

    @Test
    void idsAreSpecialTokensThenWordsByCountThenString() {
        List<String> specials = List.of("<unk>", "<s>", "</s>", "[INST]", "[/INST]", "<<SYS>>", "<</SYS>>");
        for (int id = 0; id < specials.size(); id++) {
            assertEquals(specials.get(id), tokenizer.tokenString(id));
        }
        assertEquals(vocabulary.size(), tokenizer.vocabSize());
        List<String> tokens = vocabulary.tokens();
        for (int id = 0; id < tokens.size(); id++) {
            assertEquals(tokens.get(id), tokenizer.tokenString(id), "id " + id);
        }
        assertEquals(List.of("▁God"), tokenStrings(tokenizer.encode("God", false)));

        // ▁b 3, ▁a 2, "." 1, ▁c 1; the lone ▁ (0) is always a token; "." sorts before "▁c"
        WordVocabulary tiny = new WordTokenizerBuilder().build(List.of("b a b.", "a b c"));
        assertEquals(specials, tiny.specialTokens());
        assertEquals(List.of("▁b", "▁a", ".", "▁c", "▁"), tiny.words());
        assertEquals(tiny, new WordTokenizerBuilder().build(List.of("b a b.", "a b c")), "deterministic");
        assertEquals(tiny.tokenizerJson(), new WordTokenizerBuilder().build(List.of("b a b.", "a b c"))
                .tokenizerJson());
    }

    @Test
    void minCountAndMaxVocabSizeLimitTheWordsButKeepEveryCharacter() {
        Map<String, Long> counts = new HashMap<>();
        genesis.forEach(text -> WordSplitter.pieces(text).forEach(piece -> counts.merge(piece, 1L, Long::sum)));
        List<String> characters = genesis.stream().flatMapToInt(String::codePoints).filter(c -> c != ' ').distinct()
                .mapToObj(c -> WordSplitter.pieces(Character.toString(c))).flatMap(List::stream).distinct().toList();

        WordVocabulary all = new WordTokenizerBuilder().build(genesis);
        WordVocabulary frequent = new WordTokenizerBuilder().minCount(5).build(genesis);
        for (String word : counts.keySet()) {
            assertTrue(all.words().contains(word), word);
            assertEquals(counts.get(word) >= 5 || characters.contains(word), frequent.words().contains(word), word);
        }
        assertTrue(frequent.size() < all.size() / 2, frequent.size() + " of " + all.size());

        WordVocabulary small = new WordTokenizerBuilder().maxVocabSize(300).build(genesis);
        assertEquals(300, small.size());
        assertTrue(small.words().containsAll(characters), "every character stays a word");
        List<String> longer = small.words().stream().filter(w -> !characters.contains(w)).toList();
        List<String> topOfAll = all.words().stream().filter(w -> !characters.contains(w)).limit(longer.size())
                .toList();
        assertEquals(topOfAll, longer, "the most frequent words, in the same order");
    }

    @Test
    void theProfileIsSentencepieceStyle() {
        // the probe encodes "a b"; Genesis has no word "b", but ▁b is a token as a character of the corpus
        assertEquals(List.of("▁a", "▁b"), tokenStrings(tokenizer.encode("a b", false)));
        assertEquals(new TokenizerProfile("▁", false, true), TokenizerProfile.detect(tokenizer));
    }

    @Test
    void twoWordVocabulariesOfDifferentSizesAlign() {
        List<String> training = genesis.subList(0, 1200);
        List<String> heldOut = genesis.subList(1200, genesis.size());
        new WordTokenizerBuilder().maxVocabSize(600).build(training).writeTo(tmp.resolve("small"));
        new WordTokenizerBuilder().build(training).writeTo(tmp.resolve("large"));
        try (HfTokenizer small = HfTokenizer.load(tmp.resolve("small"));
                HfTokenizer large = HfTokenizer.load(tmp.resolve("large"))) {
            for (HfTokenizer[] pair : new HfTokenizer[][] {{large, small}, {small, large}}) {
                HfTokenizer base = pair[0];
                HfTokenizer value = pair[1];
                VocabularyAligner aligner = new VocabularyAligner(base, value);
                PairCounts counts = aligner.count(training, 2, null);
                TokenMap map = aligner.map(counts, new Normalization.ProbTopK(4));
                for (int id = 0; id < base.vocabSize(); id++) {
                    OptionalInt same = value.id(base.tokenString(id));
                    if (same.isPresent() && id != 0) {
                        assertEquals(same.getAsInt(), map.top(id), "a shared token maps to itself: "
                                + base.tokenString(id));
                    }
                }
                double overlap = TokenOverlap.measure(map, base, value, heldOut).fraction();
                // every held-out token the base knows is recovered, up to 1 %: 0.85 from 600 tokens to 2436, and
                // 0.9996 back; the 600 tokens leave 15 % of the held-out words <unk>, the 2436 7 %
                double known = 1 - unkShare(base, heldOut);
                assertTrue(overlap >= known - 0.01,
                        base + " -> " + value + ": overlap " + overlap + ", known " + known);
                assertTrue(overlap >= (base == large ? 0.99 : 0.8), base + " -> " + value + ": overlap " + overlap);
            }
        }
    }

    @Test
    void additionalSpecialTokensFollowLlama2s() {
        WordVocabulary padded = new WordTokenizerBuilder().additionalSpecialTokens(List.of("<pad>"))
                .build(List.of("God said<pad>"));
        assertEquals("<pad>", padded.tokens().get(7));
        assertTrue(padded.words().contains("▁said"));
        assertFalse(padded.words().contains("<"), "a special token in the corpus is not split into words");
        padded.writeTo(tmp.resolve("padded"));
        try (HfTokenizer t = HfTokenizer.load(tmp.resolve("padded"))) {
            assertEquals(List.of("▁God", "<pad>", "▁said"), tokenStrings(t, t.encode("God<pad> said", false)));
            assertEquals("God said", t.decode(t.encode("God<pad> said", false)));
        }
    }

    @Test
    void theConfigFileNamesTheSpecialTokensAndTurnsOffSpaceCleanUp() throws IOException {
        JsonObject config = JsonParser.parseString(
                Files.readString(tmp.resolve("full").resolve(WordVocabulary.CONFIG_FILE_NAME))).getAsJsonObject();
        assertEquals("<s>", config.get("bos_token").getAsString());
        assertEquals("</s>", config.get("eos_token").getAsString());
        assertEquals("<unk>", config.get("unk_token").getAsString());
        assertEquals("[\"[INST]\",\"[/INST]\",\"<<SYS>>\",\"<</SYS>>\"]",
                config.get("additional_special_tokens").toString());
        assertFalse(config.get("clean_up_tokenization_spaces").getAsBoolean());
        JsonObject json = JsonParser.parseString(Files.readString(tmp.resolve("full").resolve(HfTokenizer.FILE_NAME)))
                .getAsJsonObject();
        assertEquals("WordLevel", json.getAsJsonObject("model").get("type").getAsString());
        assertEquals("<unk>", json.getAsJsonObject("model").get("unk_token").getAsString());
    }

    @Test
    void defectsAreNamed() {
        IllegalParameterException tooSmall = assertThrows(IllegalParameterException.class,
                () -> new WordTokenizerBuilder().maxVocabSize(10).build(List.of("b a b.", "a b c")));
        assertEquals("maxVocabSize must be at least 12 for this corpus: 7 special tokens and 5 words always included"
                + " (the lone ▁ and the corpus's characters), got 10", tooSmall.getMessage());
        assertThrows(IllegalParameterException.class, () -> new WordTokenizerBuilder().minCount(0));
        assertThrows(IllegalParameterException.class, () -> new WordTokenizerBuilder().maxVocabSize(0));
        assertThrows(IllegalParameterException.class,
                () -> new WordTokenizerBuilder().additionalSpecialTokens(List.of("[INST]")));
        assertThrows(IllegalParameterException.class,
                () -> new WordTokenizerBuilder().additionalSpecialTokens(List.of(" ")));
        assertThrows(IllegalParameterException.class,
                () -> new WordVocabulary(List.of("<s>", "<unk>", "</s>"), List.of("▁a")));
        assertThrows(IllegalParameterException.class,
                () -> new WordVocabulary(List.of("<unk>", "<s>", "</s>"), List.of("▁a", "▁a")));
        InvalidInputException empty = assertThrows(InvalidInputException.class,
                () -> new WordTokenizerBuilder().build(List.of("", "")));
        assertEquals("the corpus of 2 texts has no words: a vocabulary needs text to count", empty.getMessage());
        InvalidInputException surrogate = assertThrows(InvalidInputException.class,
                () -> new WordTokenizerBuilder().build(List.of("ok", "bad \uD800 text")));
        assertEquals("texts[1] has an unpaired surrogate U+D800 at index 4: it cannot be encoded as UTF-8",
                surrogate.getMessage());
    }

    @Test
    void theJavaSplitterCutsAsTheLibraryForEveryCharacter() {
        assertEquals(List.of(), WordSplitter.pieces(""));
        assertEquals(List.of("▁", "▁a", "▁", "▁b", "▁"), WordSplitter.pieces("  a  b "));
        assertEquals(List.of("▁", "(", "a", ")", "?", "!"), WordSplitter.pieces("(a)?!"));
        assertEquals(List.of("▁", "«", "x", "»", "—", "y", "$", "+"), WordSplitter.pieces("«x»—y$+"),
                "Unicode punctuation, and ASCII symbols the library counts as punctuation");
        // x?y is one piece (one id, <unk>) unless ? is cut out (three ids): the count shows the library's decision
        List<String> differ = new ArrayList<>();
        for (int c = 0x21; c <= Character.MAX_CODE_POINT; c++) {
            if (Character.getType(c) != Character.SURROGATE && Character.getType(c) != Character.UNASSIGNED) {
                String text = "x" + Character.toString(c) + "y";
                if (WordSplitter.pieces(text).size() != tokenizer.encode(text, false).length) {
                    differ.add(String.format("U+%04X", c));
                }
            }
        }
        assertEquals(List.of(), differ);
    }

    /** @return the share of the texts' tokens that are {@code <unk>} */
    private static double unkShare(HfTokenizer t, List<String> texts) {
        long unk = 0;
        long all = 0;
        for (String text : texts) {
            for (int id : t.encode(text, false)) {
                unk += id == 0 ? 1 : 0;
                all++;
            }
        }
        return (double) unk / all;
    }

    private static List<String> tokenStrings(int[] ids) {
        return tokenStrings(tokenizer, ids);
    }

    private static List<String> tokenStrings(HfTokenizer t, int[] ids) {
        return Arrays.stream(ids).mapToObj(t::tokenString).collect(Collectors.toList());
    }

    /** @return the verses of the shipped Genesis text, each as the experiment pre-trains on it: "Genesis 1:1 In ..." */
    static List<String> genesis() throws IOException {
        Pattern heading = Pattern.compile("Genesis (\\d+)");
        Pattern verseStart = Pattern.compile("\\s+(\\d+) (.*)");
        List<String> verses = new ArrayList<>();
        String chapter = null;
        StringBuilder verse = null;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(new GZIPInputStream(
                Files.newInputStream(TestFiles.corpus("kjv-genesis.txt.gz"))), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                Matcher h = heading.matcher(line);
                Matcher v = verseStart.matcher(line);
                if (line.isBlank()) {
                    continue;
                }
                if (h.matches() || v.matches()) {
                    if (verse != null) {
                        verses.add(verse.toString());
                    }
                    verse = null;
                }
                if (h.matches()) {
                    chapter = h.group(1);
                } else if (v.matches()) {
                    verse = new StringBuilder("Genesis " + chapter + ":" + v.group(1) + " " + v.group(2).strip());
                } else {
                    verse.append(' ').append(line.strip());
                }
            }
        }
        verses.add(verse.toString());
        return verses;
    }
}
