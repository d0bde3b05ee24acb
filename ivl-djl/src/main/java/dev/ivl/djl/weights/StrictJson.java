package dev.ivl.djl.weights;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import dev.ivl.core.ModelFormatException;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Path;

/** Strict JSON for the checkpoint's own files (safetensors headers, index files, config.json). */
public final class StrictJson {
    private StrictJson() {}

    /**
     * Parses one strict JSON value, with nothing but whitespace after it.
     *
     * @param file the file, named in messages
     * @param what names the text in messages ("header", "the index"), or null for the file itself
     * @param text the JSON text
     * @return the value
     * @throws ModelFormatException naming the file and Gson's description of the first error
     */
    public static JsonElement parse(Path file, String what, Reader text) {
        try {
            JsonReader reader = new JsonReader(text);
            reader.setStrictness(Strictness.STRICT);
            JsonElement root = JsonParser.parseReader(reader);
            reader.peek(); // strict mode throws here unless only whitespace follows
            return root;
        } catch (JsonParseException | IOException | IllegalStateException e) {
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
}
