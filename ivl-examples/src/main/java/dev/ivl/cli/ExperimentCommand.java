package dev.ivl.cli;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.examples.bench.Machine;
import dev.ivl.examples.experiment.Experiment;
import dev.ivl.examples.experiment.ExperimentConfig;
import dev.ivl.examples.experiment.KjvText;
import dev.ivl.examples.experiment.Verse;
import dev.ivl.examples.facts.FactsConfig;
import dev.ivl.examples.facts.FactsDemoExport;
import dev.ivl.examples.facts.FactsExperiment;
import dev.ivl.examples.facts.FactsSpeculation;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Runs the toy-scale replication of the paper's claims and writes its report. */
@Command(name = "experiment", mixinStandardHelpOptions = true, sortOptions = false,
        description = "A seeded toy-scale replication of inverse value learning. The facts study (the default) "
                + "pre-trains bases S, M and L of one family on statements about a synthetic world, post-trains on "
                + "chat demonstrations that ask for a fact (full fine-tuning; residual value models at several "
                + "lambda; cascade; a curriculum S->M; a value model of another vocabulary) over 3 seeds, and "
                + "evaluates every configuration, the transfers to L and to a continually pre-trained L and proxy "
                + "tuning included, on people no demonstration asks about. The genesis study does the same on verse "
                + "continuation with the Llama-2 vocabulary. Writes models, results.md, chart.png (and the "
                + "evaluations) into --out; progress goes to stderr.")
final class ExperimentCommand implements Callable<Integer> {
    private static final String TOKENIZER_RESOURCE = "/dev/ivl/fixtures/tokenizers/llama2-tokenizer.json";

    @Option(names = "--task", paramLabel = "NAME", defaultValue = "facts", description = "facts (synthetic facts "
            + "with a word-level vocabulary, 3 seeds: the reported study) or genesis (verse continuation with the "
            + "Llama-2 vocabulary, one seed: exact match is 0 at this scale) (default: ${DEFAULT-VALUE})")
    String task;

    @Option(names = "--quick", description = "the whole pipeline in a minute or two (tiny models; results not "
            + "meaningful); same as --scale quick")
    boolean quick;

    @Option(names = "--scale", paramLabel = "NAME",
            description = "full (the reported run: facts ~10 min, genesis ~12 min on 2 cores), quick (under a "
                    + "minute) or, for genesis only, micro (seconds, for tests) (default: full)")
    String scale;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "ivl-experiment",
            description = "run folder (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--seed", paramLabel = "N",
            description = "genesis: seeds initialisation, data split and order (default: 1); the facts study runs"
                    + " its own seeds 1, 2, 3 and refuses this option")
    Long seed;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1", description = "PyTorch intra-op threads "
            + "(default: ${DEFAULT-VALUE}: these small models gain little from a second thread and lose much when "
            + "another process shares the cores)")
    int threads;

    @Option(names = "--corpus", paramLabel = "FILE", description = "a KJV-layout text (.txt or .txt.gz) instead of "
            + "the Genesis text shipped in ivl-test-fixtures")
    Path corpus;

    @Option(names = "--speculation", description = "facts only: after the study, pre-train XL (a base larger than L) "
            + "and measure speculative decoding, S + value drafting for L + value and for XL + value, into "
            + "speculation.md (about 13 more minutes at the full scale on 2 cores)")
    boolean speculation;

    @Option(names = "--export-demo", paramLabel = "DIR", description = "facts only: also write the folder `ivl demo` "
            + "reads (base/ = L, value/ = the value model with lambda and alpha chosen on the validation people, "
            + "prompts.jsonl, README.md)")
    Path exportDemo;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (quick && scale != null && !scale.equalsIgnoreCase("quick")) {
            throw new IllegalParameterException("--quick", "--scale " + scale, "contradicts it: give one of them");
        }
        Cli.configureThreads(threads);
        if (task.equals("facts")) {
            for (Object[] o : new Object[][] {{"--seed", seed}, {"--corpus", corpus}}) {
                if (o[1] != null) {
                    throw new IllegalParameterException((String) o[0], o[1], "does not apply to --task facts");
                }
            }
            FactsConfig facts = FactsConfig.preset(quick ? "quick" : scale == null ? "full" : scale);
            FactsExperiment experiment = new FactsExperiment(facts, out, line -> System.err.println(line));
            FactsExperiment.Findings findings = experiment.run();
            System.out.println("results: " + out.resolve("results.md"));
            if (speculation) {
                System.out.println("speculation: " + FactsSpeculation.run(experiment, out, findings.chosen(), facts,
                        line -> System.err.println(line)));
            }
            if (exportDemo != null) {
                System.out.println("demo: " + exportDemo + " (base L, "
                        + FactsDemoExport.write(out, findings.chosen(), facts, exportDemo) + ", chosen on validation)");
            }
            return 0;
        }
        if (!task.equals("genesis")) {
            throw new IllegalParameterException("--task", task, "must be facts or genesis");
        }
        if (speculation) {
            throw new IllegalParameterException("--speculation", true, "applies to --task facts only");
        }
        if (exportDemo != null) {
            throw new IllegalParameterException("--export-demo", exportDemo, "applies to --task facts only (the genesis"
                    + " study has no validation split to choose the demo's value model on)");
        }
        ExperimentConfig config = ExperimentConfig.preset(quick ? "quick" : scale == null ? "full" : scale,
                seed == null ? 1 : seed);
        List<Verse> verses = corpus == null ? KjvText.shippedGenesis() : KjvText.read(corpus);
        Path tokenizer = extractTokenizer();
        String command = "ivl " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        Experiment experiment = new Experiment(config, verses, tokenizer, out, line -> System.err.println(line));
        Machine m = Machine.detect();
        experiment.run(command, String.format(Locale.ROOT,
                "%s, %d cores; PyTorch %s on %d thread(s); %s", m.cpuModel(), m.cores(), m.engineVersion(),
                m.intraOpThreads(), m.jvm()));
        System.out.println("results: " + out.resolve("results.md"));
        return 0;
    }

    /** @return the Llama-2 tokenizer.json shipped in ivl-test-fixtures, copied into the run folder */
    private Path extractTokenizer() {
        Path file = out.resolve("tokenizer.json");
        try (InputStream in = ExperimentCommand.class.getResourceAsStream(TOKENIZER_RESOURCE)) {
            if (in == null) {
                throw new InvalidInputException("the tokenizer resource " + TOKENIZER_RESOURCE
                        + " is not on the class path (it ships in ivl-test-fixtures)");
            }
            Files.createDirectories(out);
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new InvalidInputException("--out " + out + ": cannot write " + file + ": " + e.getMessage());
        }
    }
}
