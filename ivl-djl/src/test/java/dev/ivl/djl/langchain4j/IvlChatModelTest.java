package dev.ivl.djl.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.djl.plug.Chat;
import dev.ivl.djl.plug.PlugOptions;
import dev.ivl.djl.plug.PluggedModel;
import dev.ivl.djl.testutil.Fixtures;
import dev.ivl.djl.tokenizer.ChatMessage;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@link IvlChatModel} through LangChain4j's own API, on the demo models: its answers are those of ivl's {@link Chat}
 * for the same conversation.
 */
class IvlChatModelTest {
    private static final String QUESTION = "Where does Brudem Fesul live?";

    /** @return ivl's own {@link Chat} reply to a conversation */
    private static String reply(PluggedModel pair, GenerationConfig config, ChatMessage... messages) {
        try (Chat chat = Chat.of(pair, "zephyr")) {
            return chat.reply(List.of(messages), config, TokenListener.NONE).text();
        }
    }

    @Test
    void langChain4jChatsGetTheAnswersOfIvlsOwnChat() throws Exception {
        try (PluggedModel pair = PluggedModel.load(Fixtures.path("demo/base"), Fixtures.path("demo/value"),
                PlugOptions.builder().alpha(4f).build())) {
            GenerationConfig sixteen = pair.generationConfig().toBuilder().maxNewTokens(16).build();
            String expected = reply(pair, sixteen, ChatMessage.user(QUESTION));
            assertTrue(expected.startsWith("Answer:"), expected);
            IvlChatModel model = IvlChatModel.of(pair, "zephyr");
            ChatModel chat = model;
            assertEquals(expected, chat.chat(QUESTION));
            ChatResponse limited = chat.chat(ChatRequest.builder().messages(UserMessage.from(QUESTION))
                    .maxOutputTokens(2).build());
            assertEquals(FinishReason.LENGTH, limited.finishReason());
            assertEquals(2, limited.tokenUsage().outputTokenCount());
            assertTrue(expected.startsWith(limited.aiMessage().text()), limited.aiMessage().text());

            StreamingChatModel streaming = model;
            StringBuilder parts = new StringBuilder();
            CompletableFuture<ChatResponse> done = new CompletableFuture<>();
            streaming.chat(QUESTION, new StreamingChatResponseHandler() {
                @Override
                public void onPartialResponse(String text) {
                    parts.append(text);
                }

                @Override
                public void onCompleteResponse(ChatResponse response) {
                    done.complete(response);
                }

                @Override
                public void onError(Throwable error) {
                    done.completeExceptionally(error);
                }
            });
            assertEquals(expected, done.get().aiMessage().text());
            assertEquals(expected, parts.toString());

            String withSystem = reply(pair, sixteen, ChatMessage.system("Be brief."), ChatMessage.user(QUESTION));
            assertEquals(withSystem, chat.chat(SystemMessage.from("Be brief."), UserMessage.from(QUESTION))
                    .aiMessage().text());

            UnsupportedOperationException tools = assertThrows(UnsupportedOperationException.class, () -> chat.chat(
                    ChatRequest.builder().messages(UserMessage.from(QUESTION)).toolSpecifications(
                            ToolSpecification.builder().name("weather").build()).build()));
            assertTrue(tools.getMessage().contains("tools"), tools.getMessage());
        }
    }
}
