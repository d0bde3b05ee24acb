package dev.ivl.examples.experiment;

import dev.ivl.core.IllegalParameterException;
import java.util.Arrays;
import java.util.Objects;

/**
 * One request of the demonstration task and its expected answer: continue a verse from its reference and first
 * words, answering in the fixed style {@code "Continuation: <the rest of the verse>"}.
 *
 * @param verse the verse it is made from
 * @param request the user's request, not chat-formatted, e.g. {@code Continue Genesis 1:3 And God said,}
 * @param reference the expected answer, e.g. {@code Continuation: Let there be light: and there was light.}
 */
public record Demonstration(Verse verse, String request, String reference) {
    /** The fixed start of every answer. */
    public static final String ANSWER_PREFIX = "Continuation: ";
    /** The fixed start of every request. */
    public static final String REQUEST_PREFIX = "Continue ";

    /** @throws NullPointerException if a component is null */
    public Demonstration {
        Objects.requireNonNull(verse, "verse");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(reference, "reference");
    }

    /**
     * Splits a verse after {@code promptWords} words.
     *
     * @param verse the verse
     * @param promptWords how many of its words the request gives; fewer than the verse has
     * @return the demonstration
     * @throws IllegalParameterException if {@code promptWords} is not in [1, words of the verse)
     */
    public static Demonstration of(Verse verse, int promptWords) {
        String[] words = verse.text().split(" ");
        if (promptWords < 1 || promptWords >= words.length) {
            throw new IllegalParameterException("promptWords", promptWords, "must be in [1, " + words.length
                    + ") for " + verse.reference());
        }
        String head = String.join(" ", Arrays.copyOfRange(words, 0, promptWords));
        String tail = String.join(" ", Arrays.copyOfRange(words, promptWords, words.length));
        return new Demonstration(verse, REQUEST_PREFIX + verse.reference() + " " + head, ANSWER_PREFIX + tail);
    }

    /** @return the expected continuation without the answer prefix */
    public String continuation() {
        return reference.substring(ANSWER_PREFIX.length());
    }
}
