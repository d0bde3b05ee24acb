package dev.ivl.cli;

import dev.ivl.core.IllegalParameterException;
import dev.ivl.examples.serve.OpenAiServer;
import dev.ivl.examples.serve.ServedModel;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Serves a model, or a base with its value model, over an OpenAI-compatible HTTP API until interrupted. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = "An OpenAI-compatible HTTP server: POST /v1/chat/completions and /v1/completions (streamed as "
                + "server-sent events with \"stream\": true), GET /v1/models and /health. Requests take model, "
                + "messages or prompt, max_tokens, temperature, top_p, stop, seed, stream, and ivl_alpha (the value "
                + "model's weight for that request). Requests generate together by continuous batching; 429 when the "
                + "batch and the queue are full.")
final class ServeCommand implements Callable<Integer> {
    @Option(names = {"--model", "--base"}, required = true, description = "base model: a Hugging Face checkpoint folder")
    Path base;

    @Mixin
    ValueOptions valueOptions;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to listen on (default: "
            + "${DEFAULT-VALUE}; 0.0.0.0 for every interface)")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "port (default: ${DEFAULT-VALUE}; 0 picks a free "
            + "one)")
    int port;

    @Option(names = "--name", defaultValue = "ivl", description = "the model's name in requests and /v1/models "
            + "(default: ${DEFAULT-VALUE})")
    String name;

    @Option(names = "--batch", defaultValue = "8", description = "sequences that generate together, one forward "
            + "pass per model and step (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--queue", defaultValue = "16", description = "requests that may wait for a place in the batch "
            + "(default: ${DEFAULT-VALUE})")
    int queue;

    @Option(names = "--chat-template", defaultValue = "zephyr", description = "template when neither the models'"
            + " ivl.json nor the tokenizer has one: llama2 or zephyr (default: ${DEFAULT-VALUE})")
    String chatTemplate;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--threads", description = "thread budget: PyTorch intra-op threads (default: the cores)")
    Integer threads;

    @Override
    public Integer call() throws InterruptedException {
        if (port < 0 || port > 65535) {
            throw new IllegalParameterException("--port", port, "must be in [0, 65535]");
        }
        // batched steps run the models one after the other, each with every thread: no per-session step threads
        StepOptions steps = new StepOptions();
        steps.stepping = "sequential";
        steps.threads = threads;
        steps.configure();
        try (Cli.Loaded loaded = Cli.load(base, valueOptions, steps, modelOptions)) {
            ServedModel served = loaded.plugged() != null ? ServedModel.of(name, loaded.plugged(), chatTemplate)
                    : ServedModel.of(name, loaded.base(), chatTemplate);
            CountDownLatch stopped = new CountDownLatch(1);
            try (OpenAiServer server = new OpenAiServer(served, new InetSocketAddress(host, port), batch, queue)) {
                // Ctrl-C: stop accepting, cancel what runs, then let the JVM end
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    server.close();
                    stopped.countDown();
                }));
                System.err.println("ivl serve: http://" + host + ":" + server.port() + "/v1 (model \"" + name
                        + "\"); Ctrl-C stops");
                stopped.await();
            }
        }
        return 0;
    }
}
