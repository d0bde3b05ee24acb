package dev.ivl.cli;

import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.weights.SafetensorsWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Writes a model's full-sequence logits for given ids, for external conformance checks. */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Write the full-sequence logits [T, V] of a token sequence as a float32 safetensors tensor 'logits'.")
final class LogitsCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face checkpoint folder")
    Path model;

    @Option(names = "--ids", required = true, split = ",", description = "token ids, comma separated")
    int[] ids;

    @Option(names = "--out", required = true, description = "output .safetensors file")
    Path out;

    @Mixin
    ModelOptions modelOptions;

    @Override
    public Integer call() {
        try (LlamaModel m = LlamaModel.load(model, modelOptions.toLoadOptions())) {
            float[][] logits = m.logits(ids);
            int v = m.vocabSize();
            float[] flat = new float[logits.length * v];
            for (int t = 0; t < logits.length; t++) {
                System.arraycopy(logits[t], 0, flat, t * v, v);
            }
            new SafetensorsWriter().add("logits", flat, new long[] {logits.length, v}, "F32").write(out);
            System.out.println("wrote logits [" + logits.length + ", " + v + "] to " + out);
        }
        return 0;
    }
}
