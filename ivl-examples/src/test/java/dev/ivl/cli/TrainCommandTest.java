package dev.ivl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.model.Scheme;
import dev.ivl.djl.train.IvlTrainer;
import dev.ivl.djl.train.TrainConfig;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code ivl train}'s options become a {@link TrainConfig}; invalid ones are refused before any training. A run
 * resumes only its own checkpoint, replaces a model only with {@code --force} and only whole, and is refused while
 * another run writes the same folder.
 */
class TrainCommandTest {
    static final String[] REQUIRED = {"--value-init", "v", "--base", "b", "--data", "d.jsonl", "--out", "o"};

    @TempDir
    Path tmp;

    static TrainConfig config(String... args) {
        TrainCommand command = new TrainCommand();
        new CommandLine(command).parseArgs(args);
        return command.toConfig();
    }

    static String[] with(String... extra) {
        String[] args = new String[REQUIRED.length + extra.length];
        System.arraycopy(REQUIRED, 0, args, 0, REQUIRED.length);
        System.arraycopy(extra, 0, args, REQUIRED.length, extra.length);
        return args;
    }

    @Test
    void everyOptionReachesTheConfiguration() {
        TrainConfig c = config("--value-init", "small", "--base", "b1,b2", "--base", "b3", "--data", "x.jsonl",
                "--out", "run", "--scheme", "cascade-no-text", "--lambda", "0.5", "--lr", "3e-5", "--epochs", "2",
                "--batch-tokens", "4096", "--max-length", "512", "--template", "zephyr", "--grad-accum", "4",
                "--warmup-ratio", "0.1", "--weight-decay", "0.01", "--clip-norm", "0", "--seed", "17",
                "--checkpoint-every", "50", "--resume", "--force", "--device", "gpu:1");
        assertEquals(Path.of("small"), c.valueInit());
        assertEquals(List.of(Path.of("b1"), Path.of("b2"), Path.of("b3")), c.bases());
        assertEquals(Path.of("x.jsonl"), c.data());
        assertEquals(Path.of("run"), c.out());
        assertEquals(Scheme.CASCADE_NO_TEXT, c.scheme());
        assertEquals(0.5f, c.lambda());
        assertEquals(3e-5f, c.learningRate());
        assertEquals(2, c.epochs());
        assertEquals(4096, c.batchTokens());
        assertEquals(512, c.maxLength());
        assertEquals("zephyr", c.template());
        assertEquals(4, c.gradientAccumulation());
        assertEquals(0.1f, c.warmupRatio());
        assertEquals(0.01f, c.weightDecay());
        assertEquals(0f, c.clipNorm());
        assertEquals(17L, c.seed());
        assertEquals(50, c.checkpointEvery());
        assertTrue(c.resume());
        assertTrue(c.force());
        assertEquals("gpu:1", c.device());
        assertEquals(Scheme.CAUSAL_LM, config("--value-init", "v", "--data", "d", "--out", "o", "--scheme",
                "causal-lm").scheme());
    }

    @Test
    void theDefaultsInTheHelpAreTheConfigurationsDefaults() {
        TrainConfig c = config(REQUIRED);
        Map<String, Object> actual = Map.ofEntries(
                Map.entry("--scheme", c.scheme().name().toLowerCase(Locale.ROOT).replace('_', '-')),
                Map.entry("--lambda", c.lambda()), Map.entry("--lr", c.learningRate()),
                Map.entry("--epochs", c.epochs()), Map.entry("--batch-tokens", c.batchTokens()),
                Map.entry("--max-length", c.maxLength()), Map.entry("--template", c.template()),
                Map.entry("--grad-accum", c.gradientAccumulation()), Map.entry("--warmup-ratio", c.warmupRatio()),
                Map.entry("--weight-decay", c.weightDecay()), Map.entry("--clip-norm", c.clipNorm()),
                Map.entry("--seed", c.seed()), Map.entry("--checkpoint-every", c.checkpointEvery()),
                Map.entry("--device", c.device()));
        Pattern defaultText = Pattern.compile("\\(default: ([^)]+)\\)");
        int checked = 0;
        for (OptionSpec option : new CommandLine(new TrainCommand()).getCommandSpec().options()) {
            Object value = actual.get(option.longestName());
            if (value == null) {
                continue;
            }
            Matcher m = defaultText.matcher(String.join(" ", option.description()));
            assertTrue(m.find(), option.longestName() + " states its default");
            String stated = m.group(1);
            if (value instanceof Number) {
                assertEquals(((Number) value).doubleValue(), Double.parseDouble(stated), 1e-9,
                        option.longestName());
            } else {
                assertEquals(value, stated, option.longestName());
            }
            checked++;
        }
        assertEquals(actual.size(), checked);
        assertFalse(c.resume());
        assertFalse(c.force());
    }

    @Test
    void invalidSettingsNameTheParameter() {
        IllegalParameterException lambda = assertThrows(IllegalParameterException.class,
                () -> config(with("--lambda", "-1")));
        assertEquals("lambda", lambda.parameter());
        assertEquals("bases", assertThrows(IllegalParameterException.class,
                () -> config("--value-init", "v", "--data", "d", "--out", "o")).parameter());
        assertEquals("bases", assertThrows(IllegalParameterException.class,
                () -> config(with("--scheme", "causal-lm"))).parameter());
        assertEquals("--scheme", assertThrows(IllegalParameterException.class,
                () -> config(with("--scheme", "cascade_no_text_x"))).parameter());
        assertEquals("template", assertThrows(IllegalParameterException.class,
                () -> config(with("--template", "chatml"))).parameter());
        assertEquals("batchTokens", assertThrows(IllegalParameterException.class,
                () -> config(with("--max-length", "4096"))).parameter());
        assertEquals("lambda", assertThrows(IllegalParameterException.class,
                () -> config(with("--lambda", "NaN"))).parameter());
    }

    @Test
    void theCommandLineRefusesBadOptionsOnOneLineWithoutStartingToTrain() {
        Path out = tmp.resolve("run");
        CliTest.Run lambda = CliTest.run("train", "--value-init", "v", "--base", "b", "--data", "d.jsonl",
                "--out", out.toString(), "--lambda", "-0.5");
        assertEquals(1, lambda.exit());
        assertEquals("ivl: error: lambda must be a finite number >= 0, got -0.5", lambda.err().strip());
        CliTest.Run noBase = CliTest.run("train", "--value-init", "v", "--data", "d.jsonl", "--out",
                out.toString());
        assertEquals(1, noBase.exit());
        assertEquals(1, noBase.err().strip().lines().count(), noBase.err());
        assertTrue(noBase.err().contains("bases needs at least one base model for RESIDUAL"), noBase.err());
        assertFalse(Files.exists(out), "nothing written");
        CliTest.Run notANumber = CliTest.run("train", "--value-init", "v", "--base", "b", "--data", "d.jsonl",
                "--out", out.toString(), "--lambda", "abc");
        assertEquals(CommandLine.ExitCode.USAGE, notANumber.exit());
        assertTrue(notANumber.err().contains("--lambda") && notANumber.err().contains("abc"), notANumber.err());
        CliTest.Run help = CliTest.run("train", "--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("--value-init") && help.out().contains("--checkpoint-every"), help.out());
    }

    /** The tiny Llama-2-vocabulary checkpoint with the Llama-2 tokenizer beside it; base and value init alike. */
    Path model() throws IOException {
        Path dir = tmp.resolve("tiny");
        if (!Files.exists(dir)) {
            Files.createDirectories(dir);
            Path src = CliTest.FIXTURES.resolve("hf-llama/mqa-llama2vocab-fp16");
            Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
            Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
            Files.copy(CliTest.LLAMA2_TOKENIZER, dir.resolve("tokenizer.json"));
        }
        return dir;
    }

    Path data(String name, String... responses) throws IOException {
        Path file = tmp.resolve(name);
        List<String> lines = new ArrayList<>();
        for (String r : responses) {
            lines.add("{\"instruction\": \"Name a thing.\", \"response\": \"" + r + "\"}");
        }
        Files.write(file, lines);
        return file;
    }

    /** @return {@code ivl train}'s arguments: a few steps on the tiny model, with the given data and extras */
    String[] train(Path data, Path out, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("train", "--value-init", model().toString(), "--base",
                model().toString(), "--data", data.toString(), "--out", out.toString(), "--epochs", "2",
                "--batch-tokens", "64", "--max-length", "64", "--warmup-ratio", "0", "--seed", "7"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    /** @return each file under a folder, by its relative path, with its bytes' hash */
    static Map<String, Integer> snapshot(Path dir) throws IOException {
        Map<String, Integer> files = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.filter(Files::isRegularFile).toList()) {
                files.put(dir.relativize(p).toString(), Arrays.hashCode(Files.readAllBytes(p)));
            }
        }
        return files;
    }

    /** @return the names in the folder the output folder is in */
    List<String> besideTheModel() throws IOException {
        try (Stream<Path> files = Files.list(tmp)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("run")).sorted().toList();
        }
    }

    static void assertRefused(String message, CliTest.Run run) {
        assertEquals(1, run.exit(), run.out() + run.err());
        assertEquals("ivl: error: " + message, run.err().strip());
    }

    @Test
    void resumeContinuesOnlyTheRunItsCheckpointWasMadeBy() throws IOException {
        Path data = data("data.jsonl", "Blue.", "Apple.", "Monday.", "Seven.", "Cat.", "Oak.");
        Path out = tmp.resolve("run");
        String[] args = train(data, out, "--checkpoint-every", "1");
        TrainConfig config = config(Arrays.copyOfRange(args, 1, args.length));
        assertThrows(IllegalStateException.class, () -> new IvlTrainer(config).train(report -> {
            if (report.step() == 2) {
                throw new IllegalStateException("interrupted after the checkpoint of step 1");
            }
        }));
        Path work = tmp.resolve("run.ivl-partial");
        Map<String, Integer> checkpoint = snapshot(work);
        assertTrue(checkpoint.containsKey("checkpoint/state.json"), checkpoint.toString());

        Path other = data("other.jsonl", "Red.", "Pear.", "Friday.", "Nine.", "Dog.", "Elm.");
        CliTest.Run otherData = CliTest.run(train(other, out, "--resume"));
        assertEquals(1, otherData.exit());
        assertTrue(otherData.err().startsWith("ivl: error: --resume: the checkpoint was made with other data"
                + " (sha256 "), otherData.err());
        assertEquals(1, otherData.err().strip().lines().count(), otherData.err());
        assertRefused("--resume: the checkpoint was made with --lr 1.0E-4, this run has 0.002",
                CliTest.run(train(data, out, "--resume", "--lr", "0.002")));
        assertRefused("--resume: the checkpoint was made with --lambda 0.0, this run has 0.5",
                CliTest.run(train(data, out, "--resume", "--lambda", "0.5")));
        assertRefused("--resume: the checkpoint was made with --grad-accum 1, this run has 2",
                CliTest.run(train(data, out, "--resume", "--grad-accum", "2")));
        assertRefused(work + " holds the checkpoint of an interrupted run; add --resume to continue it, or --force"
                + " to start afresh", CliTest.run(train(data, out)));
        Path state = work.resolve("checkpoint/state.json");
        String saved = Files.readString(state);
        Files.writeString(state, saved.replaceFirst("\"step\": 1,", "\"step\": 99999,"));
        CliTest.Run farStep = CliTest.run(train(data, out, "--resume"));
        assertEquals(1, farStep.exit());
        assertTrue(farStep.err().startsWith("ivl: error: " + state + ": step 99999 is not one a checkpoint of this"
                + " run is written at (1 to "), farStep.err());
        Files.writeString(state, saved);
        assertEquals(checkpoint, snapshot(work), "the refused runs left the checkpoint as it was");
        assertEquals(List.of("run.ivl-partial"), besideTheModel(), "and wrote nothing else");

        CliTest.Run resumed = CliTest.run(train(data, out, "--resume"));
        assertEquals(0, resumed.exit(), resumed.err());
        assertEquals(List.of("run"), besideTheModel());
        assertFalse(Files.exists(out.resolve("checkpoint")), "a complete run keeps no checkpoint");
    }

    @Test
    void aModelInTheOutputFolderIsReplacedOnlyWithForceAndOnlyAsAWhole() throws IOException {
        Path data = data("data.jsonl", "Blue.", "Apple.", "Monday.", "Seven.");
        Path out = tmp.resolve("run");
        assertEquals(0, CliTest.run(train(data, out, "--max-steps", "1")).exit());
        Map<String, Integer> first = snapshot(out);
        assertRefused("--out " + out + " holds a model; add --force to replace it",
                CliTest.run(train(data, out, "--max-steps", "2")));
        Files.writeString(out.resolve("notes.txt"), "mine");
        assertRefused("--out " + out + " holds notes.txt, which is not a model's file and would be deleted with the"
                + " folder; choose a new or empty folder", CliTest.run(train(data, out, "--max-steps", "2", "--force")));
        Files.delete(out.resolve("notes.txt"));
        assertEquals(first, snapshot(out), "the refused runs left the model as it was");
        assertEquals(List.of("run"), besideTheModel());

        CliTest.Run forced = CliTest.run(train(data, out, "--max-steps", "2", "--force"));
        assertEquals(0, forced.exit(), forced.err());
        assertEquals(2, JsonParser.parseString(Files.readString(out.resolve("ivl.json"))).getAsJsonObject()
                .get("steps").getAsInt());
        assertEquals(2, Files.readAllLines(out.resolve("train-log.jsonl")).size());
        assertEquals(List.of("run"), besideTheModel());
    }

    @Test
    void aRunIntoAFolderAnotherRunIsWritingIsRefused() throws IOException {
        Path data = data("data.jsonl", "Blue.", "Apple.");
        Path out = tmp.resolve("run");
        Path lockFile = tmp.resolve("run.ivl-lock");
        try (FileChannel other = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = other.lock()) { // as a run of this process would
            assertTrue(lock.isValid());
            assertRefused("another training run (process " + ProcessHandle.current().pid() + ") is writing " + out
                    + "; wait for it to end, or choose another --out", CliTest.run(train(data, out)));
            assertEquals(List.of("run.ivl-lock"), besideTheModel(), "the other run's lock, nothing else");
        }
        Files.delete(lockFile);
        assertEquals(0, CliTest.run(train(data, out)).exit());
        assertEquals(List.of("run"), besideTheModel(), "the lock is gone with the run");
    }
}
