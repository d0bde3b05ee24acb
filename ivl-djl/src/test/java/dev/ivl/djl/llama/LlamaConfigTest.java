package dev.ivl.djl.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parses Hugging Face LLaMA configs: the reference fixtures, defaults, rope scaling, and invalid files. */
class LlamaConfigTest {
    private static final Path SOURCE = Path.of("models/x/config.json");

    private static Path fixture(String name) {
        Path local = Path.of(System.getProperty("ivl.fixtures.dir"), "hf-llama", name);
        if (Files.isDirectory(local)) {
            return local;
        }
        Path shared = Path.of(System.getProperty("ivl.shared.dir", "../shared"), "conformance", "hf-llama", name);
        assumeTrue(Files.isDirectory(shared), "shared conformance fixtures not present: " + shared);
        return shared;
    }

    /** A minimal valid config with {@code extra} members added (a JSON fragment starting with a comma, or ""). */
    private static String config(String extra) {
        return "{\"architectures\": [\"LlamaForCausalLM\"], \"vocab_size\": 1000, \"hidden_size\": 64,"
                + " \"intermediate_size\": 128, \"num_hidden_layers\": 2, \"num_attention_heads\": 8" + extra + "}";
    }

    private static ModelFormatException refused(String json, String... parts) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaConfig.parse(json, SOURCE));
        assertEquals(SOURCE, e.file());
        assertTrue(e.getMessage().startsWith(SOURCE.toString()), e.getMessage());
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "'" + e.getMessage() + "' does not mention '" + part + "'");
        }
        return e;
    }

    @Test
    void theReferenceFixturesParseToTheirValues() {
        // values as written in each fixture's config.json
        assertEquals(new LlamaConfig(1024, 64, 176, 2, 4, 4, 16, 1e-5, 10000, null, 256, false, 1, List.of(2),
                "float32"), LlamaConfig.load(fixture("mha")));
        assertEquals(new LlamaConfig(1024, 96, 256, 3, 6, 2, 16, 1e-6, 500000, null, 256, true, 1, List.of(2),
                "float32"), LlamaConfig.load(fixture("gqa-tied")));
        assertEquals(new LlamaConfig(32000, 32, 88, 2, 4, 1, 8, 1e-5, 10000, null, 256, true, 1, List.of(2),
                "float16"), LlamaConfig.load(fixture("mqa-llama2vocab-fp16")));
        assertEquals(new LlamaConfig(1024, 128, 344, 2, 8, 4, 16, 1e-5, 10000, null, 256, false, 1, List.of(2),
                "bfloat16"), LlamaConfig.load(fixture("gqa-bf16")));
        assertEquals(new LlamaConfig(1024, 64, 160, 5, 4, 2, 16, 1e-5, 10000, null, 256, false, 1, List.of(2),
                "float32"), LlamaConfig.load(fixture("sharded-deep")));
        assertEquals(3, LlamaConfig.load(fixture("gqa-tied")).groupSize());
    }

    @Test
    void absentFieldsTakeHuggingFaceDefaults() {
        LlamaConfig c = LlamaConfig.parse(config(""), SOURCE);
        assertEquals(8, c.numKeyValueHeads());
        assertEquals(8, c.headDim());
        assertEquals(1e-6, c.rmsNormEps());
        assertEquals(10000, c.ropeTheta());
        assertNull(c.ropeScaling());
        assertEquals(2048, c.maxPositionEmbeddings());
        assertEquals(false, c.tieWordEmbeddings());
        assertEquals(-1, c.bosTokenId());
        assertEquals(List.of(), c.eosTokenIds());
        assertNull(c.torchDtype());
        // explicit nulls read as absent
        assertEquals(c, LlamaConfig.parse(config(", \"num_key_value_heads\": null, \"head_dim\": null,"
                + " \"rope_scaling\": null, \"bos_token_id\": null, \"eos_token_id\": null"), SOURCE));
    }

    @Test
    void tokenIdsMayBeIntegersOrLists() {
        LlamaConfig c = LlamaConfig.parse(config(", \"bos_token_id\": [128000],"
                + " \"eos_token_id\": [128001, 128008, 128009]"), SOURCE);
        assertEquals(128000, c.bosTokenId());
        assertEquals(List.of(128001, 128008, 128009), c.eosTokenIds());
        refused(config(", \"bos_token_id\": [1, 2]"), "bos_token_id");
        refused(config(", \"eos_token_id\": [2, \"x\"]"), "eos_token_id");
        refused(config(", \"eos_token_id\": -1"), "eos_token_id");
    }

    @Test
    void anExplicitHeadDimMayDifferFromHiddenOverHeads() {
        LlamaConfig c = LlamaConfig.parse(config(", \"head_dim\": 32, \"num_key_value_heads\": 2"), SOURCE);
        assertEquals(32, c.headDim());
        assertEquals(4, c.groupSize());
    }

    @Test
    void llama3RopeScalingAsInLlama31() {
        LlamaConfig c = LlamaConfig.parse(config(", \"rope_theta\": 500000.0, \"max_position_embeddings\": 131072,"
                + " \"rope_scaling\": {\"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0,"
                + " \"original_max_position_embeddings\": 8192, \"rope_type\": \"llama3\"}"), SOURCE);
        assertEquals(new RopeScaling("llama3", 8, 1, 4, 8192), c.ropeScaling());
        assertEquals(500000, c.ropeTheta());
        assertEquals(131072, c.maxPositionEmbeddings());
        refused(config(", \"rope_scaling\": {\"factor\": 8.0, \"low_freq_factor\": 1.0, \"rope_type\": \"llama3\","
                + " \"original_max_position_embeddings\": 8192}"), "rope_scaling.high_freq_factor");
        refused(config(", \"rope_scaling\": {\"factor\": 8.0, \"low_freq_factor\": 4.0, \"high_freq_factor\": 1.0,"
                + " \"original_max_position_embeddings\": 8192, \"rope_type\": \"llama3\"}"),
                "rope_scaling.high_freq_factor", "low_freq_factor");
    }

    @Test
    void linearAndDynamicRopeScalingAndTheOldTypeKey() {
        assertEquals(new RopeScaling("linear", 4, 0, 0, 2048),
                LlamaConfig.parse(config(", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 4}"), SOURCE)
                        .ropeScaling());
        assertEquals(new RopeScaling("dynamic", 2, 0, 0, 4096),
                LlamaConfig.parse(config(", \"max_position_embeddings\": 4096,"
                        + " \"rope_scaling\": {\"rope_type\": \"dynamic\", \"factor\": 2.0}"), SOURCE).ropeScaling());
        assertNull(LlamaConfig.parse(config(", \"rope_scaling\": {\"rope_type\": \"default\"}"), SOURCE)
                .ropeScaling());
        refused(config(", \"rope_scaling\": {\"rope_type\": \"linear\"}"), "rope_scaling.factor");
        refused(config(", \"rope_scaling\": {\"rope_type\": \"linear\", \"factor\": 0.5}"), "rope_scaling.factor");
        refused(config(", \"rope_scaling\": {\"factor\": 2}"), "rope_scaling.rope_type");
    }

    @Test
    void unsupportedRopeTypesAreRefusedByName() {
        refused(config(", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0,"
                + " \"original_max_position_embeddings\": 32768}"), "rope_scaling.rope_type", "'yarn'");
        refused(config(", \"rope_scaling\": {\"type\": \"longrope\", \"factor\": 4.0}"), "rope_scaling.rope_type",
                "'longrope'");
        refused(config(", \"rope_scaling\": \"linear\""), "rope_scaling");
    }

    @Test
    void transformers5RopeParametersAreRead() {
        LlamaConfig c = LlamaConfig.parse(config(", \"rope_parameters\": {\"rope_type\": \"default\","
                + " \"rope_theta\": 500000.0}"), SOURCE);
        assertEquals(500000, c.ropeTheta());
        assertNull(c.ropeScaling());
        LlamaConfig scaled = LlamaConfig.parse(config(", \"rope_parameters\": {\"rope_type\": \"llama3\","
                + " \"rope_theta\": 500000.0, \"factor\": 32.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0,"
                + " \"original_max_position_embeddings\": 8192}"), SOURCE);
        assertEquals(new RopeScaling("llama3", 32, 1, 4, 8192), scaled.ropeScaling());
        refused(config(", \"rope_parameters\": {\"rope_type\": \"yarn\", \"factor\": 2.0}"),
                "rope_parameters.rope_type", "'yarn'");
    }

    @Test
    void otherArchitecturesAndUnsupportedFeaturesAreRefused() {
        refused(config("").replace("LlamaForCausalLM", "MistralForCausalLM"), "architectures",
                "MistralForCausalLM");
        refused(config("").replace("\"architectures\": [\"LlamaForCausalLM\"],", ""), "model_type", "missing");
        refused(config("").replace("\"architectures\": [\"LlamaForCausalLM\"],", "\"model_type\": \"qwen2\","),
                "model_type", "'qwen2'");
        assertEquals(64, LlamaConfig.parse(config("").replace("\"architectures\": [\"LlamaForCausalLM\"],",
                "\"model_type\": \"llama\","), SOURCE).hiddenSize());
        refused(config(", \"attention_bias\": true"), "attention_bias");
        refused(config(", \"mlp_bias\": true"), "mlp_bias");
        refused(config(", \"hidden_act\": \"gelu\""), "hidden_act", "gelu");
        assertEquals(64, LlamaConfig.parse(config(", \"attention_bias\": false, \"mlp_bias\": false,"
                + " \"hidden_act\": \"silu\""), SOURCE).hiddenSize());
    }

    @Test
    void inconsistentOrInvalidSizesAreRefusedByField() {
        refused(config(", \"num_key_value_heads\": 3"), "num_key_value_heads", "must divide num_attention_heads");
        refused(config("").replace("\"hidden_size\": 64", "\"hidden_size\": 60"), "hidden_size 60",
                "num_attention_heads 8");
        refused(config(", \"head_dim\": 7"), "head_dim", "even");
        refused(config("").replace("\"vocab_size\": 1000", "\"vocab_size\": 0"), "vocab_size must be > 0, got 0");
        refused(config("").replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": -2"), "num_hidden_layers");
        refused(config("").replace("\"num_attention_heads\": 8", "\"num_attention_heads\": 0"),
                "num_attention_heads");
        refused(config(", \"rms_norm_eps\": 0"), "rms_norm_eps");
        refused(config(", \"rope_theta\": -1"), "rope_theta");
        refused(config(", \"max_position_embeddings\": 0"), "max_position_embeddings");
    }

    @Test
    void missingOrMistypedFieldsAreNamed() {
        refused(config("").replace("\"intermediate_size\": 128,", ""), "missing required field intermediate_size");
        refused(config("").replace("\"hidden_size\": 64", "\"hidden_size\": \"64\""), "hidden_size",
                "must be an integer");
        refused(config("").replace("\"hidden_size\": 64", "\"hidden_size\": 64.5"), "hidden_size");
        refused(config(", \"tie_word_embeddings\": \"yes\""), "tie_word_embeddings");
        refused(config("").replace("[\"LlamaForCausalLM\"]", "\"LlamaForCausalLM\""), "architectures");
        assertEquals(64, LlamaConfig.parse(config("").replace("\"hidden_size\": 64", "\"hidden_size\": 64.0"),
                SOURCE).hiddenSize());
    }

    @Test
    void aMissingOrMalformedFileIsNamed(@TempDir Path dir) throws IOException {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LlamaConfig.load(dir));
        assertEquals(dir.resolve("config.json"), e.file());
        assertTrue(e.getMessage().contains(dir.resolve("config.json").toString()));
        assertTrue(e.getMessage().contains("not found"));
        refused("{\"vocab_size\": 1000,", "not valid JSON");
        refused("[1, 2]", "not a JSON object");
        refused(config("") + " trailing", "not valid JSON");
    }

    @Test
    void toJsonWritesTheHuggingFaceLayoutAndReadsBackEqual() {
        LlamaConfig llama31 = new LlamaConfig(128256, 4096, 14336, 32, 32, 8, 128, 1e-5, 500000,
                new RopeScaling("llama3", 8, 1, 4, 8192), 131072, false, 128000, List.of(128001, 128008, 128009),
                "bfloat16");
        LlamaConfig linear = new LlamaConfig(32000, 2048, 5632, 22, 32, 4, 64, 1e-5, 10000,
                new RopeScaling("linear", 2, 0, 0, 2048), 2048, true, -1, List.of(), null);
        LlamaConfig dynamic = new LlamaConfig(32000, 2048, 5632, 22, 32, 4, 64, 1e-5, 10000,
                new RopeScaling("dynamic", 2, 0, 0, 1024), 2048, true, 1, List.of(2), "float16");
        for (LlamaConfig c : List.of(llama31, linear, dynamic, LlamaConfig.load(fixture("gqa-tied")))) {
            assertEquals(c, LlamaConfig.parse(c.toJson(), SOURCE));
        }
        JsonObject json = JsonParser.parseString(llama31.toJson()).getAsJsonObject();
        assertEquals("LlamaForCausalLM", json.getAsJsonArray("architectures").get(0).getAsString());
        assertEquals("llama", json.get("model_type").getAsString());
        assertEquals(8, json.get("num_key_value_heads").getAsInt());
        assertEquals(128000, json.get("bos_token_id").getAsInt());
        assertEquals(3, json.getAsJsonArray("eos_token_id").size());
        assertEquals("llama3", json.getAsJsonObject("rope_scaling").get("rope_type").getAsString());
        assertEquals(8192, json.getAsJsonObject("rope_scaling").get("original_max_position_embeddings").getAsInt());
        JsonObject plain = JsonParser.parseString(linear.toJson()).getAsJsonObject();
        assertTrue(plain.get("bos_token_id").isJsonNull());
        assertTrue(plain.get("eos_token_id").isJsonNull());
        assertEquals(List.of("factor", "rope_type"), List.copyOf(plain.getAsJsonObject("rope_scaling").keySet())
                .stream().sorted().toList());
    }

    @Test
    void theConstructorValidatesToo() {
        IllegalParameterException e = assertThrows(IllegalParameterException.class, () -> new LlamaConfig(1024, 64,
                176, 2, 4, 3, 16, 1e-5, 10000, null, 256, false, 1, List.of(2), null));
        assertEquals("num_key_value_heads", e.parameter());
        assertEquals("rope_scaling.rope_type", assertThrows(IllegalParameterException.class,
                () -> new RopeScaling("yarn", 2, 0, 0, 4096)).parameter());
        assertEquals("rope_scaling.original_max_position_embeddings", assertThrows(IllegalParameterException.class,
                () -> new RopeScaling("linear", 2, 0, 0, 0)).parameter());
    }
}
