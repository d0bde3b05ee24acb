package dev.ivl.core.fakes;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.text.TextTokenizer;
import java.util.List;
import java.util.stream.Collectors;

/** A tokenizer for tests whose tokens are whole words: id i is {@code words.get(i)}; text is words and spaces. */
public final class WordTokenizer implements TextTokenizer {
    private final List<String> words;

    /** @param words the vocabulary, in id order */
    public WordTokenizer(String... words) {
        this.words = List.of(words);
    }

    @Override
    public int vocabSize() {
        return words.size();
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        return java.util.Arrays.stream(text.trim().split(" +")).mapToInt(w -> {
            int id = words.indexOf(w);
            if (id < 0) {
                throw new InvalidInputException("no token " + w);
            }
            return id;
        }).toArray();
    }

    @Override
    public String decode(int[] ids) {
        return java.util.Arrays.stream(ids).mapToObj(words::get).collect(Collectors.joining(" "));
    }

    @Override
    public String tokenString(int id) {
        return words.get(id);
    }
}
