package dev.ivl.djl.tokenizer;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.ivl.core.ModelFormatException;
import java.nio.file.Path;

/**
 * What ivl uses of a {@code tokenizer_config.json}.
 *
 * @param file the file it came from, or null if there was none
 * @param bosToken {@code bos_token}, or null
 * @param eosToken {@code eos_token}, or null
 * @param addBosToken {@code add_bos_token}, or null if not given (then the tokenizer.json's post-processor decides)
 * @param chatTemplate {@code chat_template} (the one named "default" when it is a list), or null
 */
record TokenizerConfig(Path file, String bosToken, String eosToken, Boolean addBosToken, String chatTemplate) {
    static final TokenizerConfig NONE = new TokenizerConfig(null, null, null, null, null);

    /**
     * @param file a tokenizer_config.json
     * @return its content
     * @throws ModelFormatException if it is not valid JSON or a field has the wrong type
     */
    static TokenizerConfig read(Path file) {
        JsonObject json = JsonFiles.readObject(file);
        return new TokenizerConfig(file,
                JsonFiles.specialToken(file, json, "bos_token"),
                JsonFiles.specialToken(file, json, "eos_token"),
                JsonFiles.optionalBoolean(file, json, "add_bos_token"),
                chatTemplate(file, json.get("chat_template")));
    }

    /** A chat template is a string, or a list of {name, template} from which the "default" one is used. */
    private static String chatTemplate(Path file, JsonElement value) {
        if (value == null || value.isJsonNull()) {
            return null;
        }
        if (JsonFiles.isString(value)) {
            return value.getAsString();
        }
        if (!value.isJsonArray()) {
            throw new ModelFormatException(file, "chat_template must be a string or a list of {name, template}, got "
                    + JsonFiles.abbreviate(value));
        }
        JsonArray list = value.getAsJsonArray();
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < list.size(); i++) {
            JsonElement entry = list.get(i);
            if (!entry.isJsonObject() || !JsonFiles.isString(entry.getAsJsonObject().get("name"))
                    || !JsonFiles.isString(entry.getAsJsonObject().get("template"))) {
                throw new ModelFormatException(file,
                        "chat_template[" + i + "] must be {\"name\": ..., \"template\": ...}");
            }
            String name = entry.getAsJsonObject().get("name").getAsString();
            if (name.equals("default") || list.size() == 1) {
                return entry.getAsJsonObject().get("template").getAsString();
            }
            names.append(names.length() == 0 ? "" : ", ").append(name);
        }
        throw new ModelFormatException(file, "chat_template lists templates " + names + " but none named \"default\"");
    }
}
