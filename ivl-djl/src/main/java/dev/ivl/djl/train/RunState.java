package dev.ivl.djl.train;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.IvlException;
import dev.ivl.core.ModelFormatException;
import dev.ivl.djl.internal.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What a checkpoint's {@code state.json} records: the optimizer steps done, and all that a resumed run must share
 * with the run that wrote it (the data's SHA-256, the models, every setting that shapes the steps, the number of
 * steps), so that {@code --resume} continues that run and no other.
 *
 * @param step optimizer steps done
 * @param totalSteps the run's optimizer steps in all
 * @param dataSha256 the SHA-256 of the training data
 * @param settings each setting's value as text, by its key in {@code state.json}
 */
record RunState(int step, int totalSteps, String dataSha256, Map<String, String> settings) {
    /** The state's file name in the checkpoint folder. */
    static final String FILE_NAME = "state.json";

    /** A setting a resumed run must share: its key in state.json, its {@code ivl train} option, its value. */
    private record Setting(String key, String option, Function<TrainConfig, String> value) {}

    /** The settings that shape the run's steps; the device and the checkpoint interval may change on resume. */
    private static final List<Setting> SETTINGS = List.of(
            new Setting("valueInit", "--value-init", c -> absolute(c.valueInit())),
            new Setting("bases", "--base",
                    c -> c.bases().stream().map(RunState::absolute).collect(Collectors.joining(","))),
            new Setting("scheme", "--scheme", c -> c.scheme().label()),
            new Setting("lambda", "--lambda", c -> Float.toString(c.lambda())),
            new Setting("learningRate", "--lr", c -> Float.toString(c.learningRate())),
            new Setting("weightDecay", "--weight-decay", c -> Float.toString(c.weightDecay())),
            new Setting("warmupRatio", "--warmup-ratio", c -> Float.toString(c.warmupRatio())),
            new Setting("epochs", "--epochs", c -> Integer.toString(c.epochs())),
            new Setting("batchTokens", "--batch-tokens", c -> Integer.toString(c.batchTokens())),
            new Setting("gradientAccumulation", "--grad-accum", c -> Integer.toString(c.gradientAccumulation())),
            new Setting("maxLength", "--max-length", c -> Integer.toString(c.maxLength())),
            new Setting("clipNorm", "--clip-norm", c -> Float.toString(c.clipNorm())),
            new Setting("template", "--template", TrainConfig::template),
            new Setting("seed", "--seed", c -> Long.toString(c.seed())),
            new Setting("maxSteps", "--max-steps", c -> Integer.toString(c.maxSteps())));

    RunState {
        settings = Map.copyOf(settings);
    }

    /**
     * @param config the run's configuration
     * @param dataSha256 the SHA-256 of its data
     * @param totalSteps its optimizer steps in all
     * @return the state of the run before its first step
     */
    static RunState of(TrainConfig config, String dataSha256, int totalSteps) {
        Map<String, String> settings = new LinkedHashMap<>();
        SETTINGS.forEach(s -> settings.put(s.key(), s.value().apply(config)));
        return new RunState(0, totalSteps, dataSha256, settings);
    }

    /** @param steps optimizer steps done @return this state after them */
    RunState at(int steps) {
        return new RunState(steps, totalSteps, dataSha256, settings);
    }

    /**
     * Checks that a checkpoint's state continues this run.
     *
     * @param saved the state a checkpoint recorded
     * @param file its file, for messages
     * @return the step to continue after
     * @throws IllegalParameterException naming the first setting (or the data) the checkpoint was made with
     *     otherwise
     * @throws ModelFormatException if the step recorded is not one a checkpoint of this run is written at
     */
    int resumeFrom(RunState saved, Path file) {
        if (!saved.dataSha256.equals(dataSha256)) {
            throw new IllegalParameterException("data", "--resume: the checkpoint was made with other data (sha256 "
                    + saved.dataSha256.substring(0, Math.min(12, saved.dataSha256.length())) + "...), this run's has "
                    + dataSha256.substring(0, 12) + "...");
        }
        for (Setting s : SETTINGS) {
            String was = saved.settings.get(s.key());
            String is = settings.get(s.key());
            if (!is.equals(was)) {
                throw new IllegalParameterException(s.key(), "--resume: the checkpoint was made with " + s.option()
                        + " " + was + ", this run has " + is);
            }
        }
        if (saved.totalSteps != totalSteps) {
            throw new IllegalParameterException("resume", "--resume: the checkpoint was made in a run of "
                    + saved.totalSteps + " steps, this run has " + totalSteps);
        }
        if (saved.step < 1 || saved.step >= totalSteps) {
            throw new ModelFormatException(file, "step " + saved.step + " is not one a checkpoint of this run is"
                    + " written at (1 to " + (totalSteps - 1) + ")");
        }
        return saved.step;
    }

    /** @param file the file to write, replaced if it exists */
    void write(Path file) {
        JsonObject json = new JsonObject();
        json.addProperty("step", step);
        json.addProperty("totalSteps", totalSteps);
        json.addProperty("dataSha256", dataSha256);
        JsonObject s = new JsonObject();
        SETTINGS.forEach(setting -> s.addProperty(setting.key(), settings.get(setting.key())));
        json.add("settings", s);
        try {
            Files.writeString(file, new GsonBuilder().setPrettyPrinting().create().toJson(json) + "\n");
        } catch (IOException e) {
            throw new IvlException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param file a checkpoint's state file
     * @return the state it records
     * @throws ModelFormatException if it is unreadable, not JSON, or lacks a field
     */
    static RunState read(Path file) {
        Json.Fields json = new Json.Fields(Json.readObject(file), file, "");
        int step = json.requiredInt("step");
        int totalSteps = json.requiredInt("totalSteps");
        String data = required(json, "dataSha256");
        JsonObject object = json.optionalObject("settings");
        if (object == null) {
            throw new ModelFormatException(file, "missing required field settings");
        }
        Json.Fields fields = new Json.Fields(object, file, "settings.");
        Map<String, String> settings = new LinkedHashMap<>();
        SETTINGS.forEach(s -> settings.put(s.key(), required(fields, s.key())));
        return new RunState(step, totalSteps, data, settings);
    }

    private static String required(Json.Fields fields, String name) {
        String value = fields.optionalString(name);
        if (value == null) {
            throw new ModelFormatException(fields.source(), "missing required field " + fields.prefix() + name);
        }
        return value;
    }

    private static String absolute(Path path) {
        return path.toAbsolutePath().normalize().toString();
    }
}
