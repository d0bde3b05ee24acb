package dev.ivl.core.sample;

/**
 * Rewrites next-token logits in place before sampling (a penalty, a temperature, a filter that sets logits to
 * −∞). Implement it to add your own step; see {@link dev.ivl.core.generate.GenerationConfig#logitsProcessors()} for
 * the order in which the built-in ones run.
 */
@FunctionalInterface
public interface LogitsProcessor {
    /**
     * @param logits the logits to rewrite, one per vocabulary entry
     * @param history every token of the sequence so far: prompt, then generated tokens
     */
    void process(float[] logits, TokenHistory history);
}
