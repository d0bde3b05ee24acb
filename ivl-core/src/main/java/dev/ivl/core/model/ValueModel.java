package dev.ivl.core.model;

/**
 * A value model trained by inverse value learning: its logits are z_delta, the change that post-training makes to
 * a base model's logits. It sees only the tokens so far (the residual scheme), never the base's outputs.
 */
public interface ValueModel extends LanguageModel {}
