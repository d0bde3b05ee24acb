package dev.ivl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import dev.ivl.djl.plug.PlugOptions;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.ivl.djl.plug.PluggedModel;
import dev.ivl.examples.serve.OpenAiServer;
import dev.ivl.examples.serve.ServedModel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ivl serve}'s server on the demo models, spoken to by the official OpenAI Java SDK and by LangChain4j's
 * OpenAI models (the answers must be the text {@code ivl generate} gives), and by plain HTTP for the requests it
 * must refuse, a full queue and a client that leaves.
 */
class ServeCommandTest {
    private static final String QUESTION = "Where does Brudem Fesul live?";

    @TempDir
    static Path tmp;
    static Path demo;
    static PluggedModel pair;
    static OpenAiServer server;
    static OpenAIClient client;
    static String base;

    @BeforeAll
    static void start() {
        demo = DemoFiles.shipped(ServeCommandTest.class.getClassLoader(), tmp.resolve("cache"));
        pair = PluggedModel.load(demo.resolve("base"), demo.resolve("value"), PlugOptions.builder().alpha(4f).build());
        server = new OpenAiServer(ServedModel.of("ivl", pair, "zephyr"), new InetSocketAddress("127.0.0.1", 0), 4, 4);
        base = "http://127.0.0.1:" + server.port();
        client = OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey("unused").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        server.close();
        pair.close();
    }

    /** @return what {@code ivl generate} prints for the same request (its text, without the final newline) */
    private static String generate(String... args) {
        CliTest.Run run = CliTest.run(args);
        assertEquals(0, run.exit(), run.err());
        return run.out().substring(0, run.out().length() - 1);
    }

    @Test
    void chatAnswersWholeAndStreamedAreTheTextIvlGenerateGives() {
        // no --alpha: generate takes the α of the value folder's ivl.json (4), as the server was given
        String expected = generate("generate", "--base", demo.resolve("base").toString(), "--value",
                demo.resolve("value").toString(), "--chat", "--prompt", QUESTION, "--max-new-tokens", "16");
        assertTrue(expected.startsWith("Answer:"), expected);
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("ivl").addUserMessage(QUESTION)
                .maxCompletionTokens(16).build();
        ChatCompletion whole = client.chat().completions().create(params);
        assertEquals(expected, whole.choices().get(0).message().content().orElseThrow());
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, whole.choices().get(0).finishReason());
        assertTrue(whole.usage().orElseThrow().promptTokens() > 5, "usage counts");
        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content()
                    .ifPresent(streamed::append)));
        }
        assertEquals(expected, streamed.toString());
    }

    @Test
    void concurrentRequestsShareTheBatchAndEachGetsItsOwnAnswer() throws Exception {
        String[] questions = {"Where does Brudem Fesul live?", "What does Brudem Fesul do for a living?",
            "Where does Gokaik Bimous live?", "What does Gokaik Bimous do for a living?",
            "Where does Stuvor Paihis live?", "What does Stuvor Paihis do for a living?"};
        String[] expected = new String[questions.length];
        for (int i = 0; i < questions.length; i++) {
            expected[i] = generate("generate", "--base", demo.resolve("base").toString(), "--value",
                    demo.resolve("value").toString(), "--chat", "--prompt", questions[i], "--max-new-tokens", "16");
        }
        java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(
                questions.length);
        try {
            List<java.util.concurrent.Future<String>> answers = new java.util.ArrayList<>();
            for (String q : questions) {
                answers.add(clients.submit(() -> client.chat().completions().create(ChatCompletionCreateParams
                        .builder().model("ivl").addUserMessage(q).maxCompletionTokens(16).build()).choices().get(0)
                        .message().content().orElseThrow()));
            }
            for (int i = 0; i < questions.length; i++) {
                assertEquals(expected[i], answers.get(i).get(60, TimeUnit.SECONDS), questions[i]);
            }
        } finally {
            clients.shutdown();
        }
    }

    @Test
    void completionsAndAlphaZeroGiveTheTextsOfIvlGenerate() {
        String continued = generate("generate", "--base", demo.resolve("base").toString(), "--value",
                demo.resolve("value").toString(), "--alpha", "4", "--prompt", "Brudem Fesul lives in",
                "--max-new-tokens", "3");
        Completion completion = client.completions().create(CompletionCreateParams.builder().model("ivl")
                .prompt("Brudem Fesul lives in").maxTokens(3).build());
        assertEquals(continued, completion.choices().get(0).text());
        String baseAlone = generate("generate", "--base", demo.resolve("base").toString(), "--chat", "--prompt",
                QUESTION, "--max-new-tokens", "12");
        ChatCompletion alphaZero = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("ivl").addUserMessage(QUESTION).maxCompletionTokens(12)
                .putAdditionalBodyProperty("ivl_alpha", JsonValue.from(0.0)).build());
        assertEquals(baseAlone, alphaZero.choices().get(0).message().content().orElseThrow(),
                "ivl_alpha 0: the base's own answer");
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, alphaZero.choices().get(0).finishReason());
    }

    @Test
    void langChain4jsOpenAiModelsGetTheSameText() throws Exception {
        String expected = generate("generate", "--base", demo.resolve("base").toString(), "--value",
                demo.resolve("value").toString(), "--alpha", "4", "--chat", "--prompt", QUESTION,
                "--max-new-tokens", "16");
        OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(base + "/v1").apiKey("unused").modelName("ivl")
                .maxCompletionTokens(16).maxRetries(0).build();
        assertEquals(expected, chat.chat(QUESTION));
        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(base + "/v1")
                .apiKey("unused").modelName("ivl").maxCompletionTokens(16).build();
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
        assertEquals(expected, done.get(60, TimeUnit.SECONDS).aiMessage().text());
        assertEquals(expected, parts.toString());
    }

    @Test
    void aFullQueueGets429AndAClientThatLeavesMidStreamFreesTheWorker() throws Exception {
        try (OpenAiServer busy = new OpenAiServer(ServedModel.of("ivl", pair, "zephyr"),
                new InetSocketAddress("127.0.0.1", 0), 1, 0)) { // a batch of one, no queue: one request at a time
            String url = "http://127.0.0.1:" + busy.port() + "/v1/completions";
            // the base continues text without end: 100 tokens take a while, and the value model never says EOS
            // in the middle of a pre-training sentence
            String longOne = "{\"model\": \"ivl\", \"stream\": true, \"prompt\": \"Brudem Fesul\", "
                    + "\"max_tokens\": 100, \"ivl_alpha\": 0}";
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<java.io.InputStream> streaming = http.send(HttpRequest.newBuilder(URI.create(url))
                    .POST(HttpRequest.BodyPublishers.ofString(longOne)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, streaming.statusCode());
            java.io.InputStream events = streaming.body();
            assertTrue(new String(events.readNBytes(6), java.nio.charset.StandardCharsets.UTF_8)
                    .startsWith("data: "), "the first event arrived: the worker is generating");
            HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(url))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"ivl\", \"prompt\": \"a\", "
                            + "\"max_tokens\": 1}")).build(), HttpResponse.BodyHandlers.ofString());
            assertError(refused, 429, null, "queue_full");
            events.close(); // the client leaves mid-stream
            long start = System.nanoTime();
            HttpResponse<String> after;
            do { // the cancelled generation frees the worker within a token or two
                Thread.sleep(20);
                after = http.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers
                        .ofString("{\"model\": \"ivl\", \"prompt\": \"a\", \"max_tokens\": 1}")).build(),
                        HttpResponse.BodyHandlers.ofString());
            } while (after.statusCode() == 429 && System.nanoTime() - start < 10_000_000_000L);
            assertEquals(200, after.statusCode(), after.body());
            for (int i = 0; i < 250 && busy.cancelledStreams() == 0; i++) {
                Thread.sleep(20); // the request's thread counts the end it hears after the batch freed the slot
            }
            assertEquals(1, busy.cancelledStreams(), "the stream ended cancelled, not at its 100 tokens");
        }
    }

    private static HttpResponse<String> send(String method, String path, String body) throws IOException,
            InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.method(method, HttpRequest.BodyPublishers.ofString(body)).header("Content-Type",
                        "application/json");
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Asserts an OpenAI error object with the status and, if not null, the parameter and the code. */
    private static void assertError(HttpResponse<String> r, int status, String param, String code) {
        assertEquals(status, r.statusCode(), r.body());
        JsonObject error = JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("error");
        assertTrue(error.has("message") && error.has("type"), r.body());
        if (param != null) {
            assertEquals(param, error.get("param").getAsString(), r.body());
        }
        if (code != null) {
            assertEquals(code, error.get("code").getAsString(), r.body());
        }
    }

    @Test
    void badRequestsGetOpenAiErrorObjectsNamingTheParameter() throws IOException, InterruptedException {
        String ok = "{\"model\": \"ivl\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]";
        assertError(send("POST", "/v1/chat/completions", "{\"model\": \"ivl\", \"messages\": ["), 400, null, null);
        assertError(send("POST", "/v1/chat/completions", "[1, 2]"), 400, null, null);
        assertError(send("POST", "/v1/chat/completions", ok.replace("\"ivl\"", "\"gpt-4o\"") + "}"), 400, "model",
                "model_not_found");
        assertError(send("POST", "/v1/chat/completions", ok + ", \"max_tokens\": \"ten\"}"), 400, "max_tokens", null);
        assertError(send("POST", "/v1/chat/completions", ok + ", \"max_tokens\": 100000}"), 400, "max_tokens", null);
        assertError(send("POST", "/v1/chat/completions", ok + ", \"temperature\": -1}"), 400, "temperature", null);
        assertError(send("POST", "/v1/chat/completions", ok + ", \"stop\": [1]}"), 400, "stop", null);
        assertError(send("POST", "/v1/chat/completions", ok + ", \"n\": 2}"), 400, "n", null);
        assertError(send("POST", "/v1/chat/completions", "{\"model\": \"ivl\", \"messages\": [{\"role\": \"robot\","
                + " \"content\": \"hi\"}]}"), 400, "messages[0].role", null);
        assertError(send("POST", "/v1/completions", "{\"model\": \"ivl\"}"), 400, "prompt", null);
        assertError(send("POST", "/v1/chat/completions", "{\"model\": \"ivl\", \"messages\": [{\"role\": \"user\","
                + " \"content\": 7}]}"), 400, "messages[0].content", null);
        assertError(send("POST", "/v1/chat/completions", "[".repeat(100_000)), 400, null, null);
        String huge = "{\"model\": \"ivl\", \"prompt\": \"" + "a".repeat(OpenAiServer.MAX_BODY_BYTES) + "\"}";
        assertError(send("POST", "/v1/completions", huge), 400, null, null);
        assertError(send("GET", "/v1/chat/completions", null), 405, null, "method_not_allowed");
        assertError(send("GET", "/v2/nothing", null), 404, null, "not_found");
        HttpResponse<String> models = send("GET", "/v1/models", null);
        assertEquals(200, models.statusCode());
        assertEquals("ivl", JsonParser.parseString(models.body()).getAsJsonObject().getAsJsonArray("data").get(0)
                .getAsJsonObject().get("id").getAsString());
        assertEquals(200, send("GET", "/health", null).statusCode());
        // after all that, the server still answers
        assertEquals(200, send("POST", "/v1/chat/completions", ok + ", \"max_tokens\": 2}").statusCode());
    }
}
