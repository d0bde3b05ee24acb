package dev.ivl.core.model;

/** A (frozen) base model: its logits are z_base. Any causal language model can play this role. */
public interface BaseModel extends LanguageModel {}
