package dev.ivl.examples;

import dev.ivl.core.generate.GenerationConfig;
import dev.ivl.core.generate.GenerationResult;
import dev.ivl.core.generate.Generator;
import dev.ivl.core.generate.Speculation;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.plug.PlugOptions;
import dev.ivl.djl.plug.PluggedModel;
import java.nio.file.Path;

/**
 * The README's speculative decoding example, compiled: the small base the value model was trained next to, plus the
 * same value model, drafts for the large base plus the value model; the output is plain combined decoding's.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp "ivl-examples/target/ivl.jar:ivl-examples/target/lib/*" \
 *     dev.ivl.examples.SpeculativeExample LARGE_BASE_DIR VALUE_DIR SMALL_BASE_DIR "Tell me about the moon."</pre>
 */
public final class SpeculativeExample {
    private SpeculativeExample() {}

    /**
     * @param args the large base folder, the value folder, the small base folder, and optionally the prompt
     */
    public static void main(String[] args) {
        String prompt = args.length > 3 ? args[3] : "Tell me about the moon.";
        PlugOptions options = PlugOptions.builder().alpha(1.0f).build();
        try (PluggedModel target = PluggedModel.load(Path.of(args[0]), Path.of(args[1]), options);
                LlamaModel small = LlamaModel.load(Path.of(args[2]), target.base().options())) {
            PluggedModel draft = PluggedModel.plug(small, target.value(), target.options()); // the same value model
            GenerationConfig config = target.generationConfig().toBuilder().maxNewTokens(128).build();
            GenerationResult result = new Generator(target).withDraft(draft, Speculation.of(4))
                    .generate(prompt, config, System.out::print); // streams text
            System.out.println("\n" + result.speculation().orElseThrow()); // rounds, drafted, accepted
        }
    }
}
