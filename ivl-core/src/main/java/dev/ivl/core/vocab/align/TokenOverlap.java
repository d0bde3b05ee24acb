package dev.ivl.core.vocab.align;

import dev.ivl.core.vocab.TokenMap;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.text.TextTokenizer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The paper's overlap metric of a token map: encode a text with the base tokenizer, map each token through W to its
 * {@linkplain TokenMap#top top} value token, and count how many of the value tokenizer's own tokens for the same
 * text (the golden tokens) are recovered, as multisets: a golden token that occurs n times is recovered
 * min(n, times it was mapped to) times. Texts are encoded without special tokens.
 *
 * @param recovered golden tokens recovered, over all texts
 * @param total golden tokens, over all texts
 */
public record TokenOverlap(long recovered, long total) {
    /** @return recovered / total; 0 for no golden tokens */
    public double fraction() {
        return total == 0 ? 0 : (double) recovered / total;
    }

    /**
     * @param map the map W, rows in the base vocabulary
     * @param base the base tokenizer (the source)
     * @param value the value tokenizer (the target)
     * @param texts held-out texts, not the ones the map was built from
     * @return the overlap over all texts
     * @throws InvalidInputException if the map does not fit the tokenizers' sizes
     */
    public static TokenOverlap measure(TokenMap map, TextTokenizer base, TextTokenizer value, List<String> texts) {
        if (map.rows() != base.vocabSize() || map.columns() != value.vocabSize()) {
            throw new InvalidInputException("the token map is " + map.rows() + " x " + map.columns()
                    + " but the tokenizers have " + base.vocabSize() + " and " + value.vocabSize() + " tokens");
        }
        long recovered = 0;
        long total = 0;
        Map<Integer, Integer> mapped = new HashMap<>();
        for (String text : texts) {
            mapped.clear();
            for (int id : base.encode(text, false)) {
                int v = map.top(id);
                if (v >= 0) {
                    mapped.merge(v, 1, Integer::sum);
                }
            }
            for (int golden : value.encode(text, false)) {
                total++;
                Integer left = mapped.get(golden);
                if (left != null && left > 0) {
                    recovered++;
                    mapped.put(golden, left - 1);
                }
            }
        }
        return new TokenOverlap(recovered, total);
    }
}
