package dev.ivl.core;

/**
 * Every size and work limit ivl enforces on its inputs, in one place. Each is checked before the work it bounds
 * (a file's size before reading it, a template's nesting before parsing it), so that a hostile or broken input is
 * refused with one line instead of exhausting memory, the stack or time. docs/RELIABILITY.md lists where each is
 * checked.
 */
public final class Limits {
    private Limits() {}

    /**
     * The largest small JSON file of a model folder: config.json, generation_config.json, tokenizer_config.json,
     * special_tokens_map.json, ivl.json, a safetensors index (a 405B model's index is under 200 KB).
     */
    public static final long MAX_CONFIG_JSON_BYTES = 16L << 20;

    /** The largest tokenizer.json (the largest published ones are about 35 MB). */
    public static final long MAX_TOKENIZER_JSON_BYTES = 256L << 20;

    /** The largest safetensors header (the format's own limit is 100 MB). */
    public static final long MAX_SAFETENSORS_HEADER_BYTES = 100_000_000L;

    /**
     * How deeply a chat template may nest brackets and blocks ({@code (}, {@code [}, <code>{</code>,
     * <code>{% if %}</code>…): real templates nest a few levels; parsing recurses once per level.
     */
    public static final int MAX_TEMPLATE_NESTING = 64;

    /** The most characters a chat template may render, and the widest string one of its filters may build. */
    public static final int MAX_TEMPLATE_OUTPUT_CHARS = 4 << 20;

    /** The most interpreter steps one chat template rendering may take (loops included). */
    public static final int MAX_TEMPLATE_STEPS = 1_000_000;

    /** The longest line of a JSONL file (training data, corpora, prompts), checked before it is parsed. */
    public static final int MAX_JSONL_LINE_CHARS = 16 << 20;
}
