package dev.ivl.djl.vocab;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.ModelFormatException;
import dev.ivl.djl.internal.TextLines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the texts of corpus files, in order: in a {@code .jsonl} file, each line is a JSON object whose string
 * fields with the given names are texts (in the order of the names); in any other file, each line that is not blank
 * is a text.
 */
public final class CorpusTexts {
    /** The fields read from {@code .jsonl} lines by default. */
    public static final List<String> DEFAULT_FIELDS = List.of("text", "instruction", "response");

    private CorpusTexts() {}

    /**
     * @param files the corpus files, read one after the other
     * @param limit the most texts to read
     * @param jsonlFields the fields of a {@code .jsonl} line that are texts
     * @return up to {@code limit} texts
     * @throws ModelFormatException naming the file and line if a file cannot be read, is not UTF-8, or has a
     *     {@code .jsonl} line that is not a JSON object
     * @throws IllegalParameterException if the limit is negative
     */
    public static List<String> read(List<Path> files, int limit, List<String> jsonlFields) {
        if (limit < 0) {
            throw new IllegalParameterException("limit", limit, "must not be negative");
        }
        List<String> texts = new ArrayList<>();
        for (Path file : files) {
            if (texts.size() >= limit) {
                break;
            }
            boolean jsonl = file.getFileName().toString().endsWith(".jsonl");
            try (TextLines lines = new TextLines(file, Files.newInputStream(file))) {
                for (String line = lines.next(); line != null && texts.size() < limit; line = lines.next()) {
                    int lineNumber = lines.number();
                    if (line.isBlank()) {
                        continue;
                    }
                    if (!jsonl) {
                        texts.add(line);
                        continue;
                    }
                    JsonElement json;
                    try {
                        json = JsonParser.parseString(line);
                    } catch (JsonParseException e) {
                        throw new ModelFormatException(file, "line " + lineNumber + " is not valid JSON: "
                                + e.getMessage(), e);
                    }
                    if (!json.isJsonObject()) {
                        throw new ModelFormatException(file, "line " + lineNumber + " is not a JSON object");
                    }
                    for (String field : jsonlFields) {
                        JsonElement value = json.getAsJsonObject().get(field);
                        if (value != null && value.isJsonPrimitive() && value.getAsJsonPrimitive().isString()
                                && !value.getAsString().isBlank() && texts.size() < limit) {
                            texts.add(value.getAsString());
                        }
                    }
                }
            } catch (IOException e) {
                throw new ModelFormatException(file, "cannot be read: " + e, e);
            }
        }
        return texts;
    }
}
