package dev.ivl.examples.experiment;

import dev.ivl.core.IllegalParameterException;
import dev.ivl.djl.llama.LlamaConfig;
import java.util.List;

/**
 * The shape of one toy base model of the family: the Llama-2 vocabulary (32,000 tokens), tied embeddings (the
 * vocabulary dominates the parameters), multi-head attention with 32-wide heads.
 *
 * @param hidden the residual width, a multiple of 32
 * @param intermediate the SwiGLU width
 * @param layers the decoder layers
 */
public record ModelShape(int hidden, int intermediate, int layers) {
    /** The vocabulary of the Llama-2 tokenizer. */
    public static final int VOCAB = 32000;
    /** The width of one attention head. */
    public static final int HEAD_DIM = 32;

    /**
     * @throws IllegalParameterException if the hidden width is not a positive multiple of {@link #HEAD_DIM}, or
     *     the other sizes are not positive
     */
    public ModelShape {
        if (hidden <= 0 || hidden % HEAD_DIM != 0) {
            throw new IllegalParameterException("hidden", hidden, "must be a positive multiple of " + HEAD_DIM);
        }
        if (intermediate <= 0) {
            throw new IllegalParameterException("intermediate", intermediate, "must be > 0");
        }
        if (layers <= 0) {
            throw new IllegalParameterException("layers", layers, "must be > 0");
        }
    }

    /**
     * @param context the context length
     * @return the Hugging Face configuration of this shape (bos 1, eos 2, RMSNorm ε 1e-5, rope θ 10000)
     */
    public LlamaConfig toConfig(int context) {
        return toConfig(VOCAB, context, true);
    }

    /**
     * @param vocab the vocabulary size
     * @param context the context length
     * @param tied whether the output layer shares the input embeddings
     * @return the Hugging Face configuration of this shape (bos 1, eos 2, RMSNorm ε 1e-5, rope θ 10000)
     */
    public LlamaConfig toConfig(int vocab, int context, boolean tied) {
        int heads = hidden / HEAD_DIM;
        return new LlamaConfig(vocab, hidden, intermediate, layers, heads, heads, HEAD_DIM, 1e-5, 10000, null, context,
                tied, 1, List.of(2), "float32");
    }

    @Override
    public String toString() {
        return "hidden " + hidden + ", " + layers + " layers, ffn " + intermediate;
    }
}
