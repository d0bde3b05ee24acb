package dev.ivl.djl.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonObject;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.Limits;
import dev.ivl.djl.internal.Json;
import dev.ivl.core.ModelFormatException;
import dev.ivl.core.text.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A Hugging Face tokenizer ({@code tokenizer.json}) run by the native tokenizers library through DJL, read only from
 * local files. Truncation and padding are off: any text is encoded whole.
 *
 * <p>Thread-safe: encoding and decoding run concurrently (the native tokenizer is only read); {@link #close()} waits
 * for calls in flight, and calls after it throw {@link IllegalStateException}.
 */
public final class HfTokenizer implements TextTokenizer, AutoCloseable {
    /** The file a model folder holds its tokenizer in. */
    public static final String FILE_NAME = "tokenizer.json";
    /** End-of-sequence and end-of-turn tokens used when no config file names the end token. */
    private static final List<String> KNOWN_EOS =
            List.of("</s>", "<|endoftext|>", "<|end_of_text|>", "<|eot_id|>", "<|im_end|>", "<eos>", "<end_of_turn>");
    /** Beginning-of-sequence tokens used when no config file names one and the post-processor adds none. */
    private static final List<String> KNOWN_BOS = List.of("<s>", "<|begin_of_text|>", "<bos>");

    private final Path source;
    private final HuggingFaceTokenizer hf;
    private final Vocabulary vocabulary;
    private final TokenizerConfig config;
    private final int bosId;
    private final int[] eosIds;
    /** With special tokens: +1 to prepend BOS, -1 to drop the BOS the post-processor adds, 0 to keep its output. */
    private final int bosCorrection;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    private HfTokenizer(Path source, HuggingFaceTokenizer tokenizer, Vocabulary vocabulary, TokenizerConfig config,
            int[] generationEosIds) {
        this.source = source;
        this.hf = tokenizer;
        this.vocabulary = vocabulary;
        this.config = config;
        long[] empty = tokenizer.encode("", true, false).getIds();
        boolean postProcessorAddsBos = empty.length > 0 && vocabulary.token((int) empty[0]) != null
                && vocabulary.specialId(vocabulary.token((int) empty[0])) != null;
        this.bosId = findBos(postProcessorAddsBos ? (int) empty[0] : -1);
        this.eosIds = generationEosIds.length > 0 ? generationEosIds : findEos();
        if (config.addBosToken() == null || bosId < 0) {
            bosCorrection = 0;
        } else if (config.addBosToken() && !postProcessorAddsBos) {
            bosCorrection = 1;
        } else if (!config.addBosToken() && postProcessorAddsBos && empty[0] == bosId) {
            bosCorrection = -1;
        } else {
            bosCorrection = 0;
        }
    }

    /**
     * Loads a tokenizer from local files; never downloads.
     *
     * @param tokenizerJsonOrModelDir a {@code tokenizer.json}, or a model folder holding one; in a folder, a
     *     {@code tokenizer_config.json} (special tokens, {@code add_bos_token}, {@code chat_template}) and a
     *     {@code generation_config.json} ({@code eos_token_id}) are read too when present
     * @return the tokenizer; close it to free its native memory
     * @throws ModelFormatException naming the file if a file is missing, is not valid JSON, or is rejected by the
     *     tokenizers library
     */
    public static HfTokenizer load(Path tokenizerJsonOrModelDir) {
        Path file = tokenizerJsonOrModelDir;
        TokenizerConfig config = TokenizerConfig.NONE;
        int[] generationEosIds = new int[0];
        if (Files.isDirectory(tokenizerJsonOrModelDir)) {
            file = tokenizerJsonOrModelDir.resolve("tokenizer.json");
            if (!Files.isRegularFile(file)) {
                throw new ModelFormatException(tokenizerJsonOrModelDir, "has no tokenizer.json");
            }
            Path configFile = tokenizerJsonOrModelDir.resolve("tokenizer_config.json");
            if (Files.isRegularFile(configFile)) {
                config = TokenizerConfig.read(configFile);
            }
            Path generationFile = tokenizerJsonOrModelDir.resolve("generation_config.json");
            if (Files.isRegularFile(generationFile)) {
                generationEosIds = JsonFiles.idList(generationFile, JsonFiles.readObject(generationFile),
                        "eos_token_id");
            }
        } else if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file, "no such tokenizer file or model folder");
        }
        JsonObject json = Json.readObject(file, Limits.MAX_TOKENIZER_JSON_BYTES);
        Vocabulary vocabulary = Vocabulary.of(file, json);
        for (int id : generationEosIds) {
            if (id >= vocabulary.size()) {
                throw new ModelFormatException(tokenizerJsonOrModelDir.resolve("generation_config.json"),
                        "eos_token_id " + id + " is not below the vocabulary size " + vocabulary.size());
            }
        }
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(true)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(file, "rejected by the tokenizers library: " + e.getMessage(), e);
        }
        try {
            return new HfTokenizer(file, tokenizer, vocabulary, config, generationEosIds);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    @Override
    public int vocabSize() {
        return vocabulary.size();
    }

    /**
     * Encodes text. With special tokens, BOS is added as the tokenizer.json's post-processor does, unless the
     * tokenizer_config.json's {@code add_bos_token} says otherwise.
     *
     * @throws InvalidInputException if the text holds an unpaired surrogate (it has no UTF-8 encoding)
     */
    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        checkWellFormed(text);
        long[] ids;
        lock.readLock().lock();
        try {
            checkOpen();
            ids = hf.encode(text, addSpecialTokens, false).getIds();
        } finally {
            lock.readLock().unlock();
        }
        int correction = addSpecialTokens ? bosCorrection : 0;
        int start = correction < 0 ? 1 : 0;
        int[] out = new int[ids.length - start + Math.max(correction, 0)];
        int at = 0;
        if (correction > 0) {
            out[at++] = bosId;
        }
        for (int i = start; i < ids.length; i++) {
            out[at++] = (int) ids[i];
        }
        return out;
    }

    /**
     * Decodes ids to text, leaving out special tokens. A character whose bytes are cut off decodes to U+FFFD.
     *
     * @throws InvalidInputException if an id is negative or not below {@link #vocabSize()}
     */
    @Override
    public String decode(int[] ids) {
        long[] longIds = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            checkId(ids[i], "ids[" + i + "]");
            longIds[i] = ids[i];
        }
        lock.readLock().lock();
        try {
            checkOpen();
            return hf.decode(longIds, true);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * @return the ids that end a generation: {@code eos_token_id} of generation_config.json if given, else the
     *     {@code eos_token} of tokenizer_config.json, else the special tokens among {@code </s>},
     *     {@code <|endoftext|>}, {@code <|end_of_text|>}, {@code <|eot_id|>}, {@code <|im_end|>}, {@code <eos>} and
     *     {@code <end_of_turn>} that the vocabulary has
     */
    @Override
    public int[] eosTokenIds() {
        return eosIds.clone();
    }

    /**
     * @return the beginning-of-sequence id: the {@code bos_token} of tokenizer_config.json if given, else the special
     *     token the post-processor puts first, else the first of {@code <s>}, {@code <|begin_of_text|>},
     *     {@code <bos>} that is a special token; empty if none
     */
    @Override
    public OptionalInt bosTokenId() {
        return bosId < 0 ? OptionalInt.empty() : OptionalInt.of(bosId);
    }

    /**
     * @param id a token id
     * @return the token's string as the vocabulary spells it (e.g. {@code ▁Hello}, {@code ĠHello}, {@code <0xE2>}),
     *     or null if no token has this id (a gap in the vocabulary)
     * @throws InvalidInputException if the id is negative or not below {@link #vocabSize()}
     */
    @Override
    public String tokenString(int id) {
        checkId(id, "id");
        return vocabulary.token(id);
    }

    /**
     * @param token a token string as the vocabulary spells it
     * @return its id, if the vocabulary has it
     */
    public OptionalInt id(String token) {
        Integer id = vocabulary.id(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /**
     * Checks that every id this tokenizer can produce is valid for a model. A model's vocabulary may be larger (padded
     * embedding matrices are common) but not smaller.
     *
     * @param modelVocabSize the number of rows of the model's embedding matrix
     * @throws InvalidInputException naming both sizes if the tokenizer's vocabulary is larger
     */
    public void checkCompatible(int modelVocabSize) {
        if (vocabulary.size() > modelVocabSize) {
            throw new InvalidInputException("tokenizer " + source + " has a vocabulary of " + vocabulary.size()
                    + " tokens but the model only " + modelVocabSize + ": ids " + modelVocabSize + " to "
                    + (vocabulary.size() - 1) + " would be out of range");
        }
    }

    /** @return the file this tokenizer was read from */
    public Path source() {
        return source;
    }

    /** Frees the native tokenizer; waits for calls in flight. Idempotent. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                hf.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** @return the tokenizer_config.json's chat template, if there is one */
    Optional<String> chatTemplateSource() {
        return Optional.ofNullable(config.chatTemplate());
    }

    /** @return the file the chat template came from, or null */
    Path configFile() {
        return config.file();
    }

    /** @return the BOS token's text for chat templates ({@code bos_token}); empty if there is none */
    String bosTokenText() {
        if (config.bosToken() != null) {
            return config.bosToken();
        }
        return bosId < 0 ? "" : Objects.requireNonNullElse(vocabulary.token(bosId), "");
    }

    /** @return the EOS token's text for chat templates ({@code eos_token}); empty if there is none */
    String eosTokenText() {
        if (config.eosToken() != null) {
            return config.eosToken();
        }
        return eosIds.length == 0 ? "" : Objects.requireNonNullElse(vocabulary.token(eosIds[0]), "");
    }

    private int findBos(int postProcessorBos) {
        if (config.bosToken() != null) {
            Integer id = vocabulary.id(config.bosToken());
            if (id == null) {
                throw new ModelFormatException(config.file(), "bos_token " + config.bosToken()
                        + " is not in the vocabulary of " + source);
            }
            return id;
        }
        if (postProcessorBos >= 0) {
            return postProcessorBos;
        }
        return KNOWN_BOS.stream().map(vocabulary::specialId).filter(id -> id != null).findFirst().orElse(-1);
    }

    private int[] findEos() {
        if (config.eosToken() != null) {
            Integer id = vocabulary.id(config.eosToken());
            if (id == null) {
                throw new ModelFormatException(config.file(), "eos_token " + config.eosToken()
                        + " is not in the vocabulary of " + source);
            }
            return new int[] {id};
        }
        return KNOWN_EOS.stream().map(vocabulary::specialId).filter(id -> id != null).mapToInt(Integer::intValue)
                .toArray();
    }

    private void checkId(int id, String name) {
        if (id < 0 || id >= vocabulary.size()) {
            throw new InvalidInputException(name + " = " + id + " is not a token id: the vocabulary of " + source
                    + " has ids 0 to " + (vocabulary.size() - 1));
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("tokenizer " + source + " is closed");
        }
    }

    private static void checkWellFormed(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidInputException("text has an unpaired surrogate U+" + Integer.toHexString(c)
                        .toUpperCase() + " at index " + i + ": it cannot be encoded as UTF-8");
            }
        }
    }

    @Override
    public String toString() {
        return "HfTokenizer[" + source + ", " + vocabulary.size() + " tokens]";
    }
}
