package dev.ivl.djl.tokenizer;

import dev.ivl.core.InvalidInputException;
import java.util.List;

/** The chat formats ivl knows without a template file. */
enum BuiltinChatTemplate implements ChatTemplate {
    /** Meta's Llama-2 chat format; see {@link ChatTemplate#llama2()}. */
    LLAMA2 {
        @Override
        public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
            checkNotEmpty(messages);
            boolean hasSystem = messages.get(0).role().equals("system");
            if (hasSystem && messages.size() == 1) {
                throw new InvalidInputException("messages has only a system message: the Llama-2 chat format needs a"
                        + " user message after it");
            }
            StringBuilder out = new StringBuilder();
            for (int i = hasSystem ? 1 : 0, turn = 0; i < messages.size(); i++, turn++) {
                ChatMessage message = messages.get(i);
                String expected = turn % 2 == 0 ? "user" : "assistant";
                if (!message.role().equals(expected)) {
                    throw new InvalidInputException("messages[" + i + "] has role " + message.role()
                            + " but the Llama-2 chat format needs " + expected
                            + ": after an optional system message, roles must alternate user/assistant/user/...");
                }
                String content = message.content();
                if (turn == 0 && hasSystem) {
                    content = "<<SYS>>\n" + messages.get(0).content() + "\n<</SYS>>\n\n" + content;
                }
                if (expected.equals("user")) {
                    out.append("<s>[INST] ").append(PyStrings.strip(content)).append(" [/INST]");
                } else {
                    out.append(' ').append(PyStrings.strip(content)).append(" </s>");
                }
            }
            return out.toString();
        }
    },
    /** The Zephyr format of TinyLlama-Chat; see {@link ChatTemplate#zephyr()}. */
    ZEPHYR {
        @Override
        public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
            checkNotEmpty(messages);
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < messages.size(); i++) {
                ChatMessage message = messages.get(i);
                if (!List.of("system", "user", "assistant").contains(message.role())) {
                    throw new InvalidInputException("messages[" + i + "] has role " + message.role()
                            + " but the Zephyr chat format knows only system, user and assistant");
                }
                out.append("<|").append(message.role()).append("|>\n").append(message.content()).append("</s>\n");
            }
            if (addGenerationPrompt) {
                out.append("<|assistant|>\n");
            }
            return out.toString();
        }
    };

    private static void checkNotEmpty(List<ChatMessage> messages) {
        if (messages.isEmpty()) {
            throw new InvalidInputException("messages is empty: a chat prompt needs at least one message");
        }
    }
}
