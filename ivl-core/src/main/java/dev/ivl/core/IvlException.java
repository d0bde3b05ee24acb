package dev.ivl.core;

/**
 * Root of ivl's exceptions. All are unchecked; each subclass says which kind of input was wrong, and every
 * message names the parameter, file, tensor or field concerned.
 */
public class IvlException extends RuntimeException {
    /** @param message what went wrong and where */
    public IvlException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong and where
     * @param cause the underlying failure
     */
    public IvlException(String message, Throwable cause) {
        super(message, cause);
    }
}
