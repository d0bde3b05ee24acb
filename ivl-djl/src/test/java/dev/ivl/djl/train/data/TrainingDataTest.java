package dev.ivl.djl.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.ModelFormatException;
import dev.ivl.djl.testutil.Fixtures;
import dev.ivl.djl.tokenizer.ChatTemplate;
import dev.ivl.djl.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading and labelling JSONL data with the Llama-2 tokenizer: the labelled tokens decode to exactly the assistant
 * texts, each followed by {@code </s>} (id 2), and nothing else is labelled.
 */
class TrainingDataTest {
    static final Path LLAMA2 = Fixtures.path("tokenizers/llama2-tokenizer.json");
    static final int EOS = 2;
    static HfTokenizer tokenizer;

    @TempDir
    Path tmp;

    @BeforeAll
    static void open() {
        tokenizer = HfTokenizer.load(LLAMA2);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    Path write(String... lines) throws IOException {
        Path file = tmp.resolve("data.jsonl");
        Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return file;
    }

    TrainingData load(Path file, ChatTemplate template, List<String> report) {
        return TrainingData.load(file, tokenizer, template, 512, report::add);
    }

    /** @return the contiguous runs of labelled tokens */
    static List<int[]> labelledRuns(Sample s) {
        List<int[]> runs = new ArrayList<>();
        int i = 0;
        while (i < s.tokens().length) {
            if (!s.target()[i]) {
                i++;
                continue;
            }
            int start = i;
            while (i < s.tokens().length && s.target()[i]) {
                i++;
            }
            runs.add(Arrays.copyOfRange(s.tokens(), start, i));
        }
        return runs;
    }

    /** Checks that a run is some text's tokens closed by {@code </s>}, and returns the decoded text. */
    static String textOfTurn(int[] run) {
        assertEquals(EOS, run[run.length - 1], "a labelled turn ends with </s>: " + Arrays.toString(run));
        for (int i = 0; i < run.length - 1; i++) {
            assertTrue(run[i] != EOS, "</s> only at the end of a turn: " + Arrays.toString(run));
        }
        return tokenizer.decode(Arrays.copyOf(run, run.length - 1));
    }

    @Test
    void llama2LabelsOnlyTheAnswerAndItsEos() throws IOException {
        List<String> report = new ArrayList<>();
        TrainingData data = load(write("{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
                + " {\"role\": \"user\", \"content\": \"What is the capital of France?\"},"
                + " {\"role\": \"assistant\", \"content\": \"The capital of France is Paris.\"}]}"),
                ChatTemplate.llama2(), report);
        assertEquals(List.of(), report);
        Sample s = data.samples().get(0);
        assertEquals(0, s.source());
        // the sample is the rendered conversation, encoded without added tokens (the template writes <s>)
        assertArrayEquals(tokenizer.encode("<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nWhat is the capital of"
                + " France? [/INST] The capital of France is Paris. </s>", false), s.tokens());
        List<int[]> runs = labelledRuns(s);
        assertEquals(1, runs.size());
        // Llama-2's format is " {answer} </s>": the space before </s> belongs to the answer
        assertEquals("The capital of France is Paris. ", textOfTurn(runs.get(0)));
        int firstLabel = s.tokens().length - runs.get(0).length;
        assertEquals("[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nWhat is the capital of France? [/INST]",
                tokenizer.decode(Arrays.copyOf(s.tokens(), firstLabel)));
        assertTrue(s.target()[s.tokens().length - 1], "the closing </s> is the last token and a label");
    }

    @Test
    void zephyrLabelsTheAnswerAndEosButNotTheNewlineAfterIt() throws IOException {
        TrainingData data = load(write("{\"instruction\": \"Say hi\", \"response\": \"Hi there!\"}"),
                ChatTemplate.zephyr(), new ArrayList<>());
        Sample s = data.samples().get(0);
        assertArrayEquals(tokenizer.encode("<|user|>\nSay hi</s>\n<|assistant|>\nHi there!</s>\n", false),
                s.tokens());
        List<int[]> runs = labelledRuns(s);
        assertEquals(1, runs.size());
        assertEquals("Hi there!", textOfTurn(runs.get(0)));
        // after the labelled </s> come the template's "\n" tokens, unlabelled
        int eosAt = s.tokens().length - 1;
        while (s.tokens()[eosAt] != EOS) {
            eosAt--;
        }
        assertTrue(eosAt < s.tokens().length - 1 && s.target()[eosAt]);
        for (int i = eosAt + 1; i < s.tokens().length; i++) {
            assertFalse(s.target()[i], "token " + i + " after </s>");
        }
    }

    @Test
    void everyAssistantTurnOfAMultiTurnConversationIsLabelled() throws IOException {
        String line = "{\"messages\": [{\"role\": \"user\", \"content\": \"Count to two.\"},"
                + " {\"role\": \"assistant\", \"content\": \"One, two.\"},"
                + " {\"role\": \"user\", \"content\": \"Now to three.\"},"
                + " {\"role\": \"assistant\", \"content\": \"One, two, three.\"},"
                + " {\"role\": \"user\", \"content\": \"Thanks\"}]}";
        Sample llama = load(write(line), ChatTemplate.llama2(), new ArrayList<>()).samples().get(0);
        List<int[]> runs = labelledRuns(llama);
        assertEquals(2, runs.size());
        assertEquals("One, two. ", textOfTurn(runs.get(0)));
        assertEquals("One, two, three. ", textOfTurn(runs.get(1)));
        int labels = runs.stream().mapToInt(r -> r.length).sum();
        int unlabelled = llama.tokens().length - labels;
        // the prompt tokens are those of the three user turns with their [INST] markup, and nothing else
        int promptTokens = tokenizer.encode("<s>[INST] Count to two. [/INST]", false).length
                + tokenizer.encode("<s>[INST] Now to three. [/INST]", false).length
                + tokenizer.encode("<s>[INST] Thanks [/INST]", false).length;
        assertEquals(promptTokens, unlabelled);

        Sample zephyr = load(write(line), ChatTemplate.zephyr(), new ArrayList<>()).samples().get(0);
        List<int[]> zruns = labelledRuns(zephyr);
        assertEquals(2, zruns.size());
        assertEquals("One, two.", textOfTurn(zruns.get(0)));
        assertEquals("One, two, three.", textOfTurn(zruns.get(1)));
    }

    @Test
    void theTokenizersOwnTemplateLabelsAsTheBuiltInZephyr() throws IOException {
        // TinyLlama-Chat's folder: its tokenizer_config.json (Zephyr Jinja template) with the Llama-2 tokenizer
        Path folder = Files.createDirectory(tmp.resolve("tinyllama"));
        Files.copy(LLAMA2, folder.resolve("tokenizer.json"));
        Path config = Fixtures.path("tokenizers/tinyllama-chat");
        Files.copy(config.resolve("tokenizer_config.json"), folder.resolve("tokenizer_config.json"));
        Path file = write("{\"messages\": [{\"role\": \"system\", \"content\": \"You are terse.\"},"
                + " {\"role\": \"user\", \"content\": \"Name a colour.\"},"
                + " {\"role\": \"assistant\", \"content\": \"Blue.\"},"
                + " {\"role\": \"user\", \"content\": \"Another.\"},"
                + " {\"role\": \"assistant\", \"content\": \"Green.\"}]}");
        try (HfTokenizer own = HfTokenizer.load(folder)) {
            Sample viaJinja = TrainingData.load(file, own, TrainingData.template(own, "own"), 512, m -> {})
                    .samples().get(0);
            Sample builtIn = load(file, ChatTemplate.zephyr(), new ArrayList<>()).samples().get(0);
            assertArrayEquals(builtIn.tokens(), viaJinja.tokens());
            assertArrayEquals(builtIn.target(), viaJinja.target());
            List<int[]> runs = labelledRuns(viaJinja);
            assertEquals("Blue.", textOfTurn(runs.get(0)));
            assertEquals("Green.", textOfTurn(runs.get(1)));
        }
        IllegalParameterException none = assertThrows(IllegalParameterException.class,
                () -> TrainingData.template(tokenizer, "own"));
        assertEquals("template", none.parameter());
        assertTrue(none.getMessage().contains("chat_template"), none.getMessage());
        assertEquals("template", assertThrows(IllegalParameterException.class,
                () -> TrainingData.template(tokenizer, "chatml")).parameter());
        assertEquals(ChatTemplate.llama2(), TrainingData.template(tokenizer, "llama2"));
    }

    @Test
    void aBoundaryTheTokenizerMergesAcrossIsReportedAndSkipped() throws IOException {
        // "### Answer: " ends with a space: alone it tokenizes as "▁", but before the answer it merges into "▁Yes"
        ChatTemplate answerCue = ChatTemplate.jinja("{% for m in messages %}{% if m['role'] == 'user' %}"
                + "{{ '### Question: ' + m['content'] + '\\n### Answer: ' }}"
                + "{% else %}{{ m['content'] + eos_token + '\\n' }}{% endif %}{% endfor %}", "<s>", "</s>");
        Path file = write(
                "{\"instruction\": \"Is water wet?\", \"response\": \"Yes, it is.\"}",
                "",
                "{\"instruction\": \"Is fire cold?\", \"response\": \"\\nNo, it is hot.\"}");
        List<String> report = new ArrayList<>();
        TrainingData data = load(file, answerCue, report);
        assertEquals(1, data.skipped());
        assertEquals(1, report.size());
        String message = report.get(0);
        assertTrue(message.startsWith(file + ": line 1: skipped: "), message);
        assertTrue(message.contains("messages[1]") && message.contains("merge across"), message);
        // the answer starting on a new line keeps "▁" apart: that boundary is exact and the sample is used
        assertEquals(1, data.samples().size());
        Sample s = data.samples().get(0);
        assertEquals(2, s.source());
        assertEquals("\nNo, it is hot.", textOfTurn(labelledRuns(s).get(0)));
    }

    @Test
    void conversationsThatCannotBeLabelledAreReportedAndSkipped() throws IOException {
        String longAnswer = "word ".repeat(600);
        Path file = write(
                "{\"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"user\", \"content\": \"b\"}]}",
                "{\"instruction\": \"Repeat word\", \"response\": \"" + longAnswer + "\"}",
                "{\"messages\": [{\"role\": \"assistant\", \"content\": \"I start.\"},"
                        + " {\"role\": \"user\", \"content\": \"ok\"}]}",
                "{\"instruction\": \"Fine?\", \"response\": \"Fine.\"}");
        List<String> report = new ArrayList<>();
        TrainingData data = load(file, ChatTemplate.llama2(), report);
        assertEquals(4, data.skipped());
        assertEquals(List.of(4), data.samples().stream().map(Sample::source).toList());
        assertEquals(4, report.size(), report.toString());
        assertTrue(report.get(0).contains("line 1: skipped: no assistant message"), report.get(0));
        assertTrue(report.get(1).contains("line 2: skipped: the chat template rejects it")
                && report.get(1).contains("messages[1]"), report.get(1));
        int length = tokenizer.encode("<s>[INST] Repeat word [/INST] " + longAnswer.strip() + " </s>", false).length;
        assertTrue(report.get(2).contains("line 3: skipped: " + length + " tokens, more than the maximum length 512"),
                report.get(2));
        assertTrue(report.get(3).contains("line 4: skipped:"), report.get(3));
    }

    @Test
    void instructionWithInputAndSystemEqualsTheMessagesForm() throws IOException {
        Path pair = write("{\"source\": \"x\", \"system\": \"Be kind.\", \"instruction\": \"Translate\","
                + " \"input\": \"chat\", \"response\": \"cat\"}");
        Sample a = load(pair, ChatTemplate.zephyr(), new ArrayList<>()).samples().get(0);
        Path chat = write("{\"messages\": [{\"role\": \"system\", \"content\": \"Be kind.\"},"
                + " {\"role\": \"user\", \"content\": \"Translate\\n\\nchat\"},"
                + " {\"role\": \"assistant\", \"content\": \"cat\"}]}");
        Sample b = load(chat, ChatTemplate.zephyr(), new ArrayList<>()).samples().get(0);
        assertArrayEquals(b.tokens(), a.tokens());
        assertArrayEquals(b.target(), a.target());
    }

    @Test
    void malformedLinesFailNamingFileAndLine() throws IOException {
        String good = "{\"instruction\": \"a\", \"response\": \"b\"}";
        String[][] cases = {
            {"{\"instruction\": \"a\", \"response\": \"b\"", "line 3: not valid JSON"},
            {"{instruction: \"a\", \"response\": \"b\"}", "line 3: not valid JSON: syntax error at column 3"},
            {"{\"instruction\": \"a\", \"response\": \"b\"} {}", "line 3: not valid JSON"},
            {"[1, 2]", "line 3: not a JSON object"},
            {"{\"instruction\": \"a\"}", "line 3: needs a string \"response\""},
            {"{\"instruction\": \"a\", \"response\": 7}", "line 3: \"response\" must be a string, got 7"},
            {"{\"prompt\": \"a\"}", "line 3: needs \"messages\""},
            {"{\"messages\": []}", "line 3: \"messages\" must be a non-empty list"},
            {"{\"messages\": [{\"role\": \"bot\", \"content\": \"x\"}]}", "line 3: messages[0].role must be system,"},
            {"{\"messages\": [{\"role\": \"user\"}]}", "line 3: needs a string \"messages[0].content\""},
            {"{\"messages\": [], \"instruction\": \"a\", \"response\": \"b\"}", "line 3: more than one of"},
            {"{\"text\": \"a\", \"instruction\": \"a\", \"response\": \"b\"}", "line 3: more than one of"},
            {"{\"text\": 5}", "line 3: \"text\" must be a string, got 5"},
        };
        for (String[] c : cases) {
            Path file = write(good, "  ", c[0], good);
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> load(file, ChatTemplate.llama2(), new ArrayList<>()), c[0]);
            assertEquals(file, e.file());
            assertTrue(e.getMessage().startsWith(file + ": " + c[1]), c[0] + " -> " + e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
        Path bytes = tmp.resolve("latin1.jsonl");
        Files.write(bytes, ("{\"instruction\": \"caf\u00e9\", \"response\": \"b\"}\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        ModelFormatException utf8 = assertThrows(ModelFormatException.class,
                () -> load(bytes, ChatTemplate.llama2(), new ArrayList<>()));
        assertTrue(utf8.getMessage().contains("line 1: not valid UTF-8"), utf8.getMessage());
        ModelFormatException missing = assertThrows(ModelFormatException.class,
                () -> load(tmp.resolve("none.jsonl"), ChatTemplate.llama2(), new ArrayList<>()));
        assertTrue(missing.getMessage().contains("no such data file"), missing.getMessage());
        ModelFormatException empty = assertThrows(ModelFormatException.class,
                () -> load(write("", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}"),
                        ChatTemplate.llama2(), new ArrayList<>()));
        assertTrue(empty.getMessage().contains("no usable training example (1 skipped, 2 lines)"),
                empty.getMessage());
    }

    @Test
    void plainTextIsEncodedWithBosAndEveryTokenAfterTheFirstIsALabel() throws IOException {
        String text = "In the beginning God created the heaven and the earth.";
        List<String> report = new ArrayList<>();
        TrainingData data = load(write("{\"text\": \"" + text + "\"}", "{\"text\": \"\"}"), ChatTemplate.llama2(),
                report);
        assertEquals(1, data.samples().size());
        Sample s = data.samples().get(0);
        int[] expected = tokenizer.encode(text, true);
        assertEquals(1, expected[0], "the Llama-2 tokenizer adds <s>");
        assertArrayEquals(expected, s.tokens());
        assertFalse(s.target()[0], "the first token has nothing before it");
        for (int i = 1; i < expected.length; i++) {
            assertTrue(s.target()[i], "token " + i);
        }
        assertEquals(1, data.skipped());
        assertEquals(1, report.size());
        assertTrue(report.get(0).contains("line 2: skipped: the text encodes to 1 token(s)"), report.get(0));
        List<String> tooLong = new ArrayList<>();
        TrainingData.load(write("{\"text\": \"" + text + "\"}", "{\"text\": \"a b\"}"), tokenizer,
                ChatTemplate.llama2(), 5, tooLong::add);
        assertEquals(1, tooLong.size());
        assertTrue(tooLong.get(0).contains("line 1: skipped: " + expected.length
                + " tokens, more than the maximum length 5"), tooLong.get(0));
    }

    @Test
    void theHashIsTheSha256OfTheFileBytes() throws Exception {
        Path file = write("{\"instruction\": \"a\", \"response\": \"b\"}", "");
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(file)));
        assertEquals(expected, load(file, ChatTemplate.llama2(), new ArrayList<>()).sha256());
        Files.writeString(file, "{\"instruction\": \"a\", \"response\": \"c\"}\n");
        assertFalse(expected.equals(load(file, ChatTemplate.llama2(), new ArrayList<>()).sha256()));
    }

    @Test
    void thePythonFaqCorpusLoadsWithEveryAnswerLabelledExactly() throws IOException {
        Path corpus = Fixtures.shared("corpus/python-faq-qa.jsonl");
        List<String> lines = Files.readAllLines(corpus);
        List<String> report = new ArrayList<>();
        TrainingData data = TrainingData.load(corpus, tokenizer, ChatTemplate.llama2(), 1024, report::add);
        long examples = lines.stream().filter(l -> !l.isBlank()).count();
        assertEquals(examples, data.samples().size() + data.skipped());
        assertEquals(data.skipped(), report.size());
        assertTrue(data.samples().size() > examples / 2, data.samples().size() + " of " + examples);
        for (String message : report) {
            assertTrue(message.contains("more than the maximum length 1024"), message);
        }
        for (Sample s : data.samples()) {
            assertTrue(s.tokens().length <= 1024);
            JsonObject json = JsonParser.parseString(lines.get(s.source())).getAsJsonObject();
            List<int[]> runs = labelledRuns(s);
            assertEquals(1, runs.size(), "line " + (s.source() + 1));
            assertEquals(json.get("response").getAsString().strip() + " ", textOfTurn(runs.get(0)),
                    "line " + (s.source() + 1));
        }
    }
}
