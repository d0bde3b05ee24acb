package dev.ivl.djl.llama;

import dev.ivl.core.InvalidParameterException;
import java.util.Objects;
import java.util.Set;

/**
 * How rotary position embeddings are rescaled for long contexts: the {@code rope_scaling} entry of a Hugging Face
 * LLaMA config.
 *
 * <ul>
 *   <li>{@code "default"}: no rescaling (the other fields are ignored);
 *   <li>{@code "linear"}: positions divided by {@code factor};
 *   <li>{@code "dynamic"}: NTK-aware scaling of the base once a sequence exceeds
 *       {@code originalMaxPositionEmbeddings}, by {@code factor};
 *   <li>{@code "llama3"}: Llama 3.1's frequency-dependent scaling with {@code factor}, {@code lowFreqFactor},
 *       {@code highFreqFactor} and {@code originalMaxPositionEmbeddings}.
 * </ul>
 *
 * <p>Validated on construction; exceptions name the config.json field ({@code rope_scaling.factor}, ...).
 *
 * @param type {@code "default"}, {@code "linear"}, {@code "dynamic"} or {@code "llama3"}
 * @param factor the scaling factor, ≥ 1
 * @param lowFreqFactor llama3 only (ignored otherwise, where parsing gives 0): wavelengths above
 *     {@code originalMaxPositionEmbeddings / lowFreqFactor} are scaled fully
 * @param highFreqFactor llama3 only (ignored otherwise, where parsing gives 0): wavelengths below
 *     {@code originalMaxPositionEmbeddings / highFreqFactor} are not scaled; greater than {@code lowFreqFactor}
 * @param originalMaxPositionEmbeddings the context length the model was pre-trained with, &gt; 0
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
        int originalMaxPositionEmbeddings) {
    /** The supported values of {@link #type()}. */
    public static final Set<String> TYPES = Set.of("default", "linear", "dynamic", "llama3");

    /**
     * Validates the fields.
     *
     * @throws InvalidParameterException naming the config.json field that is invalid
     */
    public RopeScaling {
        Objects.requireNonNull(type, "type");
        if (!TYPES.contains(type)) {
            throw new InvalidParameterException("rope_scaling.rope_type", "'" + type + "'",
                    "must be one of default, linear, dynamic, llama3 (other RoPE variants are not supported)");
        }
        if (!(factor >= 1) || Double.isInfinite(factor)) {
            throw new InvalidParameterException("rope_scaling.factor", factor, "must be a finite number >= 1");
        }
        if (originalMaxPositionEmbeddings <= 0) {
            throw new InvalidParameterException("rope_scaling.original_max_position_embeddings",
                    originalMaxPositionEmbeddings, "must be > 0");
        }
        if (type.equals("llama3")) {
            if (!(lowFreqFactor > 0) || Double.isInfinite(lowFreqFactor)) {
                throw new InvalidParameterException("rope_scaling.low_freq_factor", lowFreqFactor,
                        "must be a finite number > 0");
            }
            if (!(highFreqFactor > lowFreqFactor) || Double.isInfinite(highFreqFactor)) {
                throw new InvalidParameterException("rope_scaling.high_freq_factor", highFreqFactor,
                        "must be a finite number > low_freq_factor (" + lowFreqFactor + ")");
            }
        }
    }
}
