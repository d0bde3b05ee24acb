package dev.ivl.djl.train.data;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.ivl.djl.tokenizer.ChatMessage;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Turns one JSONL line into an example; every defect is a {@link Malformed} saying what is wrong. */
final class Conversations {
    private static final Set<String> ROLES = Set.of("system", "user", "assistant");

    private Conversations() {}

    /** A line that is not a valid training example; the message says why (without the file and line). */
    static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * One line's example: a conversation, or a plain text (exactly one of the two is non-null).
     *
     * @param messages the conversation, or null for a plain text
     * @param text the plain text, or null for a conversation
     */
    record Example(List<ChatMessage> messages, String text) {}

    /**
     * @param line one line of the data file, not blank
     * @return the example it holds: a plain {@code text}; or a conversation, {@code messages} as given or the
     *     {@code system} (optional), user and assistant messages of an {@code instruction}/{@code response} object,
     *     where the user message is the instruction followed by a blank line and the {@code input} when there is a
     *     non-empty one
     * @throws Malformed if the line is not strict JSON, not an object, mixes forms, or lacks or mistypes a field
     */
    static Example parse(String line) throws Malformed {
        JsonObject object = parseObject(line);
        boolean chat = object.has("messages");
        boolean instruction = object.has("instruction") || object.has("response");
        boolean text = object.has("text");
        if ((chat ? 1 : 0) + (instruction ? 1 : 0) + (text ? 1 : 0) > 1) {
            throw new Malformed("more than one of \"messages\", \"instruction\"/\"response\" and \"text\" given:"
                    + " use one form only");
        }
        if (chat) {
            return new Example(messages(object.get("messages")), null);
        }
        if (instruction) {
            return new Example(instructionResponse(object), null);
        }
        if (text) {
            return new Example(null, string(object, "text", "text", true));
        }
        throw new Malformed("needs \"messages\" (a list of {role, content}), \"instruction\" and \"response\", or"
                + " \"text\"");
    }

    private static JsonObject parseObject(String line) throws Malformed {
        JsonElement root;
        try (JsonReader reader = new JsonReader(new StringReader(line))) {
            reader.setStrictness(Strictness.STRICT);
            root = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new Malformed("not valid JSON: more than one value on the line");
            }
        } catch (JsonParseException | IOException e) {
            Throwable cause = e instanceof JsonParseException && e.getCause() != null ? e.getCause() : e;
            throw new Malformed("not valid JSON: " + gsonProblem(cause.getMessage()));
        } catch (StackOverflowError e) {
            throw new Malformed("not valid JSON: nested too deeply");
        }
        if (!root.isJsonObject()) {
            throw new Malformed("not a JSON object: " + abbreviate(root));
        }
        return root.getAsJsonObject();
    }

    private static List<ChatMessage> messages(JsonElement value) throws Malformed {
        if (!value.isJsonArray() || value.getAsJsonArray().isEmpty()) {
            throw new Malformed("\"messages\" must be a non-empty list of {role, content} objects, got "
                    + abbreviate(value));
        }
        JsonArray array = value.getAsJsonArray();
        List<ChatMessage> messages = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            String where = "messages[" + i + "]";
            JsonElement element = array.get(i);
            if (!element.isJsonObject()) {
                throw new Malformed(where + " must be an object {role, content}, got " + abbreviate(element));
            }
            String role = string(element.getAsJsonObject(), "role", where + ".role", true);
            if (!ROLES.contains(role)) {
                throw new Malformed(where + ".role must be system, user or assistant, got \"" + role + "\"");
            }
            messages.add(new ChatMessage(role, string(element.getAsJsonObject(), "content", where + ".content",
                    true)));
        }
        return messages;
    }

    private static List<ChatMessage> instructionResponse(JsonObject object) throws Malformed {
        String instruction = string(object, "instruction", "instruction", true);
        String response = string(object, "response", "response", true);
        String input = string(object, "input", "input", false);
        String system = string(object, "system", "system", false);
        List<ChatMessage> messages = new ArrayList<>(3);
        if (system != null) {
            messages.add(ChatMessage.system(system));
        }
        messages.add(ChatMessage.user(input == null || input.isEmpty() ? instruction : instruction + "\n\n" + input));
        messages.add(ChatMessage.assistant(response));
        return messages;
    }

    /** @return the string field; null if it is optional and absent or null */
    private static String string(JsonObject object, String field, String name, boolean required) throws Malformed {
        JsonElement value = object.get(field);
        if (value == null || value.isJsonNull()) {
            if (required) {
                throw new Malformed("needs a string \"" + name + "\"");
            }
            return null;
        }
        if (!value.isJsonPrimitive() || !((JsonPrimitive) value).isString()) {
            throw new Malformed("\"" + name + "\" must be a string, got " + abbreviate(value));
        }
        return value.getAsString();
    }

    /** @return Gson's message on one line, without its advice on Gson's settings and without the JSON path */
    private static String gsonProblem(String message) {
        String first = String.valueOf(message).lines().findFirst().orElse("");
        return first.replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON",
                "syntax error").replaceAll(" at line \\d+ column (\\d+) path \\S*", " at column $1");
    }

    private static String abbreviate(JsonElement value) {
        String text = String.valueOf(value);
        return text.length() <= 60 ? text : text.substring(0, 57) + "...";
    }
}
