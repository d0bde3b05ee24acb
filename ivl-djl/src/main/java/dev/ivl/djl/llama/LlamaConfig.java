package dev.ivl.djl.llama;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.ModelFormatException;
import dev.ivl.djl.internal.Json;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The architecture of a LLaMA-family model: the fields of a Hugging Face {@code LlamaForCausalLM}
 * {@code config.json} that the forward pass needs. {@link #load(Path)} and {@link #parse(String, Path)} read that
 * file, applying Hugging Face's defaults; {@link #toJson()} writes it back.
 *
 * <p>Validated on construction; exceptions name the config.json field.
 *
 * @param vocabSize the number of token ids, &gt; 0
 * @param hiddenSize the width of the residual stream, &gt; 0
 * @param intermediateSize the width of the SwiGLU MLP, &gt; 0
 * @param numHiddenLayers the number of decoder layers, &gt; 0
 * @param numAttentionHeads the number of query heads, &gt; 0
 * @param numKeyValueHeads the number of key/value heads (grouped-query attention), &gt; 0, dividing
 *     {@code numAttentionHeads}
 * @param headDim the width of one head, &gt; 0 and even
 * @param rmsNormEps the epsilon of RMSNorm, &gt; 0
 * @param ropeTheta the base of the rotary embedding frequencies, &gt; 0
 * @param ropeScaling the rotary embedding rescaling, or null for none
 * @param maxPositionEmbeddings the context length the model supports, &gt; 0
 * @param tieWordEmbeddings whether the output projection reuses the token embedding matrix
 * @param bosTokenId the beginning-of-sequence id, or -1 if the config has none
 * @param eosTokenIds the end-of-sequence ids, possibly empty
 * @param torchDtype the stored weights' type as the config names it ({@code "bfloat16"}, ...), or null
 */
public record LlamaConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        int bosTokenId,
        List<Integer> eosTokenIds,
        String torchDtype) {

    /** The file name of a model folder's configuration. */
    public static final String FILE_NAME = "config.json";
    /** The architecture name this record describes. */
    public static final String ARCHITECTURE = "LlamaForCausalLM";

    private static final double DEFAULT_RMS_NORM_EPS = 1e-6;
    private static final double DEFAULT_ROPE_THETA = 10000;
    private static final int DEFAULT_MAX_POSITION_EMBEDDINGS = 2048;

    /**
     * Validates every field.
     *
     * @throws IllegalParameterException naming the config.json field that is invalid
     */
    public LlamaConfig {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        positive("num_key_value_heads", numKeyValueHeads);
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new IllegalParameterException("num_key_value_heads", numKeyValueHeads,
                    "must divide num_attention_heads (" + numAttentionHeads + ")");
        }
        positive("head_dim", headDim);
        if (headDim % 2 != 0) {
            throw new IllegalParameterException("head_dim", headDim, "must be even (rotary embeddings rotate pairs)");
        }
        if (!(rmsNormEps > 0) || Double.isInfinite(rmsNormEps)) {
            throw new IllegalParameterException("rms_norm_eps", rmsNormEps, "must be a finite number > 0");
        }
        if (!(ropeTheta > 0) || Double.isInfinite(ropeTheta)) {
            throw new IllegalParameterException("rope_theta", ropeTheta, "must be a finite number > 0");
        }
        positive("max_position_embeddings", maxPositionEmbeddings);
        if (bosTokenId < -1) {
            throw new IllegalParameterException("bos_token_id", bosTokenId, "must be >= 0 (or -1 for none)");
        }
        eosTokenIds = List.copyOf(Objects.requireNonNull(eosTokenIds, "eosTokenIds"));
        for (int id : eosTokenIds) {
            if (id < 0) {
                throw new IllegalParameterException("eos_token_id", eosTokenIds, "must not contain negative ids");
            }
        }
    }

    /** @return the number of query heads sharing one key/value head */
    public int groupSize() {
        return numAttentionHeads / numKeyValueHeads;
    }

    /**
     * @param layers the number of decoder layers
     * @return this configuration with another number of layers
     */
    public LlamaConfig withLayers(int layers) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, layers, numAttentionHeads, numKeyValueHeads,
                headDim, rmsNormEps, ropeTheta, ropeScaling, maxPositionEmbeddings, tieWordEmbeddings, bosTokenId,
                eosTokenIds, torchDtype);
    }

    /**
     * @param dtype the stored weights' type as config.json names it ({@code "float16"}, ...)
     * @return this configuration with another {@code torch_dtype}
     */
    public LlamaConfig withTorchDtype(String dtype) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, rmsNormEps, ropeTheta, ropeScaling, maxPositionEmbeddings, tieWordEmbeddings,
                bosTokenId, eosTokenIds, dtype);
    }

    /**
     * Reads {@code modelDir/config.json}.
     *
     * @param modelDir the model folder
     * @return the configuration
     * @throws ModelFormatException naming the file, and the field where one is wrong, if the file is missing, not
     *     JSON, not a LLaMA configuration, uses an unsupported feature, or has a missing or invalid field
     */
    public static LlamaConfig load(Path modelDir) {
        Path file = modelDir.resolve(FILE_NAME);
        return parse(Json.readFile(file), file);
    }

    /**
     * Parses the text of a {@code config.json}. Defaults as in Hugging Face: {@code num_key_value_heads} =
     * {@code num_attention_heads}, {@code head_dim} = {@code hidden_size / num_attention_heads},
     * {@code rope_theta} 10000, {@code rms_norm_eps} 1e-6, {@code max_position_embeddings} 2048,
     * {@code tie_word_embeddings} false, {@code hidden_act} silu. The rotary settings may also come in the
     * {@code rope_parameters} object of newer files; a rescaling of type {@code "default"} reads as none.
     *
     * @param json the file's text
     * @param sourceForMessages the file the text came from, named in exceptions
     * @return the configuration
     * @throws ModelFormatException naming {@code sourceForMessages} and the field, as for {@link #load(Path)}
     */
    public static LlamaConfig parse(String json, Path sourceForMessages) {
        Path source = sourceForMessages;
        Json.Fields f = new Json.Fields(Json.parseObject(json, source), source, "");
        checkArchitecture(f, source);
        if (Boolean.TRUE.equals(f.optionalBoolean("attention_bias"))) {
            throw new ModelFormatException(source, "attention_bias is true: biased attention projections are not"
                    + " supported");
        }
        if (Boolean.TRUE.equals(f.optionalBoolean("mlp_bias"))) {
            throw new ModelFormatException(source, "mlp_bias is true: biased MLP projections are not supported");
        }
        String act = f.optionalString("hidden_act");
        if (act != null && !act.equals("silu")) {
            throw new ModelFormatException(source, "hidden_act '" + act + "' is not supported (only silu)");
        }

        int hidden = f.requiredInt("hidden_size");
        int heads = f.requiredInt("num_attention_heads");
        Integer kvHeads = f.optionalInt("num_key_value_heads");
        Integer headDim = f.optionalInt("head_dim");
        if (headDim == null && heads > 0) {
            if (hidden % heads != 0) {
                throw new ModelFormatException(source, "hidden_size " + hidden + " is not divisible by"
                        + " num_attention_heads " + heads + " and head_dim is not given");
            }
            headDim = hidden / heads;
        }
        Integer maxPositions = f.optionalInt("max_position_embeddings");
        int maxPos = maxPositions == null ? DEFAULT_MAX_POSITION_EMBEDDINGS : maxPositions;

        // rope_theta and the rescaling: top level (transformers 4) or in rope_parameters (transformers 5)
        JsonObject ropeParameters = f.optionalObject("rope_parameters");
        Json.Fields rope = ropeParameters == null ? null : new Json.Fields(ropeParameters, source, "rope_parameters.");
        Double theta = f.optionalDouble("rope_theta");
        if (theta == null && rope != null) {
            theta = rope.optionalDouble("rope_theta");
        }
        JsonObject scalingObject = f.optionalObject("rope_scaling");
        RopeScaling scaling = scalingObject != null
                ? RopeScaling.parse(new Json.Fields(scalingObject, source, "rope_scaling."), maxPos)
                : rope != null ? RopeScaling.parse(rope, maxPos) : null;

        List<Integer> bos = f.tokenIds("bos_token_id");
        if (bos.size() > 1) {
            throw new ModelFormatException(source, "bos_token_id " + bos + " lists more than one id");
        }
        String dtype = f.optionalString("torch_dtype");
        if (dtype == null) {
            dtype = f.optionalString("dtype");
        }
        Double eps = f.optionalDouble("rms_norm_eps");
        Boolean tie = f.optionalBoolean("tie_word_embeddings");
        try {
            return new LlamaConfig(
                    f.requiredInt("vocab_size"),
                    hidden,
                    f.requiredInt("intermediate_size"),
                    f.requiredInt("num_hidden_layers"),
                    heads,
                    kvHeads == null ? heads : kvHeads,
                    headDim == null ? 0 : headDim,
                    eps == null ? DEFAULT_RMS_NORM_EPS : eps,
                    theta == null ? DEFAULT_ROPE_THETA : theta,
                    scaling,
                    maxPos,
                    tie != null && tie,
                    bos.isEmpty() ? -1 : bos.get(0),
                    f.tokenIds("eos_token_id"),
                    dtype);
        } catch (IllegalParameterException e) {
            throw new ModelFormatException(source, e.getMessage(), e);
        }
    }

    /**
     * @return this configuration as a Hugging Face {@code config.json} (keys sorted, two-space indent), which
     *     {@link #parse} reads back to an equal record
     */
    public String toJson() {
        Map<String, JsonElement> fields = new TreeMap<>();
        JsonArray architectures = new JsonArray();
        architectures.add(ARCHITECTURE);
        fields.put("architectures", architectures);
        fields.put("model_type", new JsonPrimitive("llama"));
        fields.put("attention_bias", new JsonPrimitive(false));
        fields.put("mlp_bias", new JsonPrimitive(false));
        fields.put("hidden_act", new JsonPrimitive("silu"));
        fields.put("vocab_size", new JsonPrimitive(vocabSize));
        fields.put("hidden_size", new JsonPrimitive(hiddenSize));
        fields.put("intermediate_size", new JsonPrimitive(intermediateSize));
        fields.put("num_hidden_layers", new JsonPrimitive(numHiddenLayers));
        fields.put("num_attention_heads", new JsonPrimitive(numAttentionHeads));
        fields.put("num_key_value_heads", new JsonPrimitive(numKeyValueHeads));
        fields.put("head_dim", new JsonPrimitive(headDim));
        fields.put("rms_norm_eps", new JsonPrimitive(rmsNormEps));
        fields.put("rope_theta", new JsonPrimitive(ropeTheta));
        fields.put("rope_scaling", ropeScaling == null ? JsonNull.INSTANCE : ropeScaling.toJson());
        fields.put("max_position_embeddings", new JsonPrimitive(maxPositionEmbeddings));
        fields.put("tie_word_embeddings", new JsonPrimitive(tieWordEmbeddings));
        fields.put("bos_token_id", bosTokenId < 0 ? JsonNull.INSTANCE : new JsonPrimitive(bosTokenId));
        JsonElement eos;
        if (eosTokenIds.isEmpty()) {
            eos = JsonNull.INSTANCE;
        } else if (eosTokenIds.size() == 1) {
            eos = new JsonPrimitive(eosTokenIds.get(0));
        } else {
            JsonArray ids = new JsonArray();
            eosTokenIds.forEach(ids::add);
            eos = ids;
        }
        fields.put("eos_token_id", eos);
        if (torchDtype != null) {
            fields.put("torch_dtype", new JsonPrimitive(torchDtype));
        }
        JsonObject json = new JsonObject();
        fields.forEach(json::add);
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(json) + "\n";
    }

    private static void positive(String field, int value) {
        if (value <= 0) {
            throw new IllegalParameterException(field, value, "must be > 0");
        }
    }

    private static void checkArchitecture(Json.Fields f, Path source) {
        List<String> architectures = f.optionalStrings("architectures");
        String modelType = f.optionalString("model_type");
        if (architectures != null) {
            if (!architectures.contains(ARCHITECTURE)) {
                throw new ModelFormatException(source, "architectures " + architectures + " does not include "
                        + ARCHITECTURE + "; only LLaMA-architecture models are supported");
            }
            if (modelType != null && !modelType.equals("llama")) { // Hugging Face reads model_type first
                throw new ModelFormatException(source, "model_type is '" + modelType + "' but architectures says "
                        + ARCHITECTURE + "; expected model_type 'llama'");
            }
            return;
        }
        if (!"llama".equals(modelType)) {
            throw new ModelFormatException(source, "architectures is missing and model_type is "
                    + (modelType == null ? "missing" : "'" + modelType + "'") + "; expected model_type 'llama'");
        }
    }

}
