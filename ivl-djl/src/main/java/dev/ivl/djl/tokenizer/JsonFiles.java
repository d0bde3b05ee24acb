package dev.ivl.djl.tokenizer;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.ivl.core.ModelFormatException;
import dev.ivl.djl.internal.Json;
import java.nio.file.Path;

/**
 * The tokenizer files' own JSON shapes (special tokens as strings or objects, id lists), over {@link Json}; every
 * defect is a {@link ModelFormatException}.
 */
final class JsonFiles {
    private JsonFiles() {
    }

    /**
     * @param file a JSON file whose top level must be an object
     * @return the parsed object
     * @throws ModelFormatException if the file cannot be read or is not a JSON object
     */
    static JsonObject readObject(Path file) {
        return Json.readObject(file);
    }

    /**
     * Reads a special token written either as a plain string or as an added-token object {@code {"content": ...}}.
     *
     * @return the token's text, or null if the field is absent or null
     */
    static String specialToken(Path file, JsonObject object, String field) {
        JsonElement value = object.get(field);
        if (value == null || value.isJsonNull()) {
            return null;
        }
        if (isString(value)) {
            return value.getAsString();
        }
        if (value.isJsonObject() && isString(value.getAsJsonObject().get("content"))) {
            return value.getAsJsonObject().get("content").getAsString();
        }
        throw new ModelFormatException(file, field + " must be a string or an object with a string \"content\", got "
                + abbreviate(value));
    }

    /** @return the boolean field, or null if it is absent or null */
    static Boolean optionalBoolean(Path file, JsonObject object, String field) {
        JsonElement value = object.get(field);
        if (value == null || value.isJsonNull()) {
            return null;
        }
        if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isBoolean()) {
            return value.getAsBoolean();
        }
        throw new ModelFormatException(file, field + " must be true or false, got " + abbreviate(value));
    }

    /** @return the field as ids: an integer or a list of integers; an empty array if absent or null */
    static int[] idList(Path file, JsonObject object, String field) {
        JsonElement value = object.get(field);
        if (value == null || value.isJsonNull()) {
            return new int[0];
        }
        if (value.isJsonArray()) {
            JsonArray array = value.getAsJsonArray();
            int[] ids = new int[array.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = id(file, field + "[" + i + "]", array.get(i));
            }
            return ids;
        }
        return new int[] {id(file, field, value)};
    }

    /** @return the element as a non-negative int id */
    static int id(Path file, String field, JsonElement value) {
        Long number = Json.exactLong(value);
        if (number != null && number >= 0 && number <= Integer.MAX_VALUE) {
            return number.intValue();
        }
        throw new ModelFormatException(file, field + " must be a non-negative integer id, got " + abbreviate(value));
    }

    static boolean isString(JsonElement value) {
        return value != null && value.isJsonPrimitive() && ((JsonPrimitive) value).isString();
    }

    static String abbreviate(JsonElement value) {
        String text = String.valueOf(value);
        return text.length() <= 60 ? text : text.substring(0, 57) + "...";
    }
}
