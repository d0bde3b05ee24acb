package dev.ivl.core.generate;

/**
 * Token counts of one generation.
 *
 * @param promptTokens tokens in the prompt
 * @param completionTokens tokens generated, a stop token included
 */
public record Usage(int promptTokens, int completionTokens) {
    /** @return prompt plus completion tokens */
    public int totalTokens() {
        return promptTokens + completionTokens;
    }
}
