package dev.ivl.djl.llama;

import ai.djl.ndarray.NDArray;

/** Small tensor helpers shared by the LLaMA blocks. */
final class Ops {
    private Ops() {}

    /**
     * {@code torch.nn.functional.linear(x, w)}: {@code x @ wᵀ}, with {@code w} in the checkpoint's
     * {@code [out, in]} layout.
     */
    static NDArray linear(NDArray x, NDArray w) {
        return x.getNDArrayInternal().linear(x, w, null).singletonOrThrow();
    }
}
