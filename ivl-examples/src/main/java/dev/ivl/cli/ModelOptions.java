package dev.ivl.cli;

import dev.ivl.djl.llama.LoadOptions;
import picocli.CommandLine.Option;

/** Device and precision options shared by the commands that load models. */
final class ModelOptions {
    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu or gpu:<index> (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--dtype", description = "f32 or f16 (default: f32 on CPU, f16 on GPU)")
    String dtype;

    @Option(names = "--max-context", defaultValue = "0",
            description = "largest context a session may use; 0 = the checkpoint's max_position_embeddings")
    int maxContext;

    LoadOptions toLoadOptions() {
        LoadOptions.Builder b = LoadOptions.builder().device(device).maxSequenceLength(maxContext);
        if (dtype != null) {
            b.dtype(LoadOptions.parseDtype(dtype));
        }
        return b.build();
    }
}
