package dev.ivl.cli;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.ModelFormatException;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.djl.plug.Chat;
import dev.ivl.djl.tokenizer.ChatMessage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Interactive multi-turn chat with a base model, optionally steered by a value model. A turn that cannot be answered
 * (the conversation no longer fits the context, the template refuses it) prints why and takes the message back; the
 * session goes on.
 */
@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Chat with a model (and a value model: z_base + alpha * z_delta). Type a message; "
                + "/reset starts over, /alpha A changes the value model's weight, /exit quits.")
final class ChatCommand implements Callable<Integer> {
    @Option(names = {"--model", "--base"}, required = true, description = "base model: a Hugging Face checkpoint folder")
    Path base;

    @Mixin
    ValueOptions valueOptions;

    @Option(names = "--chat-template", defaultValue = "zephyr", description = "template when neither the models'"
            + " ivl.json nor the tokenizer has one: llama2 or zephyr (default: ${DEFAULT-VALUE})")
    String chatTemplate;

    @Option(names = "--system", description = "a system message opening the conversation")
    String system;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    StepOptions stepOptions;

    @Override
    public Integer call() throws IOException {
        stepOptions.configure();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (Cli.Loaded loaded = Cli.load(base, valueOptions, stepOptions, modelOptions)) {
            if (loaded.model().tokenizer().isEmpty()) {
                throw new InvalidInputException(base + " has no tokenizer.json: chat needs the model's tokenizer");
            }
            GenerationConfig config = sampling.builder(loaded.generationConfig()).build();
            List<ChatMessage> history = new ArrayList<>();
            Chat chat = open(loaded, valueOptions.alpha());
            try {
                out.println("ivl chat: " + base + (loaded.plugged() == null ? ""
                        : " + value " + valueOptions.value + " (" + loaded.plugged().kind().name().toLowerCase(
                                Locale.ROOT) + "), alpha " + valueOptions.alpha()) + ". /reset, /alpha A, /exit");
                while (true) {
                    out.print("> ");
                    out.flush();
                    String line = in.readLine();
                    if (line == null || line.strip().equals("/exit")) {
                        return 0;
                    }
                    line = line.strip();
                    if (line.isEmpty()) {
                        continue;
                    }
                    if (line.equals("/reset")) {
                        history.clear();
                        out.println("(conversation reset)");
                        continue;
                    }
                    if (line.startsWith("/alpha")) {
                        Float alpha = parseAlpha(line, loaded.plugged() != null, out);
                        if (alpha != null) {
                            chat.close();
                            chat = open(loaded, alpha);
                        }
                        continue;
                    }
                    if (history.isEmpty() && system != null) {
                        history.add(ChatMessage.system(system));
                    }
                    history.add(ChatMessage.user(line));
                    GenerationResult result;
                    try {
                        result = chat.reply(history, config, out::print);
                    } catch (InvalidInputException | ModelFormatException e) {
                        // the conversation no longer fits, or the template refuses it: take the message back
                        history.remove(history.size() - 1);
                        out.println("(" + e.getMessage() + "; /reset to start over)");
                        continue;
                    }
                    out.printf(Locale.ROOT, "%n[%d tokens, %.1f ms/token, %s]%n", result.usage().completionTokens(),
                            result.timings().meanTokenMillis(), result.finishReason());
                    history.add(ChatMessage.assistant(result.text().strip()));
                }
            } finally {
                chat.close();
            }
        }
    }

    /** A conversation with the model, the value model weighted by {@code alpha}. */
    private Chat open(Cli.Loaded loaded, float alpha) {
        if (loaded.plugged() == null) {
            return Chat.of(loaded.base(), chatTemplate);
        }
        return Chat.of(loaded.plugged().withAlpha(alpha), chatTemplate);
    }

    /** @return the α the line sets, or null (with a note printed) if it sets none */
    private static Float parseAlpha(String line, boolean hasValue, PrintStream out) {
        if (!hasValue) {
            out.println("(no value model: start with --value DIR to use /alpha)");
            return null;
        }
        String[] parts = line.split("\\s+");
        try {
            float a = Float.parseFloat(parts.length > 1 ? parts[1] : "");
            if (!Float.isFinite(a)) {
                throw new NumberFormatException();
            }
            out.println("(alpha = " + a + ")");
            return a;
        } catch (NumberFormatException e) {
            out.println("(usage: /alpha 0.5; alpha unchanged)");
            return null;
        }
    }
}
