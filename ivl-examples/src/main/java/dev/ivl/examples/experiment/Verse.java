package dev.ivl.examples.experiment;

import java.util.Objects;

/**
 * One verse of the corpus.
 *
 * @param book the book, e.g. {@code Genesis}
 * @param chapter the chapter number, from 1
 * @param number the verse number within the chapter, from 1
 * @param text the verse text on one line, single-spaced
 */
public record Verse(String book, int chapter, int number, String text) {
    /** @throws NullPointerException if a text component is null */
    public Verse {
        Objects.requireNonNull(book, "book");
        Objects.requireNonNull(text, "text");
    }

    /** @return the reference, e.g. {@code Genesis 1:3} */
    public String reference() {
        return book + " " + chapter + ":" + number;
    }

    /** @return the verse as the pre-training text writes it: its reference, a space and its text */
    public String line() {
        return reference() + " " + text;
    }
}
