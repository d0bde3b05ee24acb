package dev.ivl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.djl.llama.GenerationDefaults;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The sampling options of {@code generate} and {@code chat}: one set, one default each, greedy without a file. */
class SamplingOptionsTest {
    static final List<String> SAMPLING = List.of("--max-new-tokens", "--temperature", "--top-k", "--top-p", "--min-p",
            "--repetition-penalty", "--seed");

    @Test
    void generateAndChatDocumentTheSameSamplingOptionsAndModelNames() {
        Map<String, String> generate = optionHelp("generate");
        Map<String, String> chat = optionHelp("chat");
        for (String option : SAMPLING) {
            assertTrue(generate.containsKey(option), option);
            assertEquals(generate.get(option), chat.get(option), option);
        }
        for (String option : List.of("--model", "--base", "--value", "--alpha", "--device", "--dtype", "--threads",
                "--stepping")) {
            assertTrue(generate.containsKey(option) && chat.containsKey(option), option);
        }
    }

    /** @return each option's description in {@code ivl COMMAND --help} */
    static Map<String, String> optionHelp(String command) {
        CommandLine cli = IvlCommand.commandLine().getSubcommands().get(command);
        return cli.getCommandSpec().options().stream()
                .flatMap(o -> java.util.Arrays.stream(o.names()).map(n -> Map.entry(n, String.join(" ", o.description()))))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    @Test
    void withoutFlagsOrGenerationConfigDecodingIsGreedy() {
        // the shipped fixture has no generation_config.json: no flags must give the greedy tokens
        CliTest.Run plain = CliTest.run("generate", "--model", CliTest.GQA.toString(), "--prompt-ids", "1,2,3",
                "--max-new-tokens", "12", "--json");
        CliTest.Run greedy = CliTest.run("generate", "--model", CliTest.GQA.toString(), "--prompt-ids", "1,2,3",
                "--max-new-tokens", "12", "--temperature", "0", "--json");
        assertEquals(0, plain.exit(), plain.err());
        assertEquals(tokens(greedy.out()), tokens(plain.out()));
    }

    @Test
    void flagsWinOverTheFileWhichWinsOverGreedy(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve(GenerationDefaults.FILE_NAME), """
                {"do_sample": true, "temperature": 0.6, "top_p": 0.9, "eos_token_id": [2, 7]}
                """);
        GenerationConfig file = GenerationDefaults.load(dir).orElseThrow().applyTo(GenerationConfig.builder()).build();
        SamplingOptions options = parse();
        GenerationConfig fromFile = options.builder(file).build();
        assertEquals(0.6f, fromFile.temperature());
        assertEquals(0.9f, fromFile.topP());
        assertEquals(List.of(2, 7), fromFile.stopTokenIds().stream().sorted().toList());
        GenerationConfig none = options.builder(GenerationConfig.builder().stopTokenIds(5).build()).build();
        assertEquals(0f, none.temperature());
        assertEquals(List.of(5), List.copyOf(none.stopTokenIds()));
        GenerationConfig flags = parse("--temperature", "1.2", "--top-p", "0.5").builder(file).build();
        assertEquals(1.2f, flags.temperature());
        assertEquals(0.5f, flags.topP());
        assertEquals(256, flags.maxNewTokens());
    }

    private static SamplingOptions parse(String... args) {
        SamplingOptions options = new SamplingOptions();
        new CommandLine(options).parseArgs(args);
        return options;
    }

    private static String tokens(String json) {
        return JsonParser.parseString(json.trim()).getAsJsonObject().getAsJsonArray("tokens").toString();
    }
}
