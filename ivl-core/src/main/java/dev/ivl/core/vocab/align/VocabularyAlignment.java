package dev.ivl.core.vocab.align;

import dev.ivl.core.vocab.TokenMap;
import dev.ivl.core.vocab.TokenizerProfile;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A token alignment as saved in a map file: the two tokenizers it was built for, the corpus, the pair counts, and
 * the token maps normalised from them, one of which is selected for decoding.
 *
 * @param base the base tokenizer (rows)
 * @param value the value tokenizer (columns)
 * @param corpus the texts the counts come from
 * @param counts the pair counts, |V_base| × |V_value|
 * @param maps the token maps by normalisation, in a fixed order; at least one
 * @param selected the normalisation used for decoding; one of the maps' keys
 */
public record VocabularyAlignment(Tokenizer base, Tokenizer value, Corpus corpus, PairCounts counts,
        Map<Normalization, TokenMap> maps, Normalization selected) {
    /**
     * A tokenizer a map was built for.
     *
     * @param name what to call it in messages (e.g. its file name)
     * @param sha256 the SHA-256 of its definition ({@code tokenizer.json}), lower-case hex
     * @param vocabSize its vocabulary size
     * @param marker the word-prefix marker it uses ({@link TokenizerProfile#marker()})
     */
    public record Tokenizer(String name, String sha256, int vocabSize, String marker) {
        /** Checks that no field is null. */
        public Tokenizer {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(sha256, "sha256");
            Objects.requireNonNull(marker, "marker");
        }
    }

    /**
     * The corpus a map was built from.
     *
     * @param sha256 {@link VocabularyAligner#corpusSha256} of the texts
     * @param texts how many texts
     */
    public record Corpus(String sha256, int texts) {
        /** Checks the fields. */
        public Corpus {
            Objects.requireNonNull(sha256, "sha256");
        }
    }

    /**
     * Checks that every matrix has the tokenizers' shape and that the selected normalisation has a map.
     *
     * @throws InvalidInputException naming the mismatch
     */
    public VocabularyAlignment {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(corpus, "corpus");
        checkShape("counts", counts.rows(), counts.columns(), base, value);
        maps = Collections.unmodifiableMap(new LinkedHashMap<>(maps));
        for (Map.Entry<Normalization, TokenMap> e : maps.entrySet()) {
            checkShape(e.getKey() + " map", e.getValue().rows(), e.getValue().columns(), base, value);
        }
        if (!maps.containsKey(selected)) {
            throw new InvalidInputException("selected normalisation " + selected + " has no map; there are "
                    + maps.keySet());
        }
    }

    /** @return the map of the selected normalisation */
    public TokenMap map() {
        return maps.get(selected);
    }

    /**
     * @param normalization a normalisation
     * @return its map
     * @throws IllegalParameterException if this alignment holds no map for it
     */
    public TokenMap map(Normalization normalization) {
        TokenMap map = maps.get(normalization);
        if (map == null) {
            throw new IllegalParameterException("normalize", normalization, "has no map here; available: "
                    + maps.keySet());
        }
        return map;
    }

    private static void checkShape(String what, int rows, int columns, Tokenizer base, Tokenizer value) {
        if (rows != base.vocabSize() || columns != value.vocabSize()) {
            throw new InvalidInputException(what + " is " + rows + " x " + columns + " but the tokenizers "
                    + base.name() + " and " + value.name() + " have " + base.vocabSize() + " and " + value.vocabSize()
                    + " tokens");
        }
    }
}
