package dev.ivl.djl.llama;

import dev.ivl.djl.internal.Json;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.ModelFormatException;
import dev.ivl.core.generate.GenerationConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The generation defaults a model ships in {@code generation_config.json}. Null components are absent from the
 * file (Hugging Face would then use its own defaults: temperature 1, top-p 1, top-k 50, repetition penalty 1).
 *
 * <p>Hugging Face decodes greedily unless the file sets {@code do_sample} to true; since ivl spells greedy decoding
 * as temperature 0, {@link #parse} reports temperature 0 in that case, whatever temperature the file gives.
 *
 * @param eosTokenIds end-of-sequence ids, which override those of config.json when not empty
 * @param temperature sampling temperature ≥ 0, or null
 * @param topP nucleus sampling threshold in (0, 1], or null
 * @param topK number of most likely tokens kept, ≥ 0 (0 disables), or null
 * @param repetitionPenalty the Hugging Face repetition penalty, &gt; 0, or null
 * @param bosTokenId the beginning-of-sequence id, or null
 */
public record GenerationDefaults(List<Integer> eosTokenIds, Float temperature, Float topP, Integer topK,
        Float repetitionPenalty, Integer bosTokenId) {
    /** The file name of a model folder's generation defaults. */
    public static final String FILE_NAME = "generation_config.json";

    /**
     * Validates every field.
     *
     * @throws IllegalParameterException naming the generation_config.json field that is invalid
     */
    public GenerationDefaults {
        eosTokenIds = List.copyOf(Objects.requireNonNull(eosTokenIds, "eosTokenIds"));
        for (int id : eosTokenIds) {
            if (id < 0) {
                throw new IllegalParameterException("eos_token_id", eosTokenIds, "must not contain negative ids");
            }
        }
        if (temperature != null && !(temperature >= 0 && Float.isFinite(temperature))) {
            throw new IllegalParameterException("temperature", temperature, "must be a finite number >= 0");
        }
        if (topP != null && !(topP > 0 && topP <= 1)) {
            throw new IllegalParameterException("top_p", topP, "must be in (0, 1]");
        }
        if (topK != null && topK < 0) {
            throw new IllegalParameterException("top_k", topK, "must be >= 0");
        }
        if (repetitionPenalty != null && !(repetitionPenalty > 0 && Float.isFinite(repetitionPenalty))) {
            throw new IllegalParameterException("repetition_penalty", repetitionPenalty,
                    "must be a finite number > 0");
        }
        if (bosTokenId != null && bosTokenId < 0) {
            throw new IllegalParameterException("bos_token_id", bosTokenId, "must be >= 0");
        }
    }

    /**
     * Reads {@code modelDir/generation_config.json} if the folder has one.
     *
     * @param modelDir the model folder
     * @return the defaults, or empty when the file does not exist
     * @throws ModelFormatException naming the file and the field if the file is not valid
     */
    public static Optional<GenerationDefaults> load(Path modelDir) {
        Path file = modelDir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        return Optional.of(parse(Json.readFile(file), file));
    }

    /**
     * Parses the text of a {@code generation_config.json}.
     *
     * @param json the file's text
     * @param sourceForMessages the file the text came from, named in exceptions
     * @return the defaults
     * @throws ModelFormatException naming {@code sourceForMessages} and the field if a field has the wrong type or
     *     an invalid value
     */
    public static GenerationDefaults parse(String json, Path sourceForMessages) {
        Json.Fields f = new Json.Fields(Json.parseObject(json, sourceForMessages),
                sourceForMessages, "");
        List<Integer> bos = f.tokenIds("bos_token_id");
        if (bos.size() > 1) {
            throw new ModelFormatException(sourceForMessages, "bos_token_id " + bos + " lists more than one id");
        }
        boolean sample = Boolean.TRUE.equals(f.optionalBoolean("do_sample"));
        Double temperature = f.optionalDouble("temperature");
        Double topP = f.optionalDouble("top_p");
        Double penalty = f.optionalDouble("repetition_penalty");
        GenerationDefaults literal;
        try {
            literal = new GenerationDefaults(
                    f.tokenIds("eos_token_id"),
                    toFloat(temperature),
                    toFloat(topP),
                    f.optionalInt("top_k"),
                    toFloat(penalty),
                    bos.isEmpty() ? null : bos.get(0));
        } catch (IllegalParameterException e) {
            throw new ModelFormatException(sourceForMessages, e.getMessage(), e);
        }
        if (sample) {
            return literal;
        }
        return new GenerationDefaults(literal.eosTokenIds, 0f, literal.topP, literal.topK, literal.repetitionPenalty,
                literal.bosTokenId);
    }

    /**
     * Sets the sampling settings the file gives and adds its end-of-sequence ids to the stop ids; what the file
     * leaves out stays as the builder has it.
     *
     * @param builder a generation configuration under construction
     * @return the builder
     */
    public GenerationConfig.Builder applyTo(GenerationConfig.Builder builder) {
        eosTokenIds.forEach(builder::stopTokenIds);
        if (temperature != null) {
            builder.temperature(temperature);
        }
        if (topP != null) {
            builder.topP(topP);
        }
        if (topK != null) {
            builder.topK(topK);
        }
        if (repetitionPenalty != null) {
            builder.repetitionPenalty(repetitionPenalty);
        }
        return builder;
    }

    private static Float toFloat(Double value) {
        return value == null ? null : value.floatValue();
    }
}
