package dev.ivl.examples;

import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.Generator;
import dev.ivl.djl.plug.PlugOptions;
import dev.ivl.djl.plug.PluggedModel;
import java.nio.file.Path;

/**
 * The README's example, compiled: plug a value model into a base model and stream a completion.
 *
 * <pre>java -cp "ivl-examples/target/ivl.jar:ivl-examples/target/lib/*" dev.ivl.examples.QuickStart BASE_DIR VALUE_DIR
 * "Tell me about the moon."</pre>
 */
public final class QuickStart {
    private QuickStart() {}

    /**
     * @param args the base folder (with its tokenizer), the value folder, and optionally the prompt
     */
    public static void main(String[] args) {
        String prompt = args.length > 2 ? args[2] : "Tell me about the moon.";
        // z_base + α·z_delta as the value folder's ivl.json says (residual: both forward passes at once)
        try (PluggedModel model = PluggedModel.load(Path.of(args[0]), Path.of(args[1]),
                PlugOptions.builder().alpha(1.0f).build())) {
            GenerationConfig config = model.generationConfig().toBuilder() // the base's generation_config.json
                    .temperature(0.7f).topP(0.9f).maxNewTokens(128).seed(42).build();
            GenerationResult result = new Generator(model) // the base's tokenizer, from its folder
                    .generate(prompt, config, System.out::print); // streams text
            System.out.println("\n" + result.finishReason() + ", " + result.usage());
        }
    }
}
