package dev.ivl.djl.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.ivl.core.IvlException;
import dev.ivl.djl.internal.AtomicFiles;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The loss log of a training run, {@code <out>/train-log.jsonl}: one JSON object per optimizer step with
 * {@code step}, {@code epoch}, {@code loss}, {@code ce} (cross-entropy), {@code l1} (mean |z_delta|, before λ),
 * {@code lr}, {@code tokens} (label tokens so far), {@code tokens_per_s} and {@code elapsed} (seconds). A value that
 * is not finite (a diverged loss) is written as {@code null}. Each line is flushed as it is written.
 *
 * <p>A new run replaces the file. A resumed run keeps the lines of the steps before its first one and drops the
 * rest (steps done after the checkpoint it resumes from), so the log reads as one run.
 */
final class TrainLog implements AutoCloseable {
    /** The log's file name in the output folder. */
    static final String FILE_NAME = "train-log.jsonl";

    private final Path file;
    private final boolean resume;
    private BufferedWriter writer;

    /**
     * @param out the training output folder
     * @param resume whether the run resumes from a checkpoint (keep the earlier steps' lines)
     */
    TrainLog(Path out, boolean resume) {
        this.file = out.resolve(FILE_NAME);
        this.resume = resume;
    }

    /** @return the log file */
    Path file() {
        return file;
    }

    /**
     * @param r the step to log
     * @throws IvlException naming the file if it cannot be written
     */
    void write(StepReport r) {
        try {
            if (writer == null) {
                open(r.step());
            }
            writer.write(line(r));
            writer.newLine();
            writer.flush();
        } catch (IOException e) {
            throw new IvlException("cannot write the training log " + file + ": " + e.getMessage(), e);
        }
    }

    private void open(int firstStep) throws IOException {
        Files.createDirectories(file.getParent());
        if (resume && Files.isRegularFile(file)) {
            List<String> kept = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                Integer step = step(line);
                if (step != null && step < firstStep) {
                    kept.add(line);
                }
            }
            AtomicFiles.write(file, temporary -> Files.write(temporary, kept, StandardCharsets.UTF_8));
            writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } else {
            writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        }
    }

    /** @return the step of a logged line, or null if the line is not one (e.g. cut off by a crash) */
    private static Integer step(String line) {
        try {
            JsonElement json = JsonParser.parseString(line);
            JsonElement step = json.isJsonObject() ? json.getAsJsonObject().get("step") : null;
            return step != null && step.isJsonPrimitive() && step.getAsJsonPrimitive().isNumber()
                    ? step.getAsInt() : null;
        } catch (JsonParseException | NumberFormatException e) {
            return null;
        }
    }

    /**
     * @param listener the caller's listener
     * @return a listener that logs each step, then passes it and every message on
     */
    TrainListener logging(TrainListener listener) {
        return new TrainListener() {
            @Override
            public void onStep(StepReport r) {
                write(r);
                listener.onStep(r);
            }

            @Override
            public void onMessage(String message) {
                listener.onMessage(message);
            }
        };
    }

    static String line(StepReport r) {
        JsonObject json = new JsonObject();
        json.addProperty("step", r.step());
        json.addProperty("epoch", r.epoch());
        json.add("loss", number(r.loss()));
        json.add("ce", number(r.crossEntropy()));
        json.add("l1", number(r.meanAbsDelta()));
        json.add("lr", number(r.learningRate()));
        json.addProperty("tokens", r.tokens());
        json.add("tokens_per_s", number(r.tokensPerSecond()));
        json.add("elapsed", number(r.elapsedSeconds()));
        return json.toString();
    }

    private static JsonElement number(double value) {
        return Double.isFinite(value) ? new JsonPrimitive(value) : JsonNull.INSTANCE;
    }

    @Override
    public void close() {
        if (writer != null) {
            try {
                writer.close();
            } catch (IOException e) {
                throw new IvlException("cannot write the training log " + file + ": " + e.getMessage(), e);
            }
        }
    }
}
