package dev.ivl.core;

import java.nio.file.Path;

/**
 * A model, tokenizer or data file is missing, corrupt, or disagrees with its configuration. The message starts
 * with the file and names the tensor or field concerned.
 */
public class ModelFormatException extends IvlException {
    private final transient Path file;

    /**
     * @param file the offending file (or folder)
     * @param message what is wrong, naming the tensor or field
     */
    public ModelFormatException(Path file, String message) {
        super(file + ": " + message);
        this.file = file;
    }

    /**
     * @param file the offending file (or folder)
     * @param message what is wrong, naming the tensor or field
     * @param cause the underlying failure
     */
    public ModelFormatException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
        this.file = file;
    }

    /** @return the file (or folder) the problem was found in */
    public Path file() {
        return file;
    }
}
