package dev.ivl.core.model;

/**
 * A frozen base model in the role of z_base: any causal language model can play it. The role is what the combiners
 * take ({@code ResidualCombiner.combine(BaseModel, ValueModel)}): the base's vocabulary and tokenizer are those the
 * combination samples in and decodes with.
 */
public interface BaseModel extends LanguageModel {}
