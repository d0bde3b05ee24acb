package dev.ivl.djl.train;

import com.google.gson.JsonParser;
import dev.ivl.core.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** What the trained model learns and how it sees the base model. */
public enum Scheme {
    /** IVL's default: the value model sees the text only; z_post = stop_gradient(z_base) + z_delta. */
    RESIDUAL,
    /** The value model's input is {@code p_base·W_e + embed(x)}: the base's distribution through the embeddings. */
    CASCADE,
    /** As {@link #CASCADE} without the text embedding: {@code p_base·W_e} only. */
    CASCADE_NO_TEXT,
    /** Plain causal-LM training with no base model (pre-training, full fine-tuning, baselines). */
    CAUSAL_LM;

    /** @return the name used on the command line and in {@code ivl.json}, e.g. {@code cascade-no-text} */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * The scheme a value model was trained with, from the {@code ivl.json} that {@link IvlTrainer} writes beside it.
     *
     * @param modelDir a model folder
     * @return the recorded scheme, or {@link #RESIDUAL} when the folder has no {@code ivl.json} (a value model
     *     made elsewhere)
     * @throws ModelFormatException if {@code ivl.json} cannot be read or names no known scheme
     */
    public static Scheme recordedIn(Path modelDir) {
        Path file = modelDir.resolve(IvlTrainer.IVL_FILE);
        if (!Files.exists(file)) {
            return RESIDUAL;
        }
        try {
            String label = JsonParser.parseString(Files.readString(file)).getAsJsonObject().get("scheme")
                    .getAsString();
            for (Scheme s : values()) {
                if (s.label().equals(label)) {
                    return s;
                }
            }
            throw new ModelFormatException(file, "scheme \"" + label + "\" is not one of residual, cascade,"
                    + " cascade-no-text, causal-lm");
        } catch (IOException | RuntimeException e) {
            if (e instanceof ModelFormatException m) {
                throw m;
            }
            throw new ModelFormatException(file, "cannot read the field scheme: " + e.getMessage(), e);
        }
    }
}
