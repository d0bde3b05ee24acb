package dev.ivl.cli;

import dev.ivl.djl.llama.LoadOptions;
import picocli.CommandLine.Option;

/** Device and precision options shared by the commands that load models. */
final class ModelOptions {
    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu or gpu:<index> (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--dtype", description = "weights in f32, f16 or int8 (CPU only; quantized at load, a scale per "
            + "output row) (default: f16 on GPU; on CPU the checkpoint's: f16 for a float16 or bfloat16 checkpoint, "
            + "else f32). On the CPU, activations are f32 whatever the weights")
    String dtype;

    @Option(names = "--max-context", defaultValue = "0",
            description = "largest context a session may use; 0 = the checkpoint's max_position_embeddings")
    int maxContext;

    LoadOptions toLoadOptions() {
        return toLoadOptions(null);
    }

    /** @param fallback the weight dtype when {@code --dtype} is not given, or null for the checkpoint's default */
    LoadOptions toLoadOptions(ai.djl.ndarray.types.DataType fallback) {
        return LoadOptions.builder().device(device).maxSequenceLength(maxContext)
                .dtype(dtype != null ? LoadOptions.parseDtype(dtype) : fallback).build();
    }
}
