package dev.ivl.djl.tokenizer;

/**
 * Thrown inside a chat template's rendering when the template goes past what the sandbox allows (too many steps, a
 * filter that would build too much, a filter Jinja does not have). The message completes "chat_template ...", as
 * in "takes more than 1000000 steps".
 */
final class SandboxException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SandboxException(String message) {
        super(message, null, false, false);
    }
}
