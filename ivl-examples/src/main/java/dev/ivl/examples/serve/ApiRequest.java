package dev.ivl.examples.serve;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.ivl.djl.tokenizer.ChatMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * The parameters of a completion request that the server honours, read strictly: a known field of the wrong type
 * is refused, naming it; fields it does not know (clients send {@code user}, {@code stream_options}, ...) are
 * ignored.
 *
 * @param model the requested model's name
 * @param messages the conversation ({@code /v1/chat/completions}), or null
 * @param prompt the text to continue ({@code /v1/completions}), or null
 * @param stream whether to answer as server-sent events
 * @param maxTokens {@code max_tokens} (or {@code max_completion_tokens}), or null for the rest of the context
 * @param temperature {@code temperature}, or null for the model's default
 * @param topP {@code top_p}, or null
 * @param stop the stop strings (at most 4)
 * @param seed {@code seed}, or null
 * @param alpha {@code ivl_alpha}, the value model's weight for this request, or null
 */
record ApiRequest(String model, List<ChatMessage> messages, String prompt, boolean stream, Integer maxTokens,
        Float temperature, Float topP, List<String> stop, Long seed, Float alpha) {
    /** The most stop strings, as OpenAI allows. */
    static final int MAX_STOP = 4;

    /**
     * @param body the request's JSON object
     * @param chat true for {@code /v1/chat/completions} (messages), false for {@code /v1/completions} (prompt)
     * @return the parameters
     * @throws ApiError naming the first invalid parameter
     */
    static ApiRequest parse(JsonObject body, boolean chat) {
        String model = string(body, "model", true);
        List<ChatMessage> messages = chat ? messages(body) : null;
        String prompt = chat ? null : string(body, "prompt", true);
        Integer n = integer(body, "n");
        if (n != null && n != 1) {
            throw ApiError.invalid("n", "n must be 1: one choice per request");
        }
        Integer maxTokens = integer(body, "max_tokens");
        Integer maxCompletion = integer(body, "max_completion_tokens");
        if (maxTokens == null) {
            maxTokens = maxCompletion;
        }
        if (maxTokens != null && maxTokens < 1) {
            throw ApiError.invalid("max_tokens", "max_tokens must be at least 1, got " + maxTokens);
        }
        Boolean stream = bool(body, "stream");
        JsonElement seed = body.get("seed");
        return new ApiRequest(model, messages, prompt, stream != null && stream, maxTokens, number(body, "temperature"),
                number(body, "top_p"), stop(body), seed == null || seed.isJsonNull() ? null : integral(seed, "seed"),
                number(body, "ivl_alpha"));
    }

    private static List<ChatMessage> messages(JsonObject body) {
        JsonElement e = body.get("messages");
        if (e == null || !e.isJsonArray() || e.getAsJsonArray().isEmpty()) {
            throw ApiError.invalid("messages", "messages must be a non-empty array of {role, content}");
        }
        List<ChatMessage> out = new ArrayList<>();
        JsonArray array = e.getAsJsonArray();
        for (int i = 0; i < array.size(); i++) {
            String param = "messages[" + i + "]";
            if (!array.get(i).isJsonObject()) {
                throw ApiError.invalid(param, param + " must be an object {role, content}");
            }
            JsonObject m = array.get(i).getAsJsonObject();
            String role = string(m, "role", true);
            if (!List.of("system", "user", "assistant").contains(role)) {
                throw ApiError.invalid(param + ".role", param + ".role must be system, user or assistant, got "
                        + role);
            }
            out.add(new ChatMessage(role, content(m.get("content"), param + ".content")));
        }
        return out;
    }

    /** A message's content: a string, or an array of {@code {"type": "text", "text": ...}} parts. */
    private static String content(JsonElement e, String param) {
        if (e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            return e.getAsString();
        }
        if (e != null && e.isJsonArray()) {
            StringBuilder b = new StringBuilder();
            for (JsonElement part : e.getAsJsonArray()) {
                JsonObject p = part.isJsonObject() ? part.getAsJsonObject() : null;
                if (p == null || !"text".equals(string(p, "type", false)) || string(p, "text", false) == null) {
                    throw ApiError.invalid(param, param + " parts must be {\"type\": \"text\", \"text\": ...}: this "
                            + "server reads text only");
                }
                b.append(p.get("text").getAsString());
            }
            return b.toString();
        }
        throw ApiError.invalid(param, param + " must be a string or an array of text parts");
    }

    private static List<String> stop(JsonObject body) {
        JsonElement e = body.get("stop");
        if (e == null || e.isJsonNull()) {
            return List.of();
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            return List.of(e.getAsString());
        }
        if (e.isJsonArray() && e.getAsJsonArray().size() <= MAX_STOP) {
            List<String> out = new ArrayList<>();
            for (JsonElement s : e.getAsJsonArray()) {
                if (!s.isJsonPrimitive() || !s.getAsJsonPrimitive().isString() || s.getAsString().isEmpty()) {
                    throw ApiError.invalid("stop", "stop must hold non-empty strings");
                }
                out.add(s.getAsString());
            }
            return out;
        }
        throw ApiError.invalid("stop", "stop must be a string or an array of at most " + MAX_STOP + " strings");
    }

    private static String string(JsonObject o, String name, boolean required) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            if (required) {
                throw ApiError.invalid(name, "missing required parameter " + name);
            }
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw ApiError.invalid(name, name + " must be a string");
        }
        return e.getAsString();
    }

    private static Boolean bool(JsonObject o, String name) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw ApiError.invalid(name, name + " must be true or false");
        }
        return e.getAsBoolean();
    }

    private static Float number(JsonObject o, String name) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw ApiError.invalid(name, name + " must be a number");
        }
        float v = e.getAsFloat();
        if (!Float.isFinite(v)) {
            throw ApiError.invalid(name, name + " must be a finite number");
        }
        return v;
    }

    private static Integer integer(JsonObject o, String name) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        long v = integral(e, name);
        if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
            throw ApiError.invalid(name, name + " is out of range: " + v);
        }
        return (int) v;
    }

    private static long integral(JsonElement e, String name) {
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            JsonPrimitive p = e.getAsJsonPrimitive();
            try {
                return p.getAsBigDecimal().longValueExact();
            } catch (ArithmeticException notIntegral) {
                // below
            }
        }
        throw ApiError.invalid(name, name + " must be an integer");
    }
}
