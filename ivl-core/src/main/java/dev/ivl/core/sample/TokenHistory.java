package dev.ivl.core.sample;

import java.util.Arrays;
import java.util.BitSet;
import java.util.function.IntConsumer;

/** The tokens of one sequence so far (prompt, then output), with its set of distinct tokens kept up to date. */
public final class TokenHistory {
    private final int promptLength;
    private int[] tokens;
    private int size;
    private final BitSet seen = new BitSet();
    private int[] distinct = new int[16];
    /** Where each distinct token first appears: {@link #truncate} forgets those that first appear after the cut. */
    private int[] firstIndex = new int[16];
    private int distinctCount;

    /** @param prompt the prompt's tokens */
    public TokenHistory(int... prompt) {
        tokens = Arrays.copyOf(prompt, Math.max(16, prompt.length * 2));
        for (int i = 0; i < prompt.length; i++) {
            markSeen(prompt[i], i);
        }
        size = prompt.length;
        promptLength = prompt.length;
    }

    /** @return the number of prompt tokens: tokens {@code [0, promptLength())} are the prompt, the rest generated */
    public int promptLength() {
        return promptLength;
    }

    /** @return the number of tokens generated so far */
    public int generated() {
        return size - promptLength;
    }

    /** @param token a token appended to the sequence */
    public void add(int token) {
        if (size == tokens.length) {
            tokens = Arrays.copyOf(tokens, size * 2);
        }
        markSeen(token, size);
        tokens[size++] = token;
    }

    /**
     * Forgets the tokens from {@code newSize} on (drafted tokens that were not kept).
     *
     * @param newSize the tokens to keep, in {@code [promptLength(), size()]}
     * @throws IndexOutOfBoundsException if {@code newSize} is outside that range
     */
    public void truncate(int newSize) {
        if (newSize < promptLength || newSize > size) {
            throw new IndexOutOfBoundsException("cannot truncate " + size + " tokens to " + newSize + " (the prompt has "
                    + promptLength + ")");
        }
        size = newSize;
        while (distinctCount > 0 && firstIndex[distinctCount - 1] >= newSize) {
            seen.clear(distinct[--distinctCount]);
        }
    }

    private void markSeen(int token, int index) {
        if (!seen.get(token)) {
            seen.set(token);
            if (distinctCount == distinct.length) {
                distinct = Arrays.copyOf(distinct, distinctCount * 2);
                firstIndex = Arrays.copyOf(firstIndex, distinctCount * 2);
            }
            firstIndex[distinctCount] = index;
            distinct[distinctCount++] = token;
        }
    }

    /** @return the number of tokens */
    public int size() {
        return size;
    }

    /**
     * @param index position in the sequence, in {@code [0, size())}
     * @return the token there
     */
    public int get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException(index);
        }
        return tokens[index];
    }

    /** @return a copy of the tokens */
    public int[] toArray() {
        return Arrays.copyOf(tokens, size);
    }

    /** @param action called once for each distinct token, in order of first appearance */
    public void forEachDistinct(IntConsumer action) {
        for (int i = 0; i < distinctCount; i++) {
            action.accept(distinct[i]);
        }
    }
}
