package dev.ivl.djl.vocab;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IvlException;
import dev.ivl.core.ModelFormatException;
import dev.ivl.core.vocab.align.Normalization;
import dev.ivl.core.vocab.align.PairCounts;
import dev.ivl.core.vocab.TokenMap;
import dev.ivl.core.vocab.TokenizerProfile;
import dev.ivl.core.vocab.align.VocabularyAligner;
import dev.ivl.core.vocab.align.VocabularyAlignment;
import dev.ivl.djl.tokenizer.HfTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Vocabulary maps between Hugging Face tokenizers: built from a corpus with the core {@link VocabularyAligner},
 * labelled with each tokenizer's {@code tokenizer.json} hash, and checked against the tokenizers they are used
 * with.
 */
public final class VocabularyMaps {
    private VocabularyMaps() {}

    /**
     * Aligns a corpus and normalises the counts every way asked for.
     *
     * @param base the base model's tokenizer (rows)
     * @param value the value model's tokenizer (columns)
     * @param texts the corpus
     * @param threads how many threads align at once
     * @param progress called with the number of texts done, from worker threads; may be null
     * @param selected the normalisation to decode with
     * @param others further normalisations to save with it
     * @return the alignment
     */
    public static VocabularyAlignment build(HfTokenizer base, HfTokenizer value, List<String> texts, int threads,
            IntConsumer progress, Normalization selected, Normalization... others) {
        VocabularyAligner aligner = new VocabularyAligner(base, value);
        PairCounts counts = aligner.count(texts, threads, progress);
        Map<Normalization, TokenMap> maps = new LinkedHashMap<>();
        maps.put(selected, aligner.map(counts, selected));
        for (Normalization n : others) {
            maps.computeIfAbsent(n, key -> aligner.map(counts, key));
        }
        return new VocabularyAlignment(describe(base, aligner.baseBytes().profile()),
                describe(value, aligner.valueBytes().profile()),
                new VocabularyAlignment.Corpus(VocabularyAligner.corpusSha256(texts), texts.size()), counts, maps,
                selected);
    }

    /**
     * Reads a map file and checks that it was built for these tokenizers.
     *
     * @param file the map file
     * @param base the base model's tokenizer
     * @param value the value model's tokenizer
     * @return the alignment
     * @throws ModelFormatException if the file is not a valid map file
     * @throws InvalidInputException if it was built for other tokenizers
     */
    public static VocabularyAlignment read(Path file, HfTokenizer base, HfTokenizer value) {
        VocabularyAlignment alignment = VocabularyMapFile.read(file);
        checkBuiltFor(alignment, base, value, file);
        return alignment;
    }

    /** Refuses an alignment built for other tokenizers, naming both files and hashes. */
    private static void checkBuiltFor(VocabularyAlignment alignment, HfTokenizer base, HfTokenizer value,
            Path source) {
        String baseSha = sha256(base.source());
        String valueSha = sha256(value.source());
        if (baseSha.equals(alignment.value().sha256()) && valueSha.equals(alignment.base().sha256())
                && !baseSha.equals(valueSha)) {
            throw new InvalidInputException(source + " maps " + alignment.base().name() + " (base) to "
                    + alignment.value().name() + " (value); the tokenizers given are the other way round");
        }
        check(source, "base", alignment.base(), base, baseSha);
        check(source, "value", alignment.value(), value, valueSha);
    }

    /**
     * @param file a file
     * @return the SHA-256 of its bytes, lower-case hex
     * @throws ModelFormatException if it cannot be read
     */
    public static String sha256(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            byte[] buffer = new byte[1 << 16];
            while (in.read(buffer) >= 0) {
                // the digest sees every byte read
            }
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (IOException e) {
            throw new ModelFormatException(file, "cannot be read: " + e, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IvlException("SHA-256 is not available", e);
        }
    }

    private static void check(Path source, String role, VocabularyAlignment.Tokenizer built, HfTokenizer given,
            String givenSha) {
        if (!built.sha256().equals(givenSha)) {
            throw new InvalidInputException(source + " was built for " + role + " tokenizer " + built.name()
                    + " (" + built.vocabSize() + " tokens, sha256 " + built.sha256() + ") but the " + role
                    + " tokenizer given is " + given.source() + " (" + given.vocabSize() + " tokens, sha256 "
                    + givenSha + ")");
        }
    }

    /** @return the tokenizer's identity for a map file: file name, SHA-256 of its file, size, marker */
    private static VocabularyAlignment.Tokenizer describe(HfTokenizer tokenizer, TokenizerProfile profile) {
        return new VocabularyAlignment.Tokenizer(tokenizer.source().getFileName().toString(),
                sha256(tokenizer.source()), tokenizer.vocabSize(), profile.marker());
    }
}
