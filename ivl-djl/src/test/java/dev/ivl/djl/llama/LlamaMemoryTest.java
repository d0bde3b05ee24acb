package dev.ivl.djl.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.djl.testutil.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Long decoding does not leak native memory: every step's temporaries are freed when the step ends. The steps run
 * as rounds of 500 positions (rewinding between rounds), so that the attention's working memory, which grows with
 * the context, is the same in every round and any growth is a leak. The module's tests run with a fixed,
 * pre-touched Java heap (see its pom), so heap paging does not show up as growth. The C allocator's footprint
 * moves up and down by several MB from round to round with no trend (measured over 24 rounds: 1254, 1255, 1265,
 * 1268, 1255, … 1256 MB), so each side of the comparison is the lower of two round-end readings: a leak raises
 * both, a transient peak only one.
 */
class LlamaMemoryTest {
    static final int ROUND = 500;

    @Test
    void twoThousandDecodeStepsDoNotGrowMemory() throws IOException {
        LoadOptions options = LoadOptions.builder().maxSequenceLength(ROUND + 3).build();
        try (LlamaModel model = LlamaModel.load(Fixtures.path("hf-llama/gqa-tied"), options);
                LlamaSession session = model.newSession()) {
            session.append(1, 2, 3);
            // warm-up, 5000 steps: cache and rope table at final size, and the JIT's compilations (whose native
            // memory is part of RSS) done; shorter warm-ups still showed the JVM's own growth
            rounds(session, 10);
            long rssBefore = Math.min(roundThenRss(session), roundThenRss(session));
            int arraysBefore = model.manager().getManagedArrays().size();
            rounds(session, 2);
            long rssAfter = Math.min(roundThenRss(session), roundThenRss(session)); // 2000 decode steps in all
            long growthKb = rssAfter - rssBefore;
            System.out.printf("memory: RSS growth over %d decode steps after warm-up = %d KB%n", 4 * ROUND, growthKb);
            assertEquals(arraysBefore, model.manager().getManagedArrays().size(), "no tensor outlives its step");
            assertTrue(growthKb < 4 * 1024, "RSS grew by " + growthKb + " KB");
        }
    }

    private static void rounds(LlamaSession session, int count) {
        for (int r = 0; r < count; r++) {
            session.rewind(3);
            for (int i = 0; i < ROUND; i++) {
                session.append((i * 7 + r) % 1000);
            }
        }
    }

    private static long roundThenRss(LlamaSession session) throws IOException {
        rounds(session, 1);
        System.gc();
        return rssKb();
    }

    static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D+", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
