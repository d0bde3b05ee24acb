package dev.ivl.djl.llama;

import dev.ivl.djl.internal.Json;
import dev.ivl.core.ModelFormatException;
import dev.ivl.core.model.Scheme;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What a value model's folder records about its training in {@code ivl.json} (written by {@code ivl train}): the
 * scheme, which decides how the model is plugged into a base; the chat template its training data was rendered
 * with; the vocabulary of the bases it was trained beside; and the bases' folders.
 *
 * @param scheme the training scheme
 * @param template the chat template's name or text the training data was rendered with, or null
 * @param vocabulary the {@link dev.ivl.core.text.Vocabularies#fingerprint fingerprint} of the training base's
 *     tokenizer, or null when not recorded
 * @param bases the training bases' folders as recorded (may no longer exist here)
 * @param alpha the weight α the model is meant to be plugged in with (a demo records the one chosen on
 *     validation), or null when not recorded
 * @param json the file's text, kept so that a saved copy of the model keeps it whole
 */
public record IvlManifest(Scheme scheme, String template, String vocabulary, List<String> bases, Float alpha,
        String json) {
    /** The file's name in a model folder. */
    public static final String FILE_NAME = "ivl.json";

    /** Copies the list. */
    public IvlManifest {
        bases = List.copyOf(bases);
    }

    /**
     * Reads {@code dir/ivl.json} if the folder has one.
     *
     * @param dir a model folder
     * @return the manifest, or empty when the folder has no {@code ivl.json} (a model made elsewhere)
     * @throws ModelFormatException naming the file and the field if the file is not valid or names no known scheme
     */
    public static Optional<IvlManifest> read(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        String text = Json.readFile(file);
        Json.Fields f = new Json.Fields(Json.parseObject(text, file), file, "");
        String label = f.optionalString("scheme");
        if (label == null) {
            throw new ModelFormatException(file, "has no field scheme (residual, cascade, cascade-no-text or"
                    + " causal-lm)");
        }
        Scheme scheme = Scheme.ofLabel(label).orElseThrow(() -> new ModelFormatException(file, "scheme \"" + label
                + "\" is not one of residual, cascade, cascade-no-text, causal-lm"));
        List<String> bases = f.optionalStrings("bases");
        Double alpha = f.optionalDouble("alpha");
        if (alpha != null && !Float.isFinite(alpha.floatValue())) {
            throw new ModelFormatException(file, "field alpha must be a finite number, got " + alpha);
        }
        return Optional.of(new IvlManifest(scheme, f.optionalString("template"), f.optionalString("vocabulary"),
                bases == null ? List.of() : bases, alpha == null ? null : alpha.floatValue(), text));
    }
}
