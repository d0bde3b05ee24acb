package dev.ivl.djl.tokenizer;

import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.InvalidInputException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Builds a small word-level vocabulary from a corpus, for toy models whose embeddings should not dwarf the rest:
 * every word the corpus uses at least {@link #minCount} times becomes a token, up to {@link #maxVocabSize} tokens
 * in all. {@link WordVocabulary#writeTo} then writes it as a {@code tokenizer.json} that {@link HfTokenizer#load}
 * reads, so training, chat templates, decoding and vocabulary alignment work on it unchanged.
 *
 * <p>A word is a piece of text as the written pre-tokenizer cuts it: the space before a word belongs to it
 * ({@code ▁word}, sentencepiece's spelling), each punctuation character, tab and line break is a word of its own
 * ({@code Orlun.} is {@code ▁Orlun} and {@code .}), and the word after a tab or line break is spelled as after a
 * space. So a text whose words are all in the vocabulary decodes to itself exactly, every space and punctuation
 * mark in place, but for a space at its very start (dropped, as by sentencepiece); a word that is not in it encodes
 * as {@code <unk>}, which decoding leaves out. Words are whole: there are no sub-word pieces.
 *
 * <p>The tokens, in id order: {@code <unk>} (0), {@code <s>} (1, added first when special tokens are requested),
 * {@code </s>} (2), Llama-2's chat markers {@code [INST]}, {@code [/INST]}, {@code <<SYS>>}, {@code <</SYS>>}
 * (3 to 6) and any {@link #additionalSpecialTokens}; then the words by count, most frequent first, ties in string
 * order. Whatever the limits, the words include the lone {@code ▁} (the space before an added token such as
 * {@code [/INST]}) and every character of the corpus as a one-character word ({@code ▁a}, {@code ▁b}, ...,
 * {@code .}): a few dozen tokens for an alphabetic corpus, which let single letters and the vocabulary probes of
 * {@link dev.ivl.core.vocab.TokenizerProfile} encode.
 *
 * <p>Not thread-safe; {@link #build} may be called more than once.
 */
public final class WordTokenizerBuilder {
    private int maxVocabSize = Integer.MAX_VALUE;
    private int minCount = 1;
    private List<String> additionalSpecialTokens = List.of();

    /** A builder with no size limit, a minimum count of 1 and no additional special tokens. */
    public WordTokenizerBuilder() {}

    /**
     * @param value the most tokens in all, special tokens included (the model's embedding rows)
     * @return this
     * @throws IllegalParameterException if the value is below 1
     */
    public WordTokenizerBuilder maxVocabSize(int value) {
        if (value < 1) {
            throw new IllegalParameterException("maxVocabSize", value, "must be at least 1");
        }
        maxVocabSize = value;
        return this;
    }

    /**
     * @param value how many times a word must occur in the corpus to become a token
     * @return this
     * @throws IllegalParameterException if the value is below 1
     */
    public WordTokenizerBuilder minCount(int value) {
        if (value < 1) {
            throw new IllegalParameterException("minCount", value, "must be at least 1");
        }
        minCount = value;
        return this;
    }

    /**
     * @param tokens special tokens to add after Llama-2's seven (e.g. {@code <pad>}); they are matched in raw text
     *     before words are split, and left out when decoding
     * @return this
     * @throws IllegalParameterException if a token is empty or blank, or one of the seven, or listed twice
     */
    public WordTokenizerBuilder additionalSpecialTokens(List<String> tokens) {
        Set<String> seen = new LinkedHashSet<>(llama2SpecialTokens());
        for (String token : tokens) {
            if (token.isBlank()) {
                throw new IllegalParameterException("additionalSpecialTokens", "\"" + token + "\"",
                        "must hold no empty or blank token");
            }
            if (!seen.add(token)) {
                throw new IllegalParameterException("additionalSpecialTokens", token,
                        "must not repeat a token or one of " + llama2SpecialTokens());
            }
        }
        additionalSpecialTokens = List.copyOf(tokens);
        return this;
    }

    /**
     * Counts the words of the corpus and chooses the vocabulary.
     *
     * @param texts the corpus, each text as the model will see it; special tokens in it are cut out, as the
     *     tokenizer will, and not counted
     * @return the vocabulary
     * @throws InvalidInputException if the corpus has no words, or a text holds an unpaired surrogate (it has no
     *     UTF-8 encoding)
     * @throws IllegalParameterException if {@link #maxVocabSize} leaves no room for the special tokens and the
     *     words that are always included; the message says how many that is
     */
    public WordVocabulary build(List<String> texts) {
        List<String> specials = new ArrayList<>(llama2SpecialTokens());
        specials.addAll(additionalSpecialTokens);
        Map<String, Long> counts = new HashMap<>();
        Set<Integer> characters = new TreeSet<>();
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            checkWellFormed(text, i);
            for (String segment : WordSplitter.segments(text, specials)) {
                for (String piece : WordSplitter.pieces(segment)) {
                    counts.merge(piece, 1L, Long::sum);
                }
                segment.codePoints().filter(c -> c != ' ').forEach(characters::add);
            }
        }
        if (counts.isEmpty()) {
            throw new InvalidInputException("the corpus of " + texts.size() + " texts has no words: a vocabulary"
                    + " needs text to count");
        }
        Set<String> always = new TreeSet<>();
        always.add(String.valueOf(WordSplitter.MARKER));
        for (int c : characters) {
            always.addAll(WordSplitter.pieces(Character.toString(c)));
        }
        always.removeAll(specials);
        long room = (long) maxVocabSize - specials.size() - always.size();
        if (room < 0) {
            throw new IllegalParameterException("maxVocabSize", maxVocabSize, "must be at least "
                    + (specials.size() + always.size()) + " for this corpus: " + specials.size()
                    + " special tokens and " + always.size() + " words always included (the lone "
                    + WordSplitter.MARKER + " and the corpus's characters)");
        }
        Set<String> candidates = new TreeSet<>(always);
        counts.forEach((word, count) -> {
            if (count >= minCount && !specials.contains(word)) {
                candidates.add(word);
            }
        });
        List<String> ranked = new ArrayList<>(candidates);
        ranked.sort(Comparator.<String>comparingLong(word -> counts.getOrDefault(word, 0L)).reversed()
                .thenComparing(Comparator.naturalOrder()));
        List<String> words = new ArrayList<>();
        for (String word : ranked) {
            if (always.contains(word)) {
                words.add(word);
            } else if (room > 0) {
                words.add(word);
                room--;
            }
        }
        return new WordVocabulary(specials, words);
    }

    private static List<String> llama2SpecialTokens() {
        List<String> tokens = new ArrayList<>(List.of(WordVocabulary.UNK, WordVocabulary.BOS, WordVocabulary.EOS));
        tokens.addAll(WordVocabulary.LLAMA2_CHAT_MARKERS);
        return tokens;
    }

    private static void checkWellFormed(String text, int index) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidInputException("texts[" + index + "] has an unpaired surrogate U+"
                        + Integer.toHexString(c).toUpperCase() + " at index " + i + ": it cannot be encoded as UTF-8");
            }
        }
    }
}
