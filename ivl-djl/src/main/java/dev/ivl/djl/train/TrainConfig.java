package dev.ivl.djl.train;

import dev.ivl.core.model.Scheme;
import dev.ivl.core.IllegalParameterException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What and how to train. Immutable and validated; build it with {@link #builder()}.
 *
 * @param valueInit the pretrained checkpoint the trained model starts from (required: the paper shows that a
 *     randomly initialised value model fails)
 * @param bases the frozen base models, in curriculum order (one base: plain IVL; several: the training steps are
 *     split evenly among them, in order); empty for {@link Scheme#CAUSAL_LM}
 * @param data the JSONL training file ({@code messages} or {@code instruction}/{@code response} objects)
 * @param out the folder the trained model is written to (HF {@code LlamaForCausalLM} layout plus {@code ivl.json}),
 *     whole or not at all: the run writes {@code <out>.ivl-partial} and renames it to {@code out} when complete
 * @param scheme residual (default), cascade, cascade without text embedding, or plain causal-LM training
 * @param lambda λ of the L1 term λ·mean|z_delta| over label positions; ≥ 0 (the paper uses 1)
 * @param learningRate peak AdamW learning rate; &gt; 0
 * @param weightDecay AdamW decoupled weight decay; ≥ 0
 * @param warmupRatio share of the optimizer steps with linear warm-up (then cosine decay to 0); in [0, 1)
 * @param epochs passes over the data; ≥ 1
 * @param batchTokens most tokens in one packed row; ≥ maxLength
 * @param gradientAccumulation packed rows per optimizer step; ≥ 1
 * @param maxLength longest sample in tokens; longer samples are skipped and reported
 * @param clipNorm global gradient-norm clip; &gt; 0, or 0 for none
 * @param template chat template: {@code own} (the tokenizer's chat_template), {@code llama2} or {@code zephyr}
 * @param seed seeds shuffling (and anything else random)
 * @param checkpointEvery write a resumable checkpoint every N optimizer steps; 0 for none
 * @param resume continue from the checkpoint of an interrupted run into {@code out} when there is one; the
 *     checkpoint must have been made with the same data, models and settings (the device and checkpoint interval
 *     aside)
 * @param force replace a model already in {@code out} (it stays intact until the new one is complete), or discard
 *     the checkpoint of an interrupted run into {@code out}
 * @param device {@code cpu}, {@code gpu} or {@code gpu:i}
 * @param maxSteps stop after this many optimizer steps (the learning-rate schedule spans them); 0 for all the
 *     epochs' steps
 */
public record TrainConfig(
        Path valueInit,
        List<Path> bases,
        Path data,
        Path out,
        Scheme scheme,
        float lambda,
        float learningRate,
        float weightDecay,
        float warmupRatio,
        int epochs,
        int batchTokens,
        int gradientAccumulation,
        int maxLength,
        float clipNorm,
        String template,
        long seed,
        int checkpointEvery,
        boolean resume,
        boolean force,
        String device,
        int maxSteps) {

    /** Validates every field; the exception names the first invalid one. */
    public TrainConfig {
        require(valueInit != null, "valueInit", null, "is required (a pretrained checkpoint folder)");
        bases = List.copyOf(Objects.requireNonNull(bases, "bases"));
        require(data != null, "data", null, "is required (a JSONL file)");
        require(out != null, "out", null, "is required (the output folder)");
        require(scheme != null, "scheme", null, "is required");
        if (scheme == Scheme.CAUSAL_LM) {
            require(bases.isEmpty(), "bases", bases, "must be empty for causal-LM training");
        } else {
            require(!bases.isEmpty(), "bases", bases, "needs at least one base model for " + scheme);
        }
        require(lambda >= 0 && Float.isFinite(lambda), "lambda", lambda, "must be a finite number >= 0");
        require(learningRate > 0 && Float.isFinite(learningRate), "learningRate", learningRate, "must be > 0");
        require(weightDecay >= 0 && Float.isFinite(weightDecay), "weightDecay", weightDecay, "must be >= 0");
        require(warmupRatio >= 0 && warmupRatio < 1, "warmupRatio", warmupRatio, "must be in [0, 1)");
        require(epochs >= 1, "epochs", epochs, "must be >= 1");
        require(maxLength >= 2, "maxLength", maxLength, "must be >= 2");
        require(batchTokens >= maxLength, "batchTokens", batchTokens, "must be >= maxLength (" + maxLength + ")");
        require(gradientAccumulation >= 1, "gradientAccumulation", gradientAccumulation, "must be >= 1");
        require(clipNorm >= 0 && Float.isFinite(clipNorm), "clipNorm", clipNorm, "must be >= 0 (0: no clipping)");
        require(template != null && List.of("own", "llama2", "zephyr").contains(template), "template", template,
                "must be own, llama2 or zephyr");
        require(checkpointEvery >= 0, "checkpointEvery", checkpointEvery, "must be >= 0 (0: none)");
        require(maxSteps >= 0, "maxSteps", maxSteps, "must be >= 0 (0: every epoch's steps)");
        require(device != null, "device", null, "is required");
    }

    private static void require(boolean ok, String parameter, Object value, String requirement) {
        if (!ok) {
            throw new IllegalParameterException(parameter, value, requirement);
        }
    }

    /** @return a builder with the defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link TrainConfig}; defaults in the field initialisers. */
    public static final class Builder {
        private Path valueInit;
        private List<Path> bases = new ArrayList<>();
        private Path data;
        private Path out;
        private Scheme scheme = Scheme.RESIDUAL;
        private float lambda;
        private float learningRate = 1e-4f;
        private float weightDecay;
        private float warmupRatio = 0.03f;
        private int epochs = 1;
        private int batchTokens = 2048;
        private int gradientAccumulation = 1;
        private int maxLength = 1024;
        private float clipNorm = 1f;
        private String template = "llama2";
        private long seed;
        private int checkpointEvery;
        private int maxSteps;
        private boolean resume;
        private boolean force;
        private String device = "cpu";

        private Builder() {}

        /** @param v the initial checkpoint @return this */
        public Builder valueInit(Path v) {
            valueInit = v;
            return this;
        }

        /** @param v base models in curriculum order @return this */
        public Builder bases(List<Path> v) {
            bases = new ArrayList<>(v);
            return this;
        }

        /** @param v the JSONL file @return this */
        public Builder data(Path v) {
            data = v;
            return this;
        }

        /** @param v the output folder @return this */
        public Builder out(Path v) {
            out = v;
            return this;
        }

        /** @param v the scheme @return this */
        public Builder scheme(Scheme v) {
            scheme = v;
            return this;
        }

        /** @param v λ @return this */
        public Builder lambda(float v) {
            lambda = v;
            return this;
        }

        /** @param v peak learning rate @return this */
        public Builder learningRate(float v) {
            learningRate = v;
            return this;
        }

        /** @param v weight decay @return this */
        public Builder weightDecay(float v) {
            weightDecay = v;
            return this;
        }

        /** @param v warm-up share @return this */
        public Builder warmupRatio(float v) {
            warmupRatio = v;
            return this;
        }

        /** @param v epochs @return this */
        public Builder epochs(int v) {
            epochs = v;
            return this;
        }

        /** @param v tokens per packed row @return this */
        public Builder batchTokens(int v) {
            batchTokens = v;
            return this;
        }

        /** @param v rows per optimizer step @return this */
        public Builder gradientAccumulation(int v) {
            gradientAccumulation = v;
            return this;
        }

        /** @param v longest sample @return this */
        public Builder maxLength(int v) {
            maxLength = v;
            return this;
        }

        /** @param v gradient-norm clip, 0 for none @return this */
        public Builder clipNorm(float v) {
            clipNorm = v;
            return this;
        }

        /** @param v own, llama2 or zephyr @return this */
        public Builder template(String v) {
            template = v;
            return this;
        }

        /** @param v the seed @return this */
        public Builder seed(long v) {
            seed = v;
            return this;
        }

        /** @param v checkpoint interval in steps, 0 for none @return this */
        public Builder checkpointEvery(int v) {
            checkpointEvery = v;
            return this;
        }

        /** @param v whether to resume an interrupted run into the output folder from its checkpoint @return this */
        public Builder resume(boolean v) {
            resume = v;
            return this;
        }

        /** @param v whether to replace a model (or an interrupted run's checkpoint) in the output folder @return this */
        public Builder force(boolean v) {
            force = v;
            return this;
        }

        /** @param v the most optimizer steps, 0 for every epoch's @return this */
        public Builder maxSteps(int v) {
            maxSteps = v;
            return this;
        }

        /** @param v cpu, gpu or gpu:i @return this */
        public Builder device(String v) {
            device = v;
            return this;
        }

        /** @return the validated configuration */
        public TrainConfig build() {
            return new TrainConfig(valueInit, bases, data, out, scheme, lambda, learningRate, weightDecay,
                    warmupRatio, epochs, batchTokens, gradientAccumulation, maxLength, clipNorm, template, seed,
                    checkpointEvery, resume, force, device, maxSteps);
        }
    }
}
