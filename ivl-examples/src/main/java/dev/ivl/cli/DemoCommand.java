package dev.ivl.cli;

import ai.djl.pytorch.jni.JniUtils;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.ModelFormatException;
import dev.ivl.core.combine.Stepping;
import dev.ivl.core.generate.CancellationToken;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.TokenListener;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.djl.llama.LlamaConfig;
import dev.ivl.djl.llama.IvlManifest;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.plug.PlugOptions;
import dev.ivl.djl.plug.PluggedModel;
import dev.ivl.djl.tokenizer.ChatMessage;
import dev.ivl.djl.tokenizer.ChatTemplate;
import dev.ivl.djl.tokenizer.HfTokenizer;
import dev.ivl.djl.train.data.TrainingData;
import dev.ivl.fixtures.RandomCheckpoint;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The demo of plug-and-play transfer: the same requests answered by a large base model alone and by the large base
 * plus a value model trained next to a small base, side by side, greedy and streamed, with their timings.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Plug-and-play transfer of post-training, side by side: each request is answered by a large "
                + "base model alone, then by the same base plus a value model trained next to a small base "
                + "(z_base + alpha * z_delta); greedy, streamed, each answer timed, then the totals and their ratio.",
            "A demo folder holds base/ and value/ (Hugging Face LlamaForCausalLM folders with tokenizer.json) and "
                + "prompts.jsonl, one {\"prompt\": \"...\", \"reference\": \"...\"} per line (reference optional). "
                + "Requests are formatted with the chat template the value model was trained with (its ivl.json), "
                + "else the tokenizer's own, else Llama-2's."})
final class DemoCommand implements Callable<Integer> {
    /** Tokens each model decodes, untimed, before the first timed answer. */
    private static final int WARM_UP_TOKENS = 16;

    @Option(names = "--dir", paramLabel = "DIR",
            description = "a demo folder (default: the demo shipped in the ivl-test-fixtures jar, extracted once to"
                    + " --cache)")
    Path dir;

    @Option(names = "--cache", paramLabel = "DIR",
            description = "where the shipped demo is extracted (default: $XDG_CACHE_HOME/ivl/demo, else "
                    + "~/.cache/ivl/demo); a copy is reused only while its files match the jar")
    Path cache;

    @Option(names = "--prompts", paramLabel = "N", defaultValue = "5",
            description = "how many requests of prompts.jsonl, from the first (default: ${DEFAULT-VALUE})")
    int promptCount;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "per answer (default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--alpha", description = "weight of the value model; 0 gives exactly the base's answers (default:"
            + " the alpha value/ivl.json records, chosen when the demo was made, else 1)")
    Float alpha;

    @Option(names = "--stepping", defaultValue = "concurrent",
            description = "run the two forward passes concurrent (each model on its own thread) or sequential"
                    + " (default: ${DEFAULT-VALUE})")
    String stepping;

    @Option(names = "--threads", description = "thread budget: PyTorch intra-op threads, and the threads a"
            + " concurrent step shares (default: 1, each model then steps on its own thread with one intra-op thread;"
            + " small models gain little from more, and two intra-op threads slow down many times over when another"
            + " process takes a core, see docs/BENCHMARKS.md)")
    Integer threads;

    @Mixin
    ModelOptions modelOptions;

    /** The chat template requests are formatted with, and how it was chosen. */
    private record Format(ChatTemplate template, String description) {}

    /** Time and tokens summed over answers. */
    private static final class Totals {
        double wallMillis;
        double decodeMillis;
        int tokens;
        int matched;
        int withReference;

        void add(double wall, GenerationResult r, DemoFiles.Prompt prompt, boolean matches) {
            wallMillis += wall;
            decodeMillis += Arrays.stream(r.timings().tokenMillis()).sum();
            tokens += r.usage().completionTokens();
            if (prompt.reference() != null) {
                withReference++;
                matched += matches ? 1 : 0;
            }
        }

        double msPerToken() {
            return tokens == 0 ? 0 : decodeMillis / tokens;
        }
    }

    @Override
    public Integer call() {
        Stepping mode = Cli.enumOption("--stepping", stepping, Stepping.class);
        if (promptCount < 1) {
            throw new IllegalParameterException("--prompts", promptCount, "must be >= 1");
        }
        GenerationConfig.Builder greedy = GenerationConfig.builder().greedy().maxNewTokens(maxNewTokens);
        // one thread unless asked for (by option or system property): robust on a loaded machine
        int budget = Cli.configureThreads(threads == null && System.getProperty(Cli.THREADS_PROPERTY) == null
                ? Integer.valueOf(1) : threads);
        Path folder = DemoFiles.check(dir != null ? dir : DemoFiles.shipped(DemoCommand.class.getClassLoader(),
                cache != null ? cache : DemoFiles.defaultCache()));
        List<DemoFiles.Prompt> all = DemoFiles.readPrompts(folder.resolve(DemoFiles.PROMPTS));
        List<DemoFiles.Prompt> prompts = all.subList(0, Math.min(promptCount, all.size()));
        Path baseDir = folder.resolve("base");
        Path valueDir = folder.resolve("value");
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (LlamaModel base = LlamaModel.load(baseDir, modelOptions.toLoadOptions());
                LlamaModel value = LlamaModel.load(valueDir, modelOptions.toLoadOptions())) {
            // the value folder's tokenizer, else the base's: each was loaded with its model
            HfTokenizer tok = value.tokenizer().or(base::tokenizer).orElseThrow(() -> new InvalidInputException(
                    folder + ": neither base/ nor value/ holds a tokenizer.json"));
            tok.checkCompatible(base.vocabSize());
            Optional<IvlManifest> manifest = value.manifest();
            Format format = format(tok, manifest.map(IvlManifest::template).orElse(null),
                    valueDir.resolve(IvlManifest.FILE_NAME));
            alpha = alpha != null ? alpha : manifest.map(IvlManifest::alpha).orElse(1f);
            LanguageModel combined = PluggedModel.plug(base, value, PlugOptions.builder().alpha(alpha).stepping(mode)
                    .threads(budget).build()); // as the value folder's ivl.json says
            base.config().eosTokenIds().forEach(greedy::stopTokenIds);
            GenerationConfig config = greedy.build();
            int[][] ids = new int[prompts.size()][];
            for (int i = 0; i < ids.length; i++) {
                // the template holds the special tokens
                ids[i] = tok.encode(format.template().render(List.of(ChatMessage.user(prompts.get(i).prompt())), true),
                        false);
            }
            printHeader(out, base, value, folder, format, mode, prompts.size(), all.size());
            Generator alone = new Generator(base, tok);
            Generator steered = new Generator(combined, tok);
            GenerationConfig warmUp = config.toBuilder().maxNewTokens(Math.min(WARM_UP_TOKENS, maxNewTokens)).build();
            alone.generate(ids[0], warmUp, TokenListener.NONE, new CancellationToken());
            steered.generate(ids[0], warmUp, TokenListener.NONE, new CancellationToken());
            Totals baseTotals = new Totals();
            Totals combinedTotals = new Totals();
            for (int i = 0; i < prompts.size(); i++) {
                DemoFiles.Prompt p = prompts.get(i);
                out.printf(Locale.ROOT, "%n=== request %d/%d: %s%n", i + 1, prompts.size(), p.prompt());
                if (p.reference() != null) {
                    out.println("reference:    " + p.reference());
                }
                answer(out, "base alone:   ", alone, ids[i], config, p, baseTotals);
                answer(out, "base + value: ", steered, ids[i], config, p, combinedTotals);
            }
            printSummary(out, prompts.size(), baseTotals, combinedTotals);
        }
        return 0;
    }

    /** Streams one answer and prints its timing; adds it to the totals. */
    private static void answer(PrintStream out, String label, Generator generator, int[] ids, GenerationConfig config,
            DemoFiles.Prompt prompt, Totals totals) {
        out.print(label);
        long start = System.nanoTime();
        GenerationResult r = generator.generate(ids, config, out::print, new CancellationToken());
        double wall = (System.nanoTime() - start) / 1e6;
        boolean matches = prompt.reference() != null && r.text().strip().equals(prompt.reference().strip());
        totals.add(wall, r, prompt, matches);
        out.printf(Locale.ROOT, "%n              [%.0f ms: prefill %.0f ms + %d tokens at %.2f ms/token, %s%s]%n", wall,
                r.timings().prefillMillis(), r.usage().completionTokens(), r.timings().meanTokenMillis(),
                r.finishReason().name().toLowerCase(Locale.ROOT).replace('_', ' '),
                prompt.reference() == null ? "" : matches ? ", matches the reference" : ", differs from the reference");
    }

    private void printHeader(PrintStream out, LlamaModel base, LlamaModel value, Path folder, Format format,
            Stepping mode, int shown, int available) {
        out.println("ivl demo: the same requests answered by a large base model alone, then by the base plus a value"
                + " model trained next to a small base (z_base + alpha * z_delta)");
        out.println("  folder:   " + folder.toAbsolutePath().normalize());
        out.println("  base:     " + describe(base.config()));
        out.println("  value:    " + describe(value.config()) + ", alpha " + alpha);
        out.printf(Locale.ROOT, "  decoding: greedy, at most %d new tokens, %s; %s, %s weights, %s activations, %d"
                + " intra-op thread(s), %s stepping%n", maxNewTokens, format.description(), base.options().device(),
                base.dtype().name().toLowerCase(Locale.ROOT), base.computeDtype().name().toLowerCase(Locale.ROOT),
                JniUtils.getNumThreads(),
                mode.name().toLowerCase(Locale.ROOT));
        out.printf(Locale.ROOT, "  requests: %d of %d%n", shown, available);
        out.printf(Locale.ROOT, "  timed:    each answer's wall clock (prompt prefill + decoding + streaming), after"
                + " an untimed warm-up of %d tokens with each side%n", Math.min(WARM_UP_TOKENS, maxNewTokens));
    }

    private static String describe(LlamaConfig c) {
        return String.format(Locale.ROOT, "%.1f M parameters (%d layers, hidden %d, vocabulary %d)",
                RandomCheckpoint.parameterCount(c) / 1e6, c.numHiddenLayers(), c.hiddenSize(), c.vocabSize());
    }

    private static void printSummary(PrintStream out, int prompts, Totals b, Totals c) {
        out.printf(Locale.ROOT, "%n=== summary of %d requests (wall clock per answer, summed)%n", prompts);
        out.printf(Locale.ROOT, "base alone:   %.0f ms, %d tokens, %.2f ms/token decoding%n", b.wallMillis, b.tokens,
                b.msPerToken());
        out.printf(Locale.ROOT, "base + value: %.0f ms, %d tokens, %.2f ms/token decoding%n", c.wallMillis, c.tokens,
                c.msPerToken());
        out.printf(Locale.ROOT, "combined / base alone: %.2fx the time (%.2fx per decoded token)%n",
                c.wallMillis / b.wallMillis, b.msPerToken() == 0 ? Double.NaN : c.msPerToken() / b.msPerToken());
        if (b.withReference > 0) {
            out.printf(Locale.ROOT, "exact match with the reference (after trimming): base alone %d/%d, base + value"
                    + " %d/%d%n", b.matched, b.withReference, c.matched, c.withReference);
        }
    }

    /**
     * The template the value model was trained with, as its {@code ivl.json} records it; without one, the
     * tokenizer's own chat template, else Llama-2's.
     */
    private static Format format(HfTokenizer tok, String recorded, Path ivlJson) {
        if (recorded != null) {
            try {
                return new Format(TrainingData.template(tok, recorded), "chat template " + recorded
                        + " (from ivl.json)");
            } catch (IllegalParameterException e) {
                throw new ModelFormatException(ivlJson, "field template: " + e.getMessage(), e);
            }
        }
        ChatTemplate template = ChatTemplate.forTokenizer(tok, "llama2");
        return new Format(template, template == ChatTemplate.llama2() ? "Llama-2 chat template"
                : "the tokenizer's chat template");
    }
}
