package dev.ivl.djl.internal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import dev.ivl.core.Limits;
import dev.ivl.core.ModelFormatException;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The one JSON helper of ivl-djl: strict parsing of the files a model folder holds (config.json, safetensors
 * headers and index, tokenizer files, generation_config.json, ivl.json), and typed field access, every defect a
 * {@link ModelFormatException} naming the file and the field. Not API: it may change in any release.
 */
public final class Json {
    private Json() {}

    /** How deeply JSON values may nest; the files ivl reads nest a few levels. */
    private static final int MAX_DEPTH = 200;

    /**
     * Parses one strict JSON value, with nothing but whitespace after it. A name repeated in one object is refused
     * (a parser that keeps the last one would silently drop the first, e.g. a tensor of a safetensors header), and
     * so is nesting deeper than 200 levels.
     *
     * @param file the file, named in messages
     * @param what names the text in messages ("header", "the index"), or null for the file itself
     * @param text the JSON text
     * @return the value
     * @throws ModelFormatException naming the file and the first error
     */
    public static JsonElement parse(Path file, String what, Reader text) {
        String subject = what == null ? "" : what + " is ";
        try {
            JsonReader reader = new JsonReader(text);
            reader.setStrictness(Strictness.STRICT);
            JsonElement root = read(reader, 0, file, subject);
            reader.peek(); // strict mode throws here unless only whitespace follows
            return root;
        } catch (JsonParseException | IOException | IllegalStateException | NumberFormatException e) {
            Throwable cause = e;
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            String message = String.valueOf(cause.getMessage());
            int see = message.indexOf("\nSee ");
            message = (see < 0 ? message : message.substring(0, see))
                    .replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept ", "");
            throw new ModelFormatException(file, (what == null ? "" : what + " is ") + "not valid JSON: " + message, e);
        }
    }

    /** Reads one value, refusing repeated names and deep nesting. */
    private static JsonElement read(JsonReader in, int depth, Path file, String subject) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new ModelFormatException(file, subject + "not valid JSON: nested deeper than " + MAX_DEPTH
                    + " levels at " + in.getPath());
        }
        switch (in.peek()) {
            case BEGIN_OBJECT -> {
                JsonObject object = new JsonObject();
                in.beginObject();
                while (in.hasNext()) {
                    String name = in.nextName();
                    if (object.has(name)) {
                        throw new ModelFormatException(file, subject + "not valid: the name \"" + name
                                + "\" appears twice in one object (at " + in.getPath() + ")");
                    }
                    object.add(name, read(in, depth + 1, file, subject));
                }
                in.endObject();
                return object;
            }
            case BEGIN_ARRAY -> {
                JsonArray array = new JsonArray();
                in.beginArray();
                while (in.hasNext()) {
                    array.add(read(in, depth + 1, file, subject));
                }
                in.endArray();
                return array;
            }
            case STRING -> {
                return new JsonPrimitive(in.nextString());
            }
            case NUMBER -> {
                return new JsonPrimitive(new BigDecimal(in.nextString()));
            }
            case BOOLEAN -> {
                return new JsonPrimitive(in.nextBoolean());
            }
            case NULL -> {
                in.nextNull();
                return JsonNull.INSTANCE;
            }
            default -> throw new ModelFormatException(file, subject + "not valid JSON at " + in.getPath());
        }
    }

    /**
     * @param element a JSON value, or null
     * @return the value if it is a JSON number with an integral value in long range ({@code 3}, {@code 3.0},
     *     {@code 3e0}), else null
     */
    public static Long exactLong(JsonElement element) {
        if (!(element instanceof JsonPrimitive primitive) || !primitive.isNumber()) {
            return null;
        }
        try {
            return new BigDecimal(primitive.getAsString()).longValueExact();
        } catch (ArithmeticException | NumberFormatException e) {
            return null;
        }
    }

    /**
     * @param file a small JSON file of a model folder
     * @return its text
     * @throws ModelFormatException if it is missing, unreadable, or larger than
     *     {@link Limits#MAX_CONFIG_JSON_BYTES}
     */
    public static String readFile(Path file) {
        return readFile(file, Limits.MAX_CONFIG_JSON_BYTES);
    }

    /**
     * @param file a file
     * @param maxBytes the largest size accepted, checked before reading
     * @return its text
     * @throws ModelFormatException if it is missing, unreadable or too large
     */
    public static String readFile(Path file, long maxBytes) {
        try {
            long size = Files.size(file);
            if (size > maxBytes) {
                throw new ModelFormatException(file, "is " + size + " bytes, more than the " + maxBytes
                        + " a file of its kind may have (dev.ivl.core.Limits)");
            }
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file, "file not found", e);
        } catch (IOException e) {
            throw new ModelFormatException(file, "cannot read: " + e, e);
        }
    }

    /**
     * @param json the text of a JSON object
     * @param source the file it came from, for messages
     * @return the object (strict JSON, nothing after it)
     * @throws ModelFormatException if the text is not one strict JSON object
     */
    public static JsonObject parseObject(String json, Path source) {
        JsonElement root = parse(source, null, new StringReader(json));
        if (!root.isJsonObject()) {
            throw new ModelFormatException(source, "is not a JSON object at the top level");
        }
        return root.getAsJsonObject();
    }

    /**
     * @param file a JSON file whose top level must be an object
     * @return the object
     * @throws ModelFormatException if the file cannot be read or is not one strict JSON object
     */
    public static JsonObject readObject(Path file) {
        return parseObject(readFile(file), file);
    }

    /**
     * @param file a JSON file whose top level must be an object
     * @param maxBytes the largest size accepted, checked before reading
     * @return the object
     * @throws ModelFormatException if the file cannot be read, is too large or is not one strict JSON object
     */
    public static JsonObject readObject(Path file, long maxBytes) {
        return parseObject(readFile(file, maxBytes), file);
    }

    /**
     * Typed access to the fields of a Hugging Face JSON configuration object, with errors naming the file and the
     * field. Absent fields and JSON nulls read alike.
     */
    public static final class Fields {
        private final JsonObject object;
        private final Path source;
        private final String prefix;

        /**
         * @param object the JSON object
         * @param source the file, for messages
         * @param prefix prepended to field names in messages (e.g. {@code "rope_scaling."})
         */
        public Fields(JsonObject object, Path source, String prefix) {
            this.object = object;
            this.source = source;
            this.prefix = prefix;
        }

        /** @return the file, for messages */
        public Path source() {
            return source;
        }

        /** @return what field names are prefixed with in messages */
        public String prefix() {
            return prefix;
        }

        private JsonElement get(String name) {
            JsonElement value = object.get(name);
            return value == null || value.isJsonNull() ? null : value;
        }

        private ModelFormatException wrongType(String name, String expected, JsonElement value) {
            return new ModelFormatException(source, prefix + name + " must be " + expected + ", got " + value);
        }

        /** @return the integer field; ModelFormatException if it is absent or not an integer in int range */
        public int requiredInt(String name) {
            Integer value = optionalInt(name);
            if (value == null) {
                throw new ModelFormatException(source, "missing required field " + prefix + name);
            }
            return value;
        }

        /** @return the integer field, or null if absent; ModelFormatException if it is not an integer */
        public Integer optionalInt(String name) {
            JsonElement value = get(name);
            if (value == null) {
                return null;
            }
            Integer result = asInt(value);
            if (result == null) {
                throw wrongType(name, "an integer", value);
            }
            return result;
        }

        /** @return the number field; ModelFormatException if it is absent or not a number */
        public double requiredDouble(String name) {
            Double value = optionalDouble(name);
            if (value == null) {
                throw new ModelFormatException(source, "missing required field " + prefix + name);
            }
            return value;
        }

        /** @return the number field, or null if absent; ModelFormatException if it is not a number */
        public Double optionalDouble(String name) {
            JsonElement value = get(name);
            if (value == null) {
                return null;
            }
            if (!(value.isJsonPrimitive() && value.getAsJsonPrimitive().isNumber())) {
                throw wrongType(name, "a number", value);
            }
            double d = value.getAsDouble();
            if (!Double.isFinite(d)) {
                throw wrongType(name, "a finite number", value);
            }
            return d;
        }

        /** @return the boolean field, or null if absent; ModelFormatException if it is not true or false */
        public Boolean optionalBoolean(String name) {
            JsonElement value = get(name);
            if (value == null) {
                return null;
            }
            if (!(value.isJsonPrimitive() && value.getAsJsonPrimitive().isBoolean())) {
                throw wrongType(name, "true or false", value);
            }
            return value.getAsBoolean();
        }

        /** @return the string field, or null if absent; ModelFormatException if it is not a string */
        public String optionalString(String name) {
            JsonElement value = get(name);
            if (value == null) {
                return null;
            }
            if (!(value.isJsonPrimitive() && value.getAsJsonPrimitive().isString())) {
                throw wrongType(name, "a string", value);
            }
            return value.getAsString();
        }

        /** @return the list-of-strings field, or null if absent; ModelFormatException if it is not one */
        public List<String> optionalStrings(String name) {
            JsonElement value = get(name);
            if (value == null) {
                return null;
            }
            if (!value.isJsonArray()) {
                throw wrongType(name, "a list of strings", value);
            }
            List<String> strings = new ArrayList<>();
            for (JsonElement e : value.getAsJsonArray()) {
                if (!(e.isJsonPrimitive() && e.getAsJsonPrimitive().isString())) {
                    throw wrongType(name, "a list of strings", value);
                }
                strings.add(e.getAsString());
            }
            return strings;
        }

        /** @return the object field, or null if absent; ModelFormatException if it is not an object */
        public JsonObject optionalObject(String name) {
            JsonElement value = get(name);
            if (value == null) {
                return null;
            }
            if (!value.isJsonObject()) {
                throw wrongType(name, "an object", value);
            }
            return value.getAsJsonObject();
        }

        /** @return token ids given as one integer, a list of integers, or null/absent (empty list); all ≥ 0 */
        public List<Integer> tokenIds(String name) {
            JsonElement value = get(name);
            if (value == null) {
                return List.of();
            }
            List<Integer> ids = new ArrayList<>();
            if (value.isJsonArray()) {
                for (JsonElement e : value.getAsJsonArray()) {
                    ids.add(asInt(e));
                }
            } else {
                ids.add(asInt(value));
            }
            if (ids.contains(null) || ids.stream().anyMatch(id -> id < 0)) {
                throw wrongType(name, "a token id >= 0 or a list of them", value);
            }
            return List.copyOf(ids);
        }

        /** @return the value if it is a JSON number with an integral value in int range, else null */
        private static Integer asInt(JsonElement element) {
            Long value = exactLong(element);
            return value == null || value != value.intValue() ? null : value.intValue();
        }
    }
}
