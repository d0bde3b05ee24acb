package dev.ivl.examples.bench;

import com.google.gson.JsonObject;
import dev.ivl.examples.serve.OpenAiServer;
import dev.ivl.examples.serve.ServedModel;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * A bounded load test of {@code ivl serve}'s server, on 127.0.0.1 only: N clients stream chat completions one after
 * the other for a given time, and the server's leftovers are checked once they stop (the model's live arrays, the
 * server's threads, the resident memory).
 */
public final class ServeLoad {
    private ServeLoad() {}

    /**
     * @param clients N
     * @param seconds how long the clients ran
     * @param requests completed streams
     * @param errors responses other than a whole stream ending with {@code [DONE]}
     * @param ttftMillis every request's time to its first text
     * @param tokensPerSecond streamed pieces of text per second, all clients together
     * @param arraysBefore the model's live arrays before the load (after a warm-up request)
     * @param arraysAfter the same after it
     * @param serverThreadsAfter the server's threads left once it closed
     * @param rssBeforeMb resident memory before the load
     * @param rssAfterMb resident memory after it, the server closed and a collection run
     */
    public record Result(int clients, int seconds, int requests, int errors, List<Double> ttftMillis,
            double tokensPerSecond, int arraysBefore, int arraysAfter, int serverThreadsAfter, double rssBeforeMb,
            double rssAfterMb) {
        /** @return the report */
        public String toText() {
            List<Double> sorted = new ArrayList<>(ttftMillis);
            Collections.sort(sorted);
            double p50 = sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() / 2);
            double p99 = sorted.isEmpty() ? Double.NaN : sorted.get(Math.min(sorted.size() - 1,
                    (int) Math.ceil(sorted.size() * 0.99) - 1));
            return String.format(Locale.ROOT, """
                    %d streaming clients for %d s on 127.0.0.1: %d requests, %d errors
                    time to first text: p50 %.0f ms, p99 %.0f ms; %.1f tokens/s in all
                    model's live arrays: %d before, %d after; server threads left after close: %d
                    RSS: %.0f MB before, %.0f MB after
                    """, clients, seconds, requests, errors, p50, p99, tokensPerSecond, arraysBefore, arraysAfter,
                    serverThreadsAfter, rssBeforeMb, rssAfterMb);
        }
    }

    /**
     * @param served the model to serve
     * @param liveArrays counts the model's live arrays
     * @param clients N
     * @param seconds how long the clients run
     * @param maxBatch the server's batch (its queue is {@code clients}: every client is admitted)
     * @param question what every client asks
     * @param maxTokens each answer's limit
     * @return the figures
     * @throws InterruptedException if interrupted while the clients run
     */
    public static Result run(ServedModel served, IntSupplier liveArrays, int clients, int seconds, int maxBatch,
            String question, int maxTokens) throws InterruptedException {
        JsonObject body = new JsonObject();
        body.addProperty("model", served.id());
        body.addProperty("stream", true);
        body.addProperty("max_tokens", maxTokens);
        com.google.gson.JsonArray messages = new com.google.gson.JsonArray();
        JsonObject user = new JsonObject();
        user.addProperty("role", "user");
        user.addProperty("content", question);
        messages.add(user);
        body.add("messages", messages);
        String request = body.toString();
        List<Double> ttft = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger done = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        AtomicLong pieces = new AtomicLong();
        int arraysBefore;
        double rssBefore;
        try (OpenAiServer server = new OpenAiServer(served, new InetSocketAddress("127.0.0.1", 0), maxBatch,
                clients)) {
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions");
            HttpClient http = HttpClient.newHttpClient();
            stream(http, uri, request, new ArrayList<>(), new AtomicLong()); // warm-up
            System.gc();
            arraysBefore = liveArrays.getAsInt();
            rssBefore = PairBench.status("VmRSS");
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            for (int c = 0; c < clients; c++) {
                pool.submit(() -> {
                    while (System.nanoTime() < end) {
                        if (stream(http, uri, request, ttft, pieces)) {
                            done.incrementAndGet();
                        } else {
                            errors.incrementAndGet();
                        }
                    }
                });
            }
            pool.shutdown();
            pool.awaitTermination(seconds + 120L, TimeUnit.SECONDS);
        }
        Thread.sleep(1000);
        System.gc();
        int serverThreads = (int) Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("ivl-serve") || t.getName().startsWith("ivl-batch")).count();
        return new Result(clients, seconds, done.get(), errors.get(), List.copyOf(ttft),
                pieces.get() / (double) seconds, arraysBefore, liveArrays.getAsInt(), serverThreads, rssBefore,
                PairBench.status("VmRSS"));
    }

    /** One streamed request: records its time to first text and its pieces; @return whether it ended well */
    private static boolean stream(HttpClient http, URI uri, String body, List<Double> ttft, AtomicLong pieces) {
        long start = System.nanoTime();
        try {
            HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(uri)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) {
                r.body().close();
                return false;
            }
            boolean first = true;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.equals("data: [DONE]")) {
                        return true;
                    }
                    if (line.startsWith("data: ") && line.contains("\"content\":\"") && !line.contains(
                            "\"content\":\"\"")) {
                        if (first) {
                            ttft.add((System.nanoTime() - start) / 1e6);
                            first = false;
                        }
                        pieces.incrementAndGet();
                    }
                }
            }
            return false;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
