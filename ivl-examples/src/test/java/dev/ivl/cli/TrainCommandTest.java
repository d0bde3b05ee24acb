package dev.ivl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.model.Scheme;
import dev.ivl.djl.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** {@code ivl train}'s options become a {@link TrainConfig}; invalid ones are refused before any training. */
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
                "--checkpoint-every", "50", "--resume", "--device", "gpu:1");
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
}
