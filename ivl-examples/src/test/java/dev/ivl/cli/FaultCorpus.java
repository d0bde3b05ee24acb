package dev.ivl.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The fault corpus: bad inputs of every kind ivl reads, each made in a scratch folder by a few lines of code (no
 * big files are stored), with the command that meets it and what its one error line must say. {@link
 * FaultCorpusTest} runs them all.
 */
final class FaultCorpus {
    private FaultCorpus() {}

    /** Makes a case's files in a scratch folder and returns the command line that meets them. */
    @FunctionalInterface
    interface Setup {
        String[] make(Path dir) throws IOException;
    }

    /**
     * @param category what kind of input is bad
     * @param name the case
     * @param setup its files and command
     * @param expected what the error line must contain (the file, field, line or parameter)
     */
    record Fault(String category, String name, Setup setup, String expected) {
        @Override
        public String toString() {
            return category + ": " + name;
        }
    }

    private static final Path FIXTURES = CliTest.FIXTURES;

    /** @return every case */
    static List<Fault> all() {
        List<Fault> all = new ArrayList<>();
        safetensors(all);
        config(all);
        tokenizer(all);
        templates(all);
        trainingData(all);
        vocabularyMaps(all);
        cliValues(all);
        return all;
    }

    // ---- files -------------------------------------------------------------------------------------------------

    /** A copy of the small GQA fixture (vocabulary 1024, 3 layers, no tokenizer). */
    static Path model(Path dir) throws IOException {
        Path m = dir.resolve("model");
        Files.createDirectories(m);
        Path src = FIXTURES.resolve("hf-llama/gqa-tied");
        Files.copy(src.resolve("config.json"), m.resolve("config.json"));
        Files.copy(src.resolve("model.safetensors"), m.resolve("model.safetensors"));
        return m;
    }

    /** A copy of the Llama-2-vocabulary fixture with the Llama-2 tokenizer. */
    static Path llama2Model(Path dir, String name) throws IOException {
        Path m = dir.resolve(name);
        Files.createDirectories(m);
        Path src = FIXTURES.resolve("hf-llama/mqa-llama2vocab-fp16");
        Files.copy(src.resolve("config.json"), m.resolve("config.json"));
        Files.copy(src.resolve("model.safetensors"), m.resolve("model.safetensors"));
        Files.copy(CliTest.LLAMA2_TOKENIZER, m.resolve("tokenizer.json"));
        return m;
    }

    static void editConfig(Path model, String from, String to) throws IOException {
        Path config = model.resolve("config.json");
        String text = Files.readString(config);
        if (!text.contains(from)) {
            throw new IllegalStateException("config.json has no " + from);
        }
        Files.writeString(config, text.replace(from, to));
    }

    /** Rewrites a safetensors header through {@code edit}, keeping the data. */
    static void editHeader(Path file, UnaryOperator<JsonObject> edit) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        long length = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonObject header = JsonParser.parseString(new String(bytes, 8, (int) length, StandardCharsets.UTF_8))
                .getAsJsonObject();
        writeRaw(file, edit.apply(header).toString(), Arrays.copyOfRange(bytes, 8 + (int) length, bytes.length));
    }

    static void writeRaw(Path file, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length).put(h).put(data);
        Files.write(file, out.array());
    }

    static void setHeaderLength(Path file, long length) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            byte[] le = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(length).array();
            f.write(le);
        }
    }

    static void sparse(Path file, long size) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(size);
        }
    }

    static String[] generate(Path model, String... extra) {
        List<String> args = new ArrayList<>(List.of("generate", "--model", model.toString(), "--prompt-ids", "1,2,3",
                "--max-new-tokens", "2"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    // ---- cases -------------------------------------------------------------------------------------------------

    private static void safetensors(List<Fault> all) {
        String cat = "safetensors";
        all.add(new Fault(cat, "truncated", d -> {
            Path m = model(d);
            Path w = m.resolve("model.safetensors");
            byte[] b = Files.readAllBytes(w);
            Files.write(w, Arrays.copyOf(b, b.length / 2));
            return generate(m);
        }, "model.safetensors"));
        all.add(new Fault(cat, "empty file", d -> {
            Path m = model(d);
            Files.write(m.resolve("model.safetensors"), new byte[0]);
            return generate(m);
        }, "model.safetensors"));
        all.add(new Fault(cat, "header length beyond the file", d -> {
            Path m = model(d);
            setHeaderLength(m.resolve("model.safetensors"), Files.size(m.resolve("model.safetensors")) + 100);
            return generate(m);
        }, "model.safetensors"));
        all.add(new Fault(cat, "header length above the limit", d -> {
            Path m = model(d);
            setHeaderLength(m.resolve("model.safetensors"), 200_000_000L);
            return generate(m);
        }, "header length"));
        all.add(new Fault(cat, "header not JSON", d -> {
            Path m = model(d);
            writeRaw(m.resolve("model.safetensors"), "{not json at all", new byte[16]);
            return generate(m);
        }, "not valid JSON"));
        all.add(new Fault(cat, "header an array", d -> {
            Path m = model(d);
            writeRaw(m.resolve("model.safetensors"), "[1, 2]  ", new byte[16]);
            return generate(m);
        }, "not a JSON object"));
        all.add(new Fault(cat, "unknown dtype", d -> {
            Path m = model(d);
            editHeader(m.resolve("model.safetensors"), h -> {
                h.getAsJsonObject("model.norm.weight").addProperty("dtype", "Q4");
                return h;
            });
            return generate(m);
        }, "Q4"));
        all.add(new Fault(cat, "shape disagrees with its bytes", d -> {
            Path m = model(d);
            editHeader(m.resolve("model.safetensors"), h -> {
                h.getAsJsonObject("model.norm.weight").add("shape", JsonParser.parseString("[95]"));
                return h;
            });
            return generate(m);
        }, "model.norm.weight"));
        all.add(new Fault(cat, "data offsets beyond the file", d -> {
            Path m = model(d);
            editHeader(m.resolve("model.safetensors"), h -> {
                var offsets = h.getAsJsonObject("model.norm.weight").getAsJsonArray("data_offsets");
                offsets.set(1, new com.google.gson.JsonPrimitive(offsets.get(1).getAsLong() + 10_000_000L));
                return h;
            });
            return generate(m);
        }, "model.norm.weight"));
        all.add(new Fault(cat, "two tensors share bytes", d -> {
            Path m = model(d);
            editHeader(m.resolve("model.safetensors"), h -> {
                var norm = h.getAsJsonObject("model.norm.weight");
                h.getAsJsonObject("model.layers.0.input_layernorm.weight").add("data_offsets",
                        norm.get("data_offsets").deepCopy());
                return h;
            });
            return generate(m);
        }, "overlap"));
        all.add(new Fault(cat, "a tensor named twice", d -> {
            Path m = model(d);
            Path w = m.resolve("model.safetensors");
            byte[] b = Files.readAllBytes(w);
            int length = (int) ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            String header = new String(b, 8, length, StandardCharsets.UTF_8);
            JsonObject h = JsonParser.parseString(header).getAsJsonObject();
            String norm = "\"model.norm.weight\":" + h.get("model.norm.weight");
            String twice = header.trim().replaceFirst("^\\{", "{" + java.util.regex.Matcher.quoteReplacement(norm)
                    + ",");
            writeRaw(w, twice, Arrays.copyOfRange(b, 8 + length, b.length));
            return generate(m);
        }, "appears twice"));
        all.add(new Fault(cat, "a tensor missing", d -> {
            Path m = model(d);
            editHeader(m.resolve("model.safetensors"), h -> {
                h.remove("model.layers.1.mlp.down_proj.weight");
                return h;
            });
            return generate(m);
        }, "model.safetensors"));
        all.add(new Fault(cat, "metadata not strings", d -> {
            Path m = model(d);
            editHeader(m.resolve("model.safetensors"), h -> {
                h.add("__metadata__", JsonParser.parseString("{\"format\": 3}"));
                return h;
            });
            return generate(m);
        }, "__metadata__"));
        all.add(new Fault(cat, "no weights file", d -> {
            Path m = model(d);
            Files.delete(m.resolve("model.safetensors"));
            return generate(m);
        }, "model.safetensors"));
        all.add(new Fault(cat, "index names a missing shard", d -> {
            Path m = model(d);
            Files.delete(m.resolve("model.safetensors"));
            Files.writeString(m.resolve("model.safetensors.index.json"),
                    "{\"weight_map\": {\"model.norm.weight\": \"model-00001-of-00002.safetensors\"}}");
            return generate(m);
        }, "model-00001-of-00002.safetensors"));
        all.add(new Fault(cat, "index not JSON", d -> {
            Path m = model(d);
            Files.delete(m.resolve("model.safetensors"));
            Files.writeString(m.resolve("model.safetensors.index.json"), "{\"weight_map\": ");
            return generate(m);
        }, "model.safetensors.index.json"));
        all.add(new Fault(cat, "config says fewer layers than the weights hold", d -> {
            Path m = model(d);
            editConfig(m, "\"num_hidden_layers\": 3", "\"num_hidden_layers\": 2");
            return generate(m);
        }, "model.layers.2."));
        all.add(new Fault(cat, "config says more layers than the weights hold", d -> {
            Path m = model(d);
            editConfig(m, "\"num_hidden_layers\": 3", "\"num_hidden_layers\": 4");
            return generate(m);
        }, "model.layers.3."));
        all.add(new Fault(cat, "a tensor shaped unlike the config", d -> {
            Path m = model(d);
            editConfig(m, "\"intermediate_size\": 256", "\"intermediate_size\": 255");
            return generate(m);
        }, "config.json implies"));
    }

    private static void config(List<Fault> all) {
        String cat = "config.json";
        all.add(new Fault(cat, "missing", d -> {
            Path m = model(d);
            Files.delete(m.resolve("config.json"));
            return generate(m);
        }, "config.json"));
        all.add(new Fault(cat, "not JSON", d -> {
            Path m = model(d);
            Files.writeString(m.resolve("config.json"), "{\"hidden_size\": 96,");
            return generate(m);
        }, "config.json"));
        all.add(new Fault(cat, "an array", d -> {
            Path m = model(d);
            Files.writeString(m.resolve("config.json"), "[]");
            return generate(m);
        }, "not a JSON object"));
        all.add(new Fault(cat, "a field of the wrong type", d -> {
            Path m = model(d);
            editConfig(m, "\"hidden_size\": 96", "\"hidden_size\": \"96\"");
            return generate(m);
        }, "hidden_size"));
        all.add(new Fault(cat, "negative layer count", d -> {
            Path m = model(d);
            editConfig(m, "\"num_hidden_layers\": 3", "\"num_hidden_layers\": -3");
            return generate(m);
        }, "num_hidden_layers"));
        all.add(new Fault(cat, "heads that do not divide the hidden size", d -> {
            Path m = model(d);
            editConfig(m, "\"num_attention_heads\": 6", "\"num_attention_heads\": 7");
            return generate(m);
        }, "num_attention_heads"));
        all.add(new Fault(cat, "an unknown rope type", d -> {
            Path m = model(d);
            editConfig(m, "\"rope_theta\": 500000.0", "\"rope_theta\": 500000.0, \"rope_scaling\": {\"rope_type\":"
                    + " \"yarn\", \"factor\": 2.0}");
            return generate(m);
        }, "rope_type"));
        all.add(new Fault(cat, "another architecture", d -> {
            Path m = model(d);
            editConfig(m, "\"model_type\": \"llama\"", "\"model_type\": \"bert\"");
            return generate(m);
        }, "model_type"));
        all.add(new Fault(cat, "a name given twice", d -> {
            Path m = model(d);
            editConfig(m, "\"hidden_size\": 96", "\"hidden_size\": 96, \"hidden_size\": 64");
            return generate(m);
        }, "\"hidden_size\" appears twice"));
        all.add(new Fault(cat, "larger than the limit", d -> {
            Path m = model(d);
            sparse(m.resolve("config.json"), 200L << 20);
            return generate(m);
        }, "more than the"));
        all.add(new Fault(cat, "nested 100,000 deep", d -> {
            Path m = model(d);
            Files.writeString(m.resolve("config.json"), "{\"a\": " + "[".repeat(100_000) + "]".repeat(100_000)
                    + "}");
            return generate(m);
        }, "nested deeper"));
        all.add(new Fault(cat, "zero vocabulary", d -> {
            Path m = model(d);
            editConfig(m, "\"vocab_size\": 1024", "\"vocab_size\": 0");
            return generate(m);
        }, "vocab_size"));
        all.add(new Fault(cat, "generation_config.json with a bad temperature", d -> {
            Path m = model(d);
            Files.writeString(m.resolve("generation_config.json"), "{\"do_sample\": true, \"temperature\": -1}");
            return generate(m);
        }, "generation_config.json"));
        all.add(new Fault(cat, "ivl.json with an unknown scheme", d -> {
            Path m = model(d);
            Path v = d.resolve("value");
            Files.createDirectories(v);
            Files.copy(m.resolve("config.json"), v.resolve("config.json"));
            Files.copy(m.resolve("model.safetensors"), v.resolve("model.safetensors"));
            Files.writeString(v.resolve("ivl.json"), "{\"scheme\": \"sideways\"}");
            return generate(m, "--value", v.toString());
        }, "sideways"));
    }

    private static void tokenizer(List<Fault> all) {
        String cat = "tokenizer";
        all.add(new Fault(cat, "tokenizer.json not JSON", d -> {
            Path m = llama2Model(d, "m");
            Files.writeString(m.resolve("tokenizer.json"), "{\"model\": ");
            return generate(m);
        }, "tokenizer.json"));
        all.add(new Fault(cat, "tokenizer.json larger than the limit", d -> {
            Path m = llama2Model(d, "m");
            sparse(m.resolve("tokenizer.json"), 300L << 20);
            return generate(m);
        }, "more than the"));
        all.add(new Fault(cat, "a tokenizer larger than the model's vocabulary", d -> {
            Path m = model(d);
            Files.copy(CliTest.LLAMA2_TOKENIZER, m.resolve("tokenizer.json"));
            return generate(m);
        }, "32000"));
        all.add(new Fault(cat, "a same-size tokenizer of other tokens", d -> {
            Path m = llama2Model(d, "m");
            JsonObject t = JsonParser.parseString(Files.readString(CliTest.LLAMA2_TOKENIZER)).getAsJsonObject();
            JsonObject vocab = t.getAsJsonObject("model").getAsJsonObject("vocab");
            int a = vocab.get("▁the").getAsInt();
            int b = vocab.get("▁cat").getAsInt();
            vocab.addProperty("▁the", b);
            vocab.addProperty("▁cat", a);
            Path other = d.resolve("other-tokenizer.json");
            Files.writeString(other, t.toString());
            return new String[] {"generate", "--model", m.toString(), "--tokenizer", other.toString(), "--prompt",
                "the cat", "--max-new-tokens", "2"};
        }, "not the one the model samples in"));
        all.add(new Fault(cat, "a value model with a same-size tokenizer of other tokens", d -> {
            Path base = llama2Model(d, "base");
            Path value = llama2Model(d, "value");
            JsonObject t = JsonParser.parseString(Files.readString(CliTest.LLAMA2_TOKENIZER)).getAsJsonObject();
            JsonObject vocab = t.getAsJsonObject("model").getAsJsonObject("vocab");
            int a = vocab.get("▁the").getAsInt();
            vocab.addProperty("▁the", vocab.get("▁cat").getAsInt());
            vocab.addProperty("▁cat", a);
            Files.writeString(value.resolve("tokenizer.json"), t.toString());
            return generate(base, "--value", value.toString());
        }, "ivl align-vocab"));
        all.add(new Fault(cat, "tokenizer_config.json with a bad add_bos_token", d -> {
            Path m = llama2Model(d, "m");
            Files.writeString(m.resolve("tokenizer_config.json"), "{\"add_bos_token\": \"yes\"}");
            return generate(m);
        }, "add_bos_token"));
        all.add(new Fault(cat, "generation_config.json with an end id beyond the vocabulary", d -> {
            Path m = llama2Model(d, "m");
            Files.writeString(m.resolve("generation_config.json"), "{\"eos_token_id\": 99999}");
            return generate(m);
        }, "99999"));
        all.add(new Fault(cat, "a text prompt without a tokenizer", d -> {
            Path m = model(d);
            return new String[] {"generate", "--model", m.toString(), "--prompt", "hello"};
        }, "tokenizer"));
    }

    private static void templates(List<Fault> all) {
        String cat = "chat template";
        String[][] cases = {
            {"parentheses 1,000 deep", "{{ " + "(".repeat(1000) + "1" + ")".repeat(1000) + " }}", "64 levels"},
            {"ifs 5,000 deep", "{% if true %}".repeat(5000) + "x" + "{% endif %}".repeat(5000), "64 levels"},
            {"a filter asked for 2 GB", "{{ 'a'|center(2000000000) }}", "chat_template"},
            {"a template that renders nothing", "{{ nothing }}", "rendered nothing"},
            {"a template that raises", "{{ raise_exception('roles must alternate') }}", "roles must alternate"},
            {"a template that does not parse", "{% for %}", "chat_template"},
            {"a billion loop steps", "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}"
                + "{% endfor %}{% endfor %}{% endfor %}x", "chat_template"},
        };
        for (String[] c : cases) {
            all.add(new Fault(cat, c[0], d -> {
                Path m = llama2Model(d, "m");
                JsonObject config = new JsonObject();
                config.addProperty("chat_template", c[1]);
                Files.writeString(m.resolve("tokenizer_config.json"), config.toString());
                return new String[] {"generate", "--model", m.toString(), "--prompt", "hi", "--chat",
                    "--max-new-tokens", "2"};
            }, c[2]));
        }
    }

    private static void trainingData(List<Fault> all) {
        String cat = "training data";
        all.add(new Fault(cat, "missing file", d -> train(d, null), "no such data file"));
        all.add(new Fault(cat, "bad UTF-8 on line 3", d -> {
            byte[] good = "{\"text\": \"one\"}\n{\"text\": \"two\"}\n".getBytes(StandardCharsets.UTF_8);
            byte[] bad = {'{', '"', 't', 'e', 'x', 't', '"', ':', ' ', '"', (byte) 0xC3, '"', '}', '\n'};
            Path data = d.resolve("data.jsonl");
            Files.write(data, concat(good, bad));
            return train(d, data);
        }, "line 3: not valid UTF-8"));
        all.add(new Fault(cat, "a line that is not JSON", d -> train(d, lines(d, "{\"text\": \"ok\"}", "{oops")),
                "line 2"));
        all.add(new Fault(cat, "a line that is not an object", d -> train(d, lines(d, "[1, 2]")), "line 1"));
        all.add(new Fault(cat, "an unknown role", d -> train(d, lines(d,
                "{\"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}")), "wizard"));
        all.add(new Fault(cat, "no usable example", d -> train(d, lines(d, "", "  ")), "no usable training example"));
        all.add(new Fault(cat, "a line longer than the limit", d -> {
            Path data = d.resolve("data.jsonl");
            byte[] line = new byte[dev.ivl.core.Limits.MAX_JSONL_LINE_CHARS + 1];
            Arrays.fill(line, (byte) ' ');
            Files.write(data, line);
            return train(d, data);
        }, "line 1 is longer than"));
        all.add(new Fault(cat, "a negative learning rate", d -> with(train(d, lines(d, "{\"text\": \"a b c\"}")),
                "--lr", "-1"), "learningRate"));
        all.add(new Fault(cat, "zero epochs", d -> with(train(d, lines(d, "{\"text\": \"a b c\"}")), "--epochs",
                "0"), "epochs"));
        all.add(new Fault(cat, "an unknown template", d -> with(train(d, lines(d, "{\"text\": \"a b c\"}")),
                "--template", "chatml"), "template"));
        all.add(new Fault(cat, "--out over a model without --force", d -> {
            String[] args = train(d, lines(d, "{\"text\": \"a b c\"}"));
            Path out = d.resolve("out");
            Files.createDirectories(out);
            Files.copy(d.resolve("init/config.json"), out.resolve("config.json"));
            return args;
        }, "--force"));
        all.add(new Fault(cat, "--out over a folder of other files, even with --force", d -> {
            String[] args = with(train(d, lines(d, "{\"text\": \"a b c\"}")), "--force");
            Path out = d.resolve("out");
            Files.createDirectories(out);
            Files.writeString(out.resolve("notes.txt"), "mine");
            return args;
        }, "notes.txt"));
        all.add(new Fault(cat, "--out a file", d -> {
            String[] args = train(d, lines(d, "{\"text\": \"a b c\"}"));
            Files.writeString(d.resolve("out"), "a file");
            return args;
        }, "out"));
        all.add(new Fault(cat, "a value init without tokenizer", d -> {
            Path m = model(d);
            Path data = lines(d, "{\"text\": \"a b c\"}");
            return new String[] {"train", "--value-init", m.toString(), "--base", m.toString(), "--data",
                data.toString(), "--out", d.resolve("out").toString()};
        }, "tokenizer.json"));
    }

    private static String[] train(Path d, Path data) throws IOException {
        Path m = llama2Model(d, "init");
        return new String[] {"train", "--value-init", m.toString(), "--base", m.toString(), "--data",
            (data != null ? data : d.resolve("missing.jsonl")).toString(), "--out", d.resolve("out").toString(),
            "--max-length", "64", "--batch-tokens", "64"};
    }

    private static Path lines(Path d, String... lines) throws IOException {
        Path data = d.resolve("data.jsonl");
        Files.write(data, List.of(lines));
        return data;
    }

    private static String[] with(String[] args, String... more) {
        String[] all = Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return all;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static void vocabularyMaps(List<Fault> all) {
        String cat = "vocabulary map";
        all.add(new Fault(cat, "missing map file", d -> crossGenerate(d, d.resolve("none.map")), "none.map"));
        all.add(new Fault(cat, "not a safetensors file", d -> {
            Path map = d.resolve("bad.map");
            Files.writeString(map, "this is not a map");
            return crossGenerate(d, map);
        }, "bad.map"));
        all.add(new Fault(cat, "negative weights", d -> {
            Path map = identityMap(d);
            editMapWeights(map, -0.5f);
            return crossGenerate(d, map);
        }, "not a finite number >= 0"));
        all.add(new Fault(cat, "NaN weights", d -> {
            Path map = identityMap(d);
            editMapWeights(map, Float.NaN);
            return crossGenerate(d, map);
        }, "NaN"));
        all.add(new Fault(cat, "a map for other tokenizers", d -> {
            Path map = d.resolve("gpt2.map");
            Path corpus = d.resolve("corpus.txt");
            Files.write(corpus, List.of("The moon is bright.", "A cat sat on the mat."));
            CliTest.Run r = CliTest.run("align-vocab", "--base-tokenizer", FIXTURES.resolve(
                    "tokenizers/gpt2-tokenizer.json").toString(), "--value-tokenizer", CliTest.LLAMA2_TOKENIZER
                    .toString(), "--corpus", corpus.toString(), "--out", map.toString());
            if (r.exit() != 0) {
                throw new IllegalStateException(r.err());
            }
            Files.delete(corpus);
            return crossGenerate(d, map);
        }, "gpt2.map"));
        all.add(new Fault(cat, "an unknown sampling vocabulary", d -> with(crossGenerate(d, identityMap(d)),
                "--sample-in", "both"), "--sample-in"));
    }

    private static Path identityMap(Path d) throws IOException {
        Path map = d.resolve("identity.map");
        Path corpus = d.resolve("corpus.txt");
        Files.write(corpus, List.of("The moon is bright tonight.", "A cat sat on the mat, and the dog barked."));
        CliTest.Run r = CliTest.run("align-vocab", "--base-tokenizer", CliTest.LLAMA2_TOKENIZER.toString(),
                "--value-tokenizer", CliTest.LLAMA2_TOKENIZER.toString(), "--corpus", corpus.toString(), "--out",
                map.toString());
        if (r.exit() != 0) {
            throw new IllegalStateException(r.err());
        }
        Files.delete(corpus);
        return map;
    }

    /** Sets every weight of every map in the file to {@code value}. */
    private static void editMapWeights(Path map, float value) throws IOException {
        byte[] b = Files.readAllBytes(map);
        int length = (int) ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonObject h = JsonParser.parseString(new String(b, 8, length, StandardCharsets.UTF_8)).getAsJsonObject();
        ByteBuffer data = ByteBuffer.wrap(b, 8 + length, b.length - 8 - length).slice().order(ByteOrder.LITTLE_ENDIAN);
        for (String name : h.keySet()) {
            if (name.endsWith("weights")) {
                var offsets = h.getAsJsonObject(name).getAsJsonArray("data_offsets");
                for (int at = offsets.get(0).getAsInt(); at < offsets.get(1).getAsInt(); at += 4) {
                    data.putFloat(at, value);
                }
            }
        }
        Files.write(map, b);
    }

    private static String[] crossGenerate(Path d, Path map) throws IOException {
        Path base = llama2Model(d, "base");
        Path value = llama2Model(d, "value");
        return new String[] {"generate", "--model", base.toString(), "--value", value.toString(), "--vocab-map",
            map.toString(), "--prompt", "The moon", "--max-new-tokens", "2"};
    }

    private static void cliValues(List<Fault> all) {
        String cat = "CLI values";
        String[][] cases = {
            {"--temperature", "-1", "temperature"},
            {"--temperature", "1e-45", "temperature"},
            {"--top-p", "2", "topP"},
            {"--top-p", "0", "topP"},
            {"--top-k", "-1", "topK"},
            {"--min-p", "1", "minP"},
            {"--repetition-penalty", "0", "repetitionPenalty"},
            {"--threads", "0", "--threads"},
            {"--device", "tpu", "device"},
            {"--dtype", "bf16", "dtype"},
            {"--max-context", "-1", "maxSequenceLength"},
            {"--stepping", "sideways", "--stepping"},
        };
        for (String[] c : cases) {
            all.add(new Fault(cat, c[0] + " " + c[1], d -> generate(model(d), c[0], c[1]), c[2]));
        }
        all.add(new Fault(cat, "--max-new-tokens 0", d -> new String[] {"generate", "--model", model(d).toString(),
            "--prompt-ids", "1,2", "--max-new-tokens", "0"}, "maxNewTokens"));
        all.add(new Fault(cat, "--alpha NaN with a value model", d -> {
            Path m = model(d);
            return generate(m, "--value", m.toString(), "--alpha", "NaN");
        }, "alpha"));
        all.add(new Fault(cat, "--vocab-policy unknown", d -> {
            Path m = model(d);
            return generate(m, "--value", m.toString(), "--vocab-policy", "loose");
        }, "--vocab-policy"));
        all.add(new Fault(cat, "a prompt id beyond the vocabulary", d -> new String[] {"generate", "--model",
            model(d).toString(), "--prompt-ids", "1,99999"}, "99999"));
        all.add(new Fault(cat, "a negative prompt id", d -> new String[] {"generate", "--model",
            model(d).toString(), "--prompt-ids", "1,-2"}, "-2"));
        all.add(new Fault(cat, "a prompt longer than the context", d -> {
            Path m = model(d);
            String ids = String.join(",", java.util.Collections.nCopies(300, "5"));
            return new String[] {"generate", "--model", m.toString(), "--prompt-ids", ids};
        }, "context"));
        all.add(new Fault(cat, "logits --out a folder", d -> {
            Path m = model(d);
            Path out = d.resolve("out.safetensors");
            Files.createDirectories(out);
            return new String[] {"logits", "--model", m.toString(), "--ids", "1,2", "--out", out.toString()};
        }, "not a regular file"));
        all.add(new Fault(cat, "logits --out a FIFO", d -> {
            Path m = model(d);
            Path out = d.resolve("fifo.safetensors");
            try {
                if (new ProcessBuilder("mkfifo", out.toString()).start().waitFor() != 0) {
                    throw new IOException("mkfifo failed");
                }
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            return new String[] {"logits", "--model", m.toString(), "--ids", "1,2", "--out", out.toString()};
        }, "not a regular file"));
    }
}
