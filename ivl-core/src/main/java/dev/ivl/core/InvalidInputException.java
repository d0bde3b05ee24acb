package dev.ivl.core;

/**
 * Input given to a model or generator cannot be used: token ids out of range, a prompt longer than the context,
 * vocabularies that do not match.
 */
public class InvalidInputException extends IvlException {
    /** @param message what is wrong with the input */
    public InvalidInputException(String message) {
        super(message);
    }
}
