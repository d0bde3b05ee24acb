package dev.ivl.examples.serve;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.FinishReason;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.BatchGenerator;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.core.model.LanguageModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An OpenAI-compatible HTTP server over one {@link ServedModel}: {@code POST /v1/chat/completions} and
 * {@code POST /v1/completions} (whole, or streamed as server-sent events), {@code GET /v1/models},
 * {@code GET /health}. Built on the JDK's own {@code com.sun.net.httpserver} (no dependency for a server that
 * parses small JSON bodies and streams text; every limit is ours to set).
 *
 * <p>Generations run together by continuous batching ({@link BatchGenerator}): up to {@code maxBatch} sequences step
 * in one forward pass per model, requests joining and leaving between steps, each with its own parameters and α;
 * up to {@code queue} more wait, and a request beyond that gets 429. Bad requests get 400 with OpenAI's error object
 * naming the parameter. A client that goes away during a stream cancels its generation. {@link #close} stops
 * accepting and cancels what runs or waits.
 */
public final class OpenAiServer implements AutoCloseable {
    /** The largest request body read. */
    public static final int MAX_BODY_BYTES = 1 << 20;
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    private final ServedModel served;
    private final HttpServer http;
    private final ExecutorService handlers;
    private final BatchGenerator batch;
    private final Semaphore admitted; // the sequences that may run or wait: maxBatch + queue
    private final Set<CancellationToken> running = ConcurrentHashMap.newKeySet();
    private final AtomicLong cancelledStreams = new AtomicLong();
    private volatile boolean closing;

    /**
     * Starts the server.
     *
     * @param served the model
     * @param address where to listen; port 0 picks a free one ({@link #port()})
     * @param maxBatch how many sequences generate together
     * @param queue how many more requests may wait for a place
     * @throws UncheckedIOException if the address cannot be bound
     */
    public OpenAiServer(ServedModel served, InetSocketAddress address, int maxBatch, int queue) {
        if (queue < 0) {
            throw new IllegalParameterException("queue", queue, "must be >= 0");
        }
        this.served = served;
        this.batch = new BatchGenerator(served.model(), maxBatch);
        this.admitted = new Semaphore(maxBatch + queue);
        // a request's thread waits for its generation: the threads are bounded by the admitted requests
        this.handlers = Executors.newCachedThreadPool(r -> daemon(r, "ivl-serve-http"));
        try {
            http = HttpServer.create(address, 64);
        } catch (IOException e) {
            batch.close();
            handlers.shutdown();
            throw new UncheckedIOException("cannot listen on " + address + ": " + e.getMessage(), e);
        }
        http.setExecutor(handlers);
        http.createContext("/", this::handle);
        http.start();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** @return the port the server listens on */
    public int port() {
        return http.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) {
        try {
            route(exchange);
        } catch (ApiError e) {
            sendError(exchange, e);
        } catch (RuntimeException e) {
            sendError(exchange, new ApiError(500, "server_error", null, null, "internal error: " + e));
        }
    }

    private void route(HttpExchange exchange) {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        switch (path) {
            case "/health" -> {
                requireMethod(method, "GET");
                sendJson(exchange, 200, Map.of("status", "ok"));
            }
            case "/v1/models" -> {
                requireMethod(method, "GET");
                JsonArray data = new JsonArray();
                data.add(modelObject());
                JsonObject list = new JsonObject();
                list.addProperty("object", "list");
                list.add("data", data);
                sendJson(exchange, 200, list);
            }
            case "/v1/chat/completions", "/v1/completions" -> {
                requireMethod(method, "POST");
                submit(exchange, ApiRequest.parse(body(exchange), path.equals("/v1/chat/completions")));
            }
            default -> throw new ApiError(404, "invalid_request_error", null, "not_found", "no route " + method + " "
                    + path + ": this server answers /v1/chat/completions, /v1/completions, /v1/models and /health");
        }
    }

    private static void requireMethod(String method, String wanted) {
        if (!method.equals(wanted)) {
            throw new ApiError(405, "invalid_request_error", null, "method_not_allowed", "use " + wanted + ", not "
                    + method);
        }
    }

    private JsonObject modelObject() {
        JsonObject m = new JsonObject();
        m.addProperty("id", served.id());
        m.addProperty("object", "model");
        m.addProperty("created", 0);
        m.addProperty("owned_by", "ivl");
        return m;
    }

    /** @return the body as a JSON object, at most {@value #MAX_BODY_BYTES} bytes */
    private static JsonObject body(HttpExchange exchange) {
        byte[] bytes;
        try (InputStream in = exchange.getRequestBody()) {
            bytes = in.readNBytes(MAX_BODY_BYTES + 1);
        } catch (IOException e) {
            throw ApiError.invalid(null, "cannot read the request body: " + e.getMessage());
        }
        if (bytes.length > MAX_BODY_BYTES) {
            throw ApiError.invalid(null, "the request body exceeds " + MAX_BODY_BYTES + " bytes");
        }
        JsonElement json;
        try {
            json = JsonParser.parseString(new String(bytes, StandardCharsets.UTF_8));
        } catch (JsonParseException | StackOverflowError e) {
            throw ApiError.invalid(null, "the request body is not valid JSON: " + e.getMessage());
        }
        if (!json.isJsonObject()) {
            throw ApiError.invalid(null, "the request body must be a JSON object");
        }
        return json.getAsJsonObject();
    }

    /** Checks what can be checked before generating, then queues the generation (429 when the queue is full). */
    private void submit(HttpExchange exchange, ApiRequest request) {
        if (!request.model().equals(served.id())) {
            throw new ApiError(400, "invalid_request_error", "model", "model_not_found", "the model "
                    + request.model() + " does not exist here; this server has " + served.id());
        }
        LanguageModel model = model(request);
        int[] prompt = request.messages() != null
                ? served.tokenizer().encode(served.template().render(request.messages(), true), false)
                : served.tokenizer().encode(request.prompt());
        GenerationConfig config = config(request, prompt.length, model.maxSequenceLength());
        if (closing || !admitted.tryAcquire()) {
            throw new ApiError(429, "rate_limit_exceeded", null, "queue_full", closing
                    ? "the server is shutting down" : "too many requests are running and waiting; try again later");
        }
        try {
            generate(exchange, request, model, prompt, config);
        } finally {
            admitted.release();
        }
    }

    private LanguageModel model(ApiRequest request) {
        if (request.alpha() == null) {
            return served.model();
        }
        if (served.withAlpha() == null) {
            throw ApiError.invalid("ivl_alpha", "ivl_alpha needs a value model; this server runs a base alone");
        }
        return served.withAlpha().apply(request.alpha());
    }

    private GenerationConfig config(ApiRequest r, int promptTokens, int context) {
        int room = context - promptTokens;
        String input = r.messages() != null ? "messages" : "prompt";
        if (room < 1) {
            throw ApiError.invalid(input, "the " + input + " take " + promptTokens + " tokens; the model's context"
                    + " holds " + context);
        }
        if (r.maxTokens() != null && r.maxTokens() > room) {
            throw ApiError.invalid("max_tokens", "the " + input + " take " + promptTokens + " tokens and max_tokens "
                    + r.maxTokens() + " more: beyond the model's context of " + context);
        }
        GenerationConfig.Builder b = served.defaults().toBuilder()
                .maxNewTokens(r.maxTokens() != null ? r.maxTokens() : room);
        if (r.temperature() != null) {
            b.temperature(r.temperature());
        }
        if (r.topP() != null) {
            b.topP(r.topP());
        }
        b.stopStrings(r.stop().toArray(String[]::new));
        if (r.seed() != null) {
            b.seed(r.seed());
        }
        try {
            return b.build();
        } catch (IllegalParameterException e) {
            throw ApiError.invalid(e.parameter().equals("topP") ? "top_p" : e.parameter(), e.getMessage());
        }
    }

    /**
     * On the request's thread: queues the generation in the batch and answers as one JSON object, or as a stream of
     * events handed over from the batch's thread (a slow client never holds up the batch).
     */
    private void generate(HttpExchange exchange, ApiRequest request, LanguageModel model, int[] prompt,
            GenerationConfig config) {
        CancellationToken cancel = new CancellationToken();
        running.add(cancel);
        String id = (request.messages() != null ? "chatcmpl-" : "cmpl-") + UUID.randomUUID();
        long created = System.currentTimeMillis() / 1000;
        try {
            if (!request.stream()) {
                GenerationResult r = batch.submit(model, prompt, config, TokenListener.NONE, cancel).get();
                sendJson(exchange, 200, whole(request, id, created, r));
                return;
            }
            BlockingQueue<Object> pieces = new LinkedBlockingQueue<>(); // text, then the result or the failure
            batch.submit(model, prompt, config, new TokenListener() {
                @Override
                public void onText(String text) {
                    pieces.add(text);
                }

                @Override
                public void onComplete(GenerationResult result) {
                    pieces.add(result);
                }

                @Override
                public void onError(RuntimeException error) {
                    pieces.add(error);
                }
            }, cancel);
            EventStream events = new EventStream(exchange, cancel);
            if (request.messages() != null) {
                JsonObject delta = new JsonObject();
                delta.addProperty("role", "assistant");
                delta.addProperty("content", "");
                events.send(chunk(request, id, created, delta, null));
            }
            for (Object piece = pieces.take(); ; piece = pieces.take()) {
                if (piece instanceof String text) {
                    JsonObject delta = new JsonObject();
                    delta.addProperty("content", text);
                    events.send(chunk(request, id, created, delta, null));
                } else {
                    if (piece instanceof GenerationResult r && r.finishReason() == FinishReason.CANCELLED) {
                        cancelledStreams.incrementAndGet();
                    } else if (piece instanceof GenerationResult r) {
                        events.send(chunk(request, id, created, new JsonObject(), finishReason(r)));
                        events.done();
                    }
                    break; // a failure after the stream began can only end it
                }
            }
        } catch (InterruptedException e) {
            cancel.cancel();
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            sendError(exchange, new ApiError(500, "server_error", null, null, "generation failed: " + e.getCause()));
        } catch (ApiError e) {
            sendError(exchange, e);
        } catch (RuntimeException e) {
            sendError(exchange, new ApiError(500, "server_error", null, null, "generation failed: " + e));
        } finally {
            running.remove(cancel);
            exchange.close();
        }
    }

    private JsonObject whole(ApiRequest request, String id, long created, GenerationResult r) {
        JsonObject choice = new JsonObject();
        choice.addProperty("index", 0);
        if (request.messages() != null) {
            JsonObject message = new JsonObject();
            message.addProperty("role", "assistant");
            message.addProperty("content", r.text());
            choice.add("message", message);
        } else {
            choice.addProperty("text", r.text());
        }
        choice.add("logprobs", JsonNull.INSTANCE);
        choice.addProperty("finish_reason", finishReason(r));
        JsonObject o = head(request, id, created, request.messages() != null ? "chat.completion" : "text_completion");
        JsonArray choices = new JsonArray();
        choices.add(choice);
        o.add("choices", choices);
        JsonObject usage = new JsonObject();
        usage.addProperty("prompt_tokens", r.usage().promptTokens());
        usage.addProperty("completion_tokens", r.usage().completionTokens());
        usage.addProperty("total_tokens", r.usage().totalTokens());
        o.add("usage", usage);
        return o;
    }

    private JsonObject chunk(ApiRequest request, String id, long created, JsonObject delta, String finish) {
        JsonObject choice = new JsonObject();
        choice.addProperty("index", 0);
        if (request.messages() != null) {
            choice.add("delta", delta);
        } else {
            choice.addProperty("text", delta.has("content") ? delta.get("content").getAsString() : "");
        }
        choice.add("logprobs", JsonNull.INSTANCE);
        choice.addProperty("finish_reason", finish);
        JsonObject o = head(request, id, created, request.messages() != null ? "chat.completion.chunk"
                : "text_completion");
        JsonArray choices = new JsonArray();
        choices.add(choice);
        o.add("choices", choices);
        return o;
    }

    private JsonObject head(ApiRequest request, String id, long created, String object) {
        JsonObject o = new JsonObject();
        o.addProperty("id", id);
        o.addProperty("object", object);
        o.addProperty("created", created);
        o.addProperty("model", served.id());
        return o;
    }

    private static String finishReason(GenerationResult r) {
        return r.finishReason() == FinishReason.LENGTH ? "length" : "stop";
    }

    /** Server-sent events on an exchange; a write that fails (the client left) cancels the generation. */
    private static final class EventStream {
        private final HttpExchange exchange;
        private final CancellationToken cancel;
        private OutputStream out;

        EventStream(HttpExchange exchange, CancellationToken cancel) {
            this.exchange = exchange;
            this.cancel = cancel;
        }

        void send(JsonObject event) {
            write("data: " + GSON.toJson(event) + "\n\n");
        }

        void done() {
            write("data: [DONE]\n\n");
        }

        private void write(String text) {
            if (cancel.isCancelled()) {
                return;
            }
            try {
                if (out == null) {
                    exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
                    exchange.getResponseHeaders().set("Cache-Control", "no-cache");
                    exchange.sendResponseHeaders(200, 0);
                    out = exchange.getResponseBody();
                }
                out.write(text.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                cancel.cancel(); // the client went away: stop generating, free the session
            }
        }
    }

    private static void sendError(HttpExchange exchange, ApiError e) {
        JsonObject error = new JsonObject();
        error.addProperty("message", e.getMessage());
        error.addProperty("type", e.type);
        error.addProperty("param", e.param);
        error.addProperty("code", e.code);
        JsonObject body = new JsonObject();
        body.add("error", error);
        sendJson(exchange, e.status, body);
    }

    private static void sendJson(HttpExchange exchange, int status, Object body) {
        byte[] bytes = GSON.toJson(body).getBytes(StandardCharsets.UTF_8);
        try {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        } catch (IOException e) {
            // the client went away: nothing to answer
        } finally {
            exchange.close();
        }
    }

    /**
     * @return how many streamed generations have ended cancelled: their client went away mid-stream, or the server
     *     closed
     */
    public long cancelledStreams() {
        return cancelledStreams.get();
    }

    /** Stops accepting requests and cancels the generations that run or wait. */
    @Override
    public synchronized void close() {
        if (closing) {
            return;
        }
        closing = true;
        http.stop(0);
        running.forEach(CancellationToken::cancel);
        batch.close();
        handlers.shutdown();
    }
}
