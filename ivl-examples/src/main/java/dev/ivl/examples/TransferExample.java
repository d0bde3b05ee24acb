package dev.ivl.examples;

import dev.ivl.core.combine.Stepping;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.text.TextTokenizer;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.llama.LoadOptions;
import dev.ivl.djl.plug.PlugOptions;
import dev.ivl.djl.plug.PluggedModel;
import dev.ivl.djl.tokenizer.ChatMessage;
import dev.ivl.djl.tokenizer.ChatTemplate;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Plug-and-play transfer, the paper's main case: a value model trained next to TinyLlama-1.1B (with {@code ivl
 * train}) plugged into a larger base of the same vocabulary — Llama-2-7B/13B/70B or CodeLlama — given by path. Runs
 * on a GPU in float16 by default ({@code --device gpu}), or on the CPU.
 *
 * <pre>
 * java -cp "ivl-examples/target/ivl.jar:ivl-examples/target/lib/*" dev.ivl.examples.TransferExample \
 *     --base /models/Llama-2-7b-hf --value /models/ivl-value-tinyllama \
 *     [--device gpu|cpu] [--dtype f16|f32] [--alpha 1.0] [--stepping concurrent|sequential] \
 *     [--template llama2|zephyr] [--max-new-tokens 256] [--prompt "..."]
 * </pre>
 *
 * It prints the answer of the base alone and of the base with the value model, streamed, with their speeds.
 */
public final class TransferExample {
    private TransferExample() {}

    /** @param args see the class documentation */
    public static void main(String[] args) {
        Map<String, String> o = options(args);
        Path base = Path.of(require(o, "--base"));
        Path value = Path.of(require(o, "--value"));
        String device = o.getOrDefault("--device", "gpu");
        LoadOptions.Builder load = LoadOptions.builder().device(device);
        if (o.containsKey("--dtype")) {
            load.dtype(LoadOptions.parseDtype(o.get("--dtype")));
        }
        LoadOptions options = load.build();
        float alpha = Float.parseFloat(o.getOrDefault("--alpha", "1.0"));
        String prompt = o.getOrDefault("--prompt", "Write a short poem about the sea.");
        GenerationConfig config = GenerationConfig.builder().greedy() // the paper decodes greedily
                .maxNewTokens(Integer.parseInt(o.getOrDefault("--max-new-tokens", "256"))).build();
        PlugOptions plug = PlugOptions.builder().alpha(alpha).load(options)
                .stepping(stepping(o.getOrDefault("--stepping", "concurrent"))).build();
        // the value folder's ivl.json decides the combination; the base folder's tokenizer comes with the base
        try (PluggedModel pair = PluggedModel.load(base, value, plug)) {
            LlamaModel baseModel = pair.base();
            // the template the value model was trained with (its ivl.json; the paper uses the Llama-2 chat format)
            ChatTemplate template = o.containsKey("--template") ? ChatTemplate.named(o.get("--template"))
                    : pair.chatTemplate("llama2");
            TextTokenizer tokenizer = pair.tokenizer().orElseThrow(() -> new IllegalArgumentException(
                    base + " has no tokenizer.json"));
            int[] ids = tokenizer.encode(template.render(List.of(ChatMessage.user(prompt)), true), false);
            System.out.println("== base alone (" + base.getFileName() + ", " + baseModel.device() + ", "
                    + baseModel.dtype() + ")");
            GenerationResult alone = new Generator(baseModel).generate(ids, config, System.out::print,
                    new CancellationToken());
            report(alone);
            System.out.println("== base + value (" + value.getFileName() + ", " + pair.kind() + ", alpha " + alpha
                    + ")");
            GenerationResult combined = new Generator(pair).generate(ids, config, System.out::print,
                    new CancellationToken());
            report(combined);
            System.out.printf(Locale.ROOT, "combined / base alone: %.3f ms per token ratio%n",
                    combined.timings().meanTokenMillis() / alone.timings().meanTokenMillis());
        }
    }

    private static Stepping stepping(String value) {
        return switch (value) {
            case "concurrent" -> Stepping.CONCURRENT;
            case "sequential" -> Stepping.SEQUENTIAL;
            default -> throw new IllegalArgumentException("--stepping must be concurrent or sequential, got " + value);
        };
    }

    private static void report(GenerationResult r) {
        System.out.printf(Locale.ROOT, "%n[%d tokens, %s, prefill %.0f ms, %.1f ms/token]%n",
                r.usage().completionTokens(), r.finishReason(), r.timings().prefillMillis(),
                r.timings().meanTokenMillis());
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected an option, got " + args[i]);
            }
            o.put(args[i], args[i + 1]);
        }
        if (args.length % 2 != 0) {
            throw new IllegalArgumentException("option " + args[args.length - 1] + " needs a value");
        }
        return o;
    }

    private static String require(Map<String, String> o, String name) {
        String v = o.get(name);
        if (v == null) {
            throw new IllegalArgumentException("missing " + name + " (see the class documentation)");
        }
        return v;
    }
}
