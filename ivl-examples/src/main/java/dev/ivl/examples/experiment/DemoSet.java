package dev.ivl.examples.experiment;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IllegalParameterException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The demonstration set: verse-continuation requests built from the pre-training verses, split into a training
 * part and a held-out evaluation part with no verse in common. Every verse of either part is in the pre-training
 * text, so the knowledge the answers need is what the base models learnt; the answer format is not.
 *
 * @param train the demonstrations to post-train on
 * @param eval the held-out demonstrations to evaluate on
 */
public record DemoSet(List<Demonstration> train, List<Demonstration> eval) {
    /** Copies the lists. */
    public DemoSet {
        train = List.copyOf(train);
        eval = List.copyOf(eval);
    }

    /**
     * Builds the set from the verses of {@code minWords} to {@code maxWords} words: each is split after half its
     * words (rounded down); the eligible verses are shuffled with {@code seed}, the first {@code evalCount} are the
     * evaluation part and the next {@code trainCount} (or all the rest) the training part.
     *
     * @param verses the pre-training verses
     * @param evalCount held-out demonstrations; ≥ 1
     * @param trainCount training demonstrations at most; ≥ 1
     * @param minWords the fewest words of an eligible verse; ≥ 2
     * @param maxWords the most words of an eligible verse; ≥ minWords
     * @param seed seeds the shuffle
     * @return the set
     * @throws IllegalParameterException for counts or bounds out of range
     * @throws InvalidInputException if fewer than {@code evalCount + 1} verses are eligible
     */
    public static DemoSet build(List<Verse> verses, int evalCount, int trainCount, int minWords, int maxWords,
            long seed) {
        if (evalCount < 1) {
            throw new IllegalParameterException("evalCount", evalCount, "must be >= 1");
        }
        if (trainCount < 1) {
            throw new IllegalParameterException("trainCount", trainCount, "must be >= 1");
        }
        if (minWords < 2 || maxWords < minWords) {
            throw new IllegalParameterException("maxWords", maxWords, "must be >= minWords (" + minWords
                    + "), which must be >= 2");
        }
        List<Verse> eligible = new ArrayList<>();
        for (Verse v : verses) {
            int words = v.text().split(" ").length;
            if (words >= minWords && words <= maxWords) {
                eligible.add(v);
            }
        }
        if (eligible.size() <= evalCount) {
            throw new InvalidInputException("only " + eligible.size() + " verses of " + minWords + " to " + maxWords
                    + " words: too few for " + evalCount + " held-out demonstrations and a training part");
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = eligible.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            Verse t = eligible.get(i);
            eligible.set(i, eligible.get(j));
            eligible.set(j, t);
        }
        List<Demonstration> eval = new ArrayList<>();
        List<Demonstration> train = new ArrayList<>();
        for (int i = 0; i < eligible.size() && train.size() < trainCount; i++) {
            Verse v = eligible.get(i);
            Demonstration d = Demonstration.of(v, v.text().split(" ").length / 2);
            (i < evalCount ? eval : train).add(d);
        }
        return new DemoSet(train, eval);
    }
}
