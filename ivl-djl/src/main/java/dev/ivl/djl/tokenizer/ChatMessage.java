package dev.ivl.djl.tokenizer;

import java.util.Objects;

/**
 * One message of a conversation.
 *
 * @param role who speaks: {@code system}, {@code user} or {@code assistant} (templates may know other roles)
 * @param content what is said
 */
public record ChatMessage(String role, String content) {
    /** @throws NullPointerException if role or content is null */
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    /** @return a message with role {@code system} */
    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    /** @return a message with role {@code user} */
    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    /** @return a message with role {@code assistant} */
    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }
}
