package dev.ivl.examples.experiment;

import dev.ivl.core.InvalidInputException;
import java.util.ArrayList;
import java.util.List;

/** The pre-training text: verse lines with their references, grouped into samples within each chapter. */
public final class Pretraining {
    private Pretraining() {}

    /**
     * @param verses verses in corpus order
     * @param chapters how many chapters to keep, counted in corpus order across books; ≥ 1
     * @return the verses of the first {@code chapters} chapters
     * @throws InvalidInputException if the verses span fewer chapters
     */
    public static List<Verse> firstChapters(List<Verse> verses, int chapters) {
        List<Verse> kept = new ArrayList<>();
        int seen = 0;
        Verse previous = null;
        for (Verse v : verses) {
            if (previous == null || !sameChapter(previous, v)) {
                if (++seen > chapters) {
                    return kept;
                }
            }
            kept.add(v);
            previous = v;
        }
        if (seen < chapters) {
            throw new InvalidInputException("the corpus has " + seen + " chapters, fewer than the " + chapters
                    + " the experiment pre-trains on");
        }
        return kept;
    }

    /**
     * Groups consecutive verses of one chapter into samples of at most {@code maxWords} words (a longer verse is a
     * sample of its own), each verse written as {@link Verse#line()}, separated by spaces.
     *
     * @param verses verses in corpus order
     * @param maxWords the most words per sample
     * @return the samples, in order; every verse is in exactly one
     */
    public static List<String> chunks(List<Verse> verses, int maxWords) {
        List<String> chunks = new ArrayList<>();
        StringBuilder chunk = new StringBuilder();
        int words = 0;
        Verse previous = null;
        for (Verse v : verses) {
            String line = v.line();
            int n = line.split(" ").length;
            if (chunk.length() > 0 && (words + n > maxWords || !sameChapter(previous, v))) {
                chunks.add(chunk.toString());
                chunk.setLength(0);
                words = 0;
            }
            chunk.append(chunk.length() > 0 ? " " : "").append(line);
            words += n;
            previous = v;
        }
        if (chunk.length() > 0) {
            chunks.add(chunk.toString());
        }
        return chunks;
    }

    private static boolean sameChapter(Verse a, Verse b) {
        return a.book().equals(b.book()) && a.chapter() == b.chapter();
    }
}
