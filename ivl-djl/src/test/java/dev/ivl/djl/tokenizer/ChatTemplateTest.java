package dev.ivl.djl.tokenizer;

import static dev.ivl.djl.tokenizer.ChatMessage.assistant;
import static dev.ivl.djl.tokenizer.ChatMessage.system;
import static dev.ivl.djl.tokenizer.ChatMessage.user;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The built-in chat formats against hand-written prompts. */
class ChatTemplateTest {
    @Test
    void llama2WithSystemMessageAndSeveralTurns() {
        String prompt = ChatTemplate.llama2().render(List.of(
                system("You are a helpful assistant."),
                user("Hi!"),
                assistant("Hello! How can I help?"),
                user("  Tell me a joke.\n")), true);
        assertEquals("<s>[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\nHi! [/INST]"
                + " Hello! How can I help? </s>"
                + "<s>[INST] Tell me a joke. [/INST]", prompt);
    }

    @Test
    void llama2WithoutSystemMessage() {
        assertEquals("<s>[INST] What is 2+2? [/INST]",
                ChatTemplate.llama2().render(List.of(user("What is 2+2?")), false));
        assertEquals("<s>[INST] What is 2+2? [/INST] 4 </s>",
                ChatTemplate.llama2().render(List.of(user("What is 2+2?"), assistant(" 4\n")), true));
    }

    @Test
    void llama2StripsTheWholeFirstTurnNotTheSystemText() {
        // As Meta's template: the system block is put in front of the user text, then the whole is stripped.
        assertEquals("<s>[INST] <<SYS>>\n be brief \n<</SYS>>\n\nHi [/INST]",
                ChatTemplate.llama2().render(List.of(system(" be brief "), user("Hi\u00a0 ")), true));
    }

    @Test
    void llama2RejectsRolesOutOfOrder() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ChatTemplate.llama2()
                .render(List.of(system("s"), user("a"), user("b")), true));
        assertTrue(e.getMessage().contains("messages[2]") && e.getMessage().contains("assistant"), e.getMessage());
        assertThrows(InvalidInputException.class,
                () -> ChatTemplate.llama2().render(List.of(assistant("a")), true));
        assertThrows(InvalidInputException.class,
                () -> ChatTemplate.llama2().render(List.of(system("s")), true));
        assertThrows(InvalidInputException.class, () -> ChatTemplate.llama2().render(List.of(), true));
    }

    @Test
    void zephyrAsInTheTinyLlamaChatModelCard() {
        List<ChatMessage> messages = List.of(
                system("You are a friendly chatbot who always responds in the style of a pirate"),
                user("How many helicopters can a human eat in one sitting?"));
        assertEquals("<|system|>\nYou are a friendly chatbot who always responds in the style of a pirate</s>\n"
                + "<|user|>\nHow many helicopters can a human eat in one sitting?</s>\n"
                + "<|assistant|>\n", ChatTemplate.zephyr().render(messages, true));
        assertEquals("<|system|>\nYou are a friendly chatbot who always responds in the style of a pirate</s>\n"
                + "<|user|>\nHow many helicopters can a human eat in one sitting?</s>\n",
                ChatTemplate.zephyr().render(messages, false));
    }

    @Test
    void zephyrKeepsContentAsIsAndAllowsAnyOrder() {
        assertEquals("<|user|>\n a </s>\n<|user|>\nb\n</s>\n<|assistant|>\nc</s>\n",
                ChatTemplate.zephyr().render(List.of(user(" a "), user("b\n"), assistant("c")), false));
    }

    @Test
    void zephyrRejectsUnknownRolesAndEmptyConversations() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> ChatTemplate.zephyr().render(List.of(user("a"), new ChatMessage("tool", "b")), true));
        assertTrue(e.getMessage().contains("messages[1]") && e.getMessage().contains("tool"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> ChatTemplate.zephyr().render(List.of(), true));
    }

    @Test
    void namedTemplates() {
        assertSame(ChatTemplate.llama2(), ChatTemplate.named("llama2"));
        assertSame(ChatTemplate.zephyr(), ChatTemplate.named("zephyr"));
        IllegalParameterException e = assertThrows(IllegalParameterException.class,
                () -> ChatTemplate.named("chatml"));
        assertEquals("chatTemplate", e.parameter());
        assertTrue(e.getMessage().contains("chatml"), e.getMessage());
    }

    @Test
    void messagesNeedRoleAndContent() {
        assertThrows(NullPointerException.class, () -> new ChatMessage(null, "x"));
        assertThrows(NullPointerException.class, () -> user(null));
    }
}
