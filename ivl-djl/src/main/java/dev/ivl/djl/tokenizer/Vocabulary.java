package dev.ivl.djl.tokenizer;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.ivl.core.ModelFormatException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Map.Entry;

/**
 * The token strings of a {@code tokenizer.json}: the model's vocabulary ({@code model.vocab}, a map from token to
 * id, or for Unigram models a list of {@code [token, score]} pairs) plus the {@code added_tokens}.
 */
final class Vocabulary {
    /** Token string by id; null where no token has that id. */
    private final String[] tokens;
    private final Map<String, Integer> ids;
    private final Map<String, Integer> specialIds;

    private Vocabulary(String[] tokens, Map<String, Integer> ids, Map<String, Integer> specialIds) {
        this.tokens = tokens;
        this.ids = ids;
        this.specialIds = specialIds;
    }

    /**
     * @param file the tokenizer.json, for error messages
     * @param json its content
     * @return its vocabulary
     * @throws ModelFormatException if {@code model.vocab} is missing or an id is invalid or used twice
     */
    static Vocabulary of(Path file, JsonObject json) {
        JsonElement model = json.get("model");
        if (model == null || !model.isJsonObject()) {
            throw new ModelFormatException(file, "has no \"model\" object");
        }
        JsonElement vocab = model.getAsJsonObject().get("vocab");
        Map<String, Integer> ids = new HashMap<>();
        if (vocab != null && vocab.isJsonObject()) {
            for (Entry<String, JsonElement> entry : vocab.getAsJsonObject().entrySet()) {
                String field = "model.vocab[\"" + entry.getKey() + "\"]";
                ids.put(entry.getKey(), JsonFiles.id(file, field, entry.getValue()));
            }
        } else if (vocab != null && vocab.isJsonArray()) {
            JsonArray pieces = vocab.getAsJsonArray();
            for (int i = 0; i < pieces.size(); i++) {
                JsonElement piece = pieces.get(i);
                if (!piece.isJsonArray() || piece.getAsJsonArray().isEmpty()
                        || !JsonFiles.isString(piece.getAsJsonArray().get(0))) {
                    throw new ModelFormatException(file, "model.vocab[" + i + "] must be a [token, score] pair");
                }
                ids.put(piece.getAsJsonArray().get(0).getAsString(), i);
            }
        } else {
            throw new ModelFormatException(file, "model.vocab must be an object or a list, got "
                    + JsonFiles.abbreviate(vocab));
        }
        Map<String, Integer> specialIds = new HashMap<>();
        JsonElement added = json.get("added_tokens");
        if (added != null && added.isJsonArray()) {
            JsonArray array = added.getAsJsonArray();
            for (int i = 0; i < array.size(); i++) {
                String field = "added_tokens[" + i + "]";
                JsonElement token = array.get(i);
                if (!token.isJsonObject() || !JsonFiles.isString(token.getAsJsonObject().get("content"))) {
                    throw new ModelFormatException(file, field + " must be an object with a string \"content\"");
                }
                JsonObject object = token.getAsJsonObject();
                String content = object.get("content").getAsString();
                int id = JsonFiles.id(file, field + ".id", object.get("id"));
                Integer previous = ids.put(content, id);
                if (previous != null && previous != id) {
                    throw new ModelFormatException(file, field + " gives " + content + " id " + id
                            + " but model.vocab gives it " + previous);
                }
                JsonElement special = object.get("special");
                if (special != null && special.isJsonPrimitive() && special.getAsBoolean()) {
                    specialIds.put(content, id);
                }
            }
        }
        int size = ids.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        String[] tokens = new String[size];
        for (Entry<String, Integer> entry : ids.entrySet()) {
            String other = tokens[entry.getValue()];
            if (other != null) {
                throw new ModelFormatException(file, "id " + entry.getValue() + " is given to both " + other + " and "
                        + entry.getKey());
            }
            tokens[entry.getValue()] = entry.getKey();
        }
        // HashMap, not Map.copyOf: its tree bins keep a crafted vocabulary of colliding strings fast to load
        return new Vocabulary(tokens, Collections.unmodifiableMap(ids), Collections.unmodifiableMap(specialIds));
    }

    /** @return one more than the largest id */
    int size() {
        return tokens.length;
    }

    /** @return the token string with this id (in range), or null if no token has it */
    String token(int id) {
        return tokens[id];
    }

    /** @return the id of this token string, or null */
    Integer id(String token) {
        return ids.get(token);
    }

    /** @return the id of this special added token, or null if it is not one */
    Integer specialId(String token) {
        return specialIds.get(token);
    }
}
