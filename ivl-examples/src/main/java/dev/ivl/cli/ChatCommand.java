package dev.ivl.cli;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.combine.ResidualCombiner;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.djl.llama.GenerationDefaults;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.tokenizer.ChatMessage;
import dev.ivl.djl.tokenizer.ChatTemplate;
import dev.ivl.djl.tokenizer.HfTokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Interactive multi-turn chat with a base model, optionally steered by a value model. */
@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Chat with a model (and a value model: z_base + alpha * z_delta). Type a message; "
                + "/reset starts over, /alpha A changes the value model's weight, /exit quits.")
final class ChatCommand implements Callable<Integer> {
    @Option(names = {"--model", "--base"}, required = true, description = "base model: a Hugging Face checkpoint folder")
    Path base;

    @Option(names = "--value", description = "value model folder")
    Path value;

    @Option(names = "--alpha", defaultValue = "1.0", description = "weight of the value model (default: ${DEFAULT-VALUE})")
    float alpha;

    @Option(names = "--tokenizer", description = "tokenizer.json or a folder with it (default: the base folder)")
    Path tokenizer;

    @Option(names = "--chat-template", defaultValue = "zephyr",
            description = "template when the tokenizer has none: llama2 or zephyr (default: ${DEFAULT-VALUE})")
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
        Path tokenizerPath = tokenizer != null ? tokenizer : base;
        if (tokenizer == null && !Files.exists(base.resolve("tokenizer.json"))) {
            throw new InvalidInputException(base + " has no tokenizer.json: give --tokenizer FILE");
        }
        try (LlamaModel baseModel = LlamaModel.load(base, modelOptions.toLoadOptions());
                LlamaModel valueModel = value == null ? null : LlamaModel.load(value, modelOptions.toLoadOptions());
                HfTokenizer tok = HfTokenizer.load(tokenizerPath)) {
            tok.checkCompatible(baseModel.vocabSize());
            ChatTemplate template = ChatTemplate.forTokenizer(tok, chatTemplate);
            GenerationConfig.Builder config = sampling.builder(GenerationDefaults.load(base).orElse(null),
                    baseModel.config().eosTokenIds());
            List<ChatMessage> history = new ArrayList<>();
            float currentAlpha = alpha;
            out.println("ivl chat: " + base + (value == null ? "" : " + value " + value + ", alpha " + alpha)
                    + ". /reset, /alpha A, /exit");
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
                    currentAlpha = parseAlpha(line, currentAlpha, valueModel != null, out);
                    continue;
                }
                if (history.isEmpty() && system != null) {
                    history.add(ChatMessage.system(system));
                }
                history.add(ChatMessage.user(line));
                LanguageModel lm = valueModel == null
                        ? baseModel
                        : stepOptions.apply(ResidualCombiner.withAlpha(currentAlpha).combine(baseModel, valueModel));
                int[] prompt = tok.encode(template.render(history, true), false); // specials come from the template
                GenerationResult result = new Generator(lm, tok).generate(prompt, config.build(), out::print,
                        new CancellationToken());
                out.printf(Locale.ROOT, "%n[%d tokens, %.1f ms/token, %s]%n", result.usage().completionTokens(),
                        result.timings().meanTokenMillis(), result.finishReason());
                history.add(ChatMessage.assistant(result.text().strip()));
            }
        }
    }

    private static float parseAlpha(String line, float current, boolean hasValue, PrintStream out) {
        if (!hasValue) {
            out.println("(no value model: start with --value DIR to use /alpha)");
            return current;
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
            out.println("(usage: /alpha 0.5; alpha stays " + current + ")");
            return current;
        }
    }
}
