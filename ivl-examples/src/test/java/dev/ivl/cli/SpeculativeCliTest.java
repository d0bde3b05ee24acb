package dev.ivl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ivl generate --draft} and {@code ivl bench --draft} on the demo models: the same tokens as without the draft,
 * the speculation's counts reported, and a draft of another vocabulary refused in one line.
 */
class SpeculativeCliTest {
    private static String[] pair(Path demo, String... more) {
        String[] base = {"generate", "--base", demo.resolve("base").toString(), "--value",
            demo.resolve("value").toString(), "--dtype", "f32", "--json", "--max-new-tokens", "40", "--prompt",
            "Gostil Bravos is a chandler by trade."};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void generateWithADraftGivesTheSameTokensAndCountsTheSpeculation(@TempDir Path tmp) {
        Path demo = DemoFiles.shipped(SpeculativeCliTest.class.getClassLoader(), tmp.resolve("cache"));
        CliTest.Run plain = CliTest.run(pair(demo));
        assertEquals(0, plain.exit(), plain.err());
        for (String k : new String[] {"2", "6"}) {
            CliTest.Run drafted = CliTest.run(pair(demo, "--draft", demo.resolve("draft").toString(), "--draft-tokens",
                    k));
            assertEquals(0, drafted.exit(), drafted.err());
            JsonObject want = JsonParser.parseString(plain.out()).getAsJsonObject();
            JsonObject got = JsonParser.parseString(drafted.out()).getAsJsonObject();
            assertEquals(want.get("tokens"), got.get("tokens"), "k = " + k);
            assertEquals(want.get("text"), got.get("text"));
            JsonObject s = got.getAsJsonObject("speculation");
            int drafted1 = s.get("drafted").getAsInt();
            int accepted = s.get("accepted").getAsInt();
            assertEquals(drafted1 - accepted, s.get("rejected").getAsInt());
            assertTrue(accepted > 0 && s.get("rounds").getAsInt() > 0, s.toString());
        }
    }

    @Test
    void aDraftOfAnotherVocabularyOrABadKIsRefusedInOneLine(@TempDir Path tmp) {
        Path demo = DemoFiles.shipped(SpeculativeCliTest.class.getClassLoader(), tmp.resolve("cache"));
        CliTest.Run other = CliTest.run(pair(demo, "--draft", CliTest.GQA.toString()));
        assertEquals(1, other.exit());
        assertTrue(other.err().startsWith("ivl: error: the draft has a vocabulary of "), other.err());
        assertEquals(1, other.err().strip().lines().count(), other.err());
        CliTest.Run zero = CliTest.run(pair(demo, "--draft", demo.resolve("draft").toString(), "--draft-tokens", "0"));
        assertEquals(1, zero.exit());
        assertTrue(zero.err().contains("--draft-tokens"), zero.err());
        CliTest.Run alone = CliTest.run(pair(demo, "--draft-tokens", "3"));
        assertEquals(1, alone.exit());
        assertTrue(alone.err().contains("--draft-tokens") && alone.err().contains("needs --draft"), alone.err());
    }

    @Test
    void benchReportsPlainAndEveryKWithItsAcceptance(@TempDir Path tmp) throws java.io.IOException {
        Path demo = DemoFiles.shipped(SpeculativeCliTest.class.getClassLoader(), tmp.resolve("cache"));
        Path prompts = tmp.resolve("prompts.txt");
        Files.writeString(prompts, "Gostil Bravos is a chandler by trade.\nThouro Brepul works as a miner.\n");
        CliTest.Run run = CliTest.run("bench", "--model", demo.resolve("base").toString(), "--value",
                demo.resolve("value").toString(), "--draft", demo.resolve("draft").toString(), "--prompts",
                prompts.toString(), "--dtype", "f32", "--draft-tokens", "2,4", "--repetitions", "1", "--new-tokens",
                "24");
        assertEquals(0, run.exit(), run.err());
        for (String row : new String[] {"| greedy, plain |", "| greedy, k=2 |", "| greedy, k=4 |", "| T=0.7, plain |",
            "| T=0.7, k=4 |"}) {
            assertTrue(run.out().contains(row), row + " in\n" + run.out());
        }
        assertTrue(run.out().matches("(?s).*\\| greedy, k=4 \\| [0-9.]+ \\| \\*\\*[0-9.]+×\\*\\* \\| [0-9]+ / [0-9]+ "
                + "\\([0-9]+ %\\) \\| [0-9.]+ \\|.*"), run.out());
        CliTest.Run missing = CliTest.run("bench", "--model", demo.resolve("base").toString(), "--draft",
                demo.resolve("draft").toString());
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("--draft"), missing.err());
    }
}
