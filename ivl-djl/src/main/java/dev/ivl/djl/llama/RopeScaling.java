package dev.ivl.djl.llama;

import com.google.gson.JsonObject;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.ModelFormatException;
import dev.ivl.djl.internal.Json;
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
     * @throws IllegalParameterException naming the config.json field that is invalid
     */
    public RopeScaling {
        Objects.requireNonNull(type, "type");
        if (!TYPES.contains(type)) {
            throw new IllegalParameterException("rope_scaling.rope_type", "'" + type + "'",
                    "must be one of default, linear, dynamic, llama3 (other RoPE variants are not supported)");
        }
        if (!(factor >= 1) || Double.isInfinite(factor)) {
            throw new IllegalParameterException("rope_scaling.factor", factor, "must be a finite number >= 1");
        }
        if (originalMaxPositionEmbeddings <= 0) {
            throw new IllegalParameterException("rope_scaling.original_max_position_embeddings",
                    originalMaxPositionEmbeddings, "must be > 0");
        }
        if (type.equals("llama3")) {
            if (!(lowFreqFactor > 0) || Double.isInfinite(lowFreqFactor)) {
                throw new IllegalParameterException("rope_scaling.low_freq_factor", lowFreqFactor,
                        "must be a finite number > 0");
            }
            if (!(highFreqFactor > lowFreqFactor) || Double.isInfinite(highFreqFactor)) {
                throw new IllegalParameterException("rope_scaling.high_freq_factor", highFreqFactor,
                        "must be a finite number > low_freq_factor (" + lowFreqFactor + ")");
            }
        }
    }

    /** @return the rescaling described by {@code f}, or null for type "default" */
    static RopeScaling parse(Json.Fields f, int maxPositionEmbeddings) {
        String type = f.optionalString("rope_type");
        if (type == null) {
            type = f.optionalString("type");
        }
        if (type == null) {
            throw new ModelFormatException(f.source(), f.prefix() + "rope_type is missing");
        }
        if (type.equals("default")) {
            return null;
        }
        if (!TYPES.contains(type)) {
            throw new ModelFormatException(f.source(), f.prefix() + "rope_type '" + type + "' is not supported (only"
                    + " default, linear, dynamic, llama3)");
        }
        boolean llama3 = type.equals("llama3");
        Double factor = f.optionalDouble("factor");
        if (factor == null) {
            throw new ModelFormatException(f.source(), "missing required field " + f.prefix() + "factor");
        }
        Integer original = llama3 ? (Integer) f.requiredInt("original_max_position_embeddings")
                : f.optionalInt("original_max_position_embeddings");
        try {
            return new RopeScaling(type, factor,
                    llama3 ? f.requiredDouble("low_freq_factor") : 0,
                    llama3 ? f.requiredDouble("high_freq_factor") : 0,
                    original == null ? maxPositionEmbeddings : original);
        } catch (IllegalParameterException e) {
            throw new ModelFormatException(f.source(), e.getMessage(), e);
        }
    }

    /** @return the {@code rope_scaling} object of config.json */
    JsonObject toJson() {
        RopeScaling scaling = this;
        JsonObject json = new JsonObject();
        json.addProperty("rope_type", scaling.type());
        json.addProperty("factor", scaling.factor());
        if (scaling.type().equals("llama3")) {
            json.addProperty("low_freq_factor", scaling.lowFreqFactor());
            json.addProperty("high_freq_factor", scaling.highFreqFactor());
        }
        if (scaling.type().equals("llama3") || scaling.type().equals("dynamic")) {
            json.addProperty("original_max_position_embeddings", scaling.originalMaxPositionEmbeddings());
        }
        return json;
    }
}
