package dev.ivl.djl.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.util.ArrayList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loss log every training run writes, {@code train-log.jsonl}. */
class TrainLogTest {
    @TempDir
    Path out;

    static StepReport report(int step, double loss) {
        return new StepReport(step, 10, step / 5, loss, loss - 0.25, 0.125, 1e-4 * step, 100L * step, 2500.5,
                1.5 * step);
    }

    List<JsonObject> logged() throws IOException {
        return Files.readAllLines(out.resolve("train-log.jsonl")).stream()
                .map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
    }

    @Test
    void logsEveryStepAsJsonAndPassesEverythingOn() throws IOException {
        List<String> heard = new ArrayList<>();
        TrainListener listener = new TrainListener() {
            @Override
            public void onStep(StepReport r) {
                heard.add("step " + r.step());
            }

            @Override
            public void onMessage(String message) {
                heard.add(message);
            }
        };
        try (TrainLog log = new TrainLog(out, false)) {
            TrainListener logging = log.logging(listener);
            logging.onStep(report(1, 2.5));
            logging.onMessage("skipped a sample");
            logging.onStep(report(5, Double.NaN));
        }
        assertEquals(List.of("step 1", "skipped a sample", "step 5"), heard);
        List<JsonObject> lines = logged();
        assertEquals(2, lines.size());
        JsonObject first = lines.get(0);
        assertEquals(1, first.get("step").getAsInt());
        assertEquals(0, first.get("epoch").getAsInt());
        assertEquals(2.5, first.get("loss").getAsDouble());
        assertEquals(2.25, first.get("ce").getAsDouble());
        assertEquals(0.125, first.get("l1").getAsDouble());
        assertEquals(1e-4, first.get("lr").getAsDouble(), 1e-12);
        assertEquals(100, first.get("tokens").getAsLong());
        assertEquals(2500.5, first.get("tokens_per_s").getAsDouble());
        assertEquals(1.5, first.get("elapsed").getAsDouble());
        assertTrue(lines.get(1).get("loss").isJsonNull(), "a NaN loss is logged as null");
        assertEquals(1, lines.get(1).get("epoch").getAsInt());
    }

    @Test
    void aResumedRunKeepsTheStepsBeforeItAndANewRunStartsAfresh() throws IOException {
        try (TrainLog log = new TrainLog(out, false)) {
            for (int step = 1; step <= 4; step++) {
                log.write(report(step, step));
            }
        }
        Files.writeString(out.resolve("train-log.jsonl"), "{\"step\": 2, \"lo", StandardOpenOption.APPEND); // cut off
        try (TrainLog log = new TrainLog(out, true)) { // resumes from the checkpoint of step 2
            log.write(report(3, 30));
        }
        List<JsonObject> lines = logged();
        assertEquals(List.of(1, 2, 3), lines.stream().map(j -> j.get("step").getAsInt()).toList());
        assertEquals(30.0, lines.get(2).get("loss").getAsDouble());
        try (TrainLog log = new TrainLog(out, false)) {
            log.write(report(1, 7));
        }
        assertEquals(List.of(1), logged().stream().map(j -> j.get("step").getAsInt()).toList());
        assertEquals(7.0, logged().get(0).get("loss").getAsDouble());
    }
}
