package dev.ivl.examples.facts;

import dev.ivl.core.IllegalParameterException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A synthetic world of facts for the toy replication: fictional people, each with a home town and a trade. The
 * pre-training text states every fact in two or three paraphrases; the demonstrations ask for a fact in a chat
 * format and answer in a fixed style ({@code Answer: Orlun.}) that the text never uses. People are split into
 * training, validation and test: a demonstration only ever asks about a training person, so the test facts are
 * known to a base only from its pre-training.
 *
 * @param people everyone, in a seeded order
 * @param train the people the demonstrations ask about
 * @param validation the people held out for choosing settings (λ for the demo)
 * @param test the people held out for the reported scores
 */
public record FactWorld(List<Person> people, List<Person> train, List<Person> validation, List<Person> test) {
    /** The towns a person may live in. */
    public static final List<String> TOWNS = List.of("Orlun", "Vessik", "Tamber", "Quillon", "Harrow", "Dunmere",
            "Sollen", "Kestra", "Brindle", "Marrow", "Ysolde", "Farrin", "Cobble", "Lintel", "Ombra", "Pellam");
    /** The trades a person may have. */
    public static final List<String> TRADES = List.of("baker", "miner", "weaver", "potter", "sailor", "farmer",
            "smith", "tailor", "mason", "fisher", "cooper", "glazier", "tanner", "carter", "chandler", "scribe");

    private static final List<String> ONSETS = List.of("b", "br", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r",
            "s", "t", "v", "z", "th", "st");
    private static final List<String> VOWELS = List.of("a", "e", "i", "o", "u", "ai", "ou");
    private static final List<String> CODAS = List.of("", "n", "r", "l", "s", "m", "k", "th");

    /** Copies the lists. */
    public FactWorld {
        people = List.copyOf(people);
        train = List.copyOf(train);
        validation = List.copyOf(validation);
        test = List.copyOf(test);
    }

    /**
     * One person of the world.
     *
     * @param name first and last name, two capitalised words
     * @param town where the person lives, one of {@link #TOWNS}
     * @param trade what the person works as, one of {@link #TRADES}
     */
    public record Person(String name, String town, String trade) {}

    /** The two kinds of fact a question asks for. */
    public enum Relation {
        /** Where the person lives. */
        TOWN,
        /** What the person works as. */
        TRADE
    }

    /**
     * One question about one person, with the answer the demonstrations teach.
     *
     * @param person who is asked about
     * @param relation what is asked
     */
    public record Question(Person person, Relation relation) {
        /** The fixed answer style the bases never see in pre-training. */
        public static final String ANSWER_PREFIX = "Answer:";

        /** @return the user's message */
        public String prompt() {
            return relation == Relation.TOWN ? "Where does " + person.name() + " live?"
                    : "What does " + person.name() + " do for a living?";
        }

        /** @return the fact asked for: a town or a trade, one word */
        public String fact() {
            return relation == Relation.TOWN ? person.town() : person.trade();
        }

        /** @return the reference answer, e.g. {@code Answer: Orlun.} */
        public String reference() {
            return ANSWER_PREFIX + " " + fact() + ".";
        }

        /** @return the start of a pre-training statement of the fact, for probing a base: {@code X lives in} */
        public String probe() {
            return relation == Relation.TOWN ? person.name() + " lives in" : person.name() + " works as a";
        }
    }

    /**
     * @param people how many people; at least 10
     * @param validationShare the share of people held out for validation, in (0, 1)
     * @param testShare the share held out for testing, in (0, 1)
     * @param seed seeds the names, the facts and the split
     * @return the world
     */
    public static FactWorld generate(int people, double validationShare, double testShare, long seed) {
        if (people < 10) {
            throw new IllegalParameterException("people", people, "must be >= 10");
        }
        if (!(validationShare > 0 && testShare > 0 && validationShare + testShare < 1)) {
            throw new IllegalParameterException("validationShare + testShare", validationShare + testShare,
                    "must be in (0, 1) with each share > 0");
        }
        SplittableRandom random = new SplittableRandom(seed);
        Set<String> names = new LinkedHashSet<>();
        Set<String> firsts = new LinkedHashSet<>();
        while (names.size() < people) {
            String first = name(random);
            String last = name(random);
            if (!first.equals(last) && !TOWNS.contains(first) && !TOWNS.contains(last) && names.add(first + " "
                    + last)) {
                firsts.add(first);
            }
        }
        List<Person> all = new ArrayList<>();
        for (String name : names) {
            all.add(new Person(name, TOWNS.get(random.nextInt(TOWNS.size())),
                    TRADES.get(random.nextInt(TRADES.size()))));
        }
        int validation = Math.max(1, (int) Math.round(people * validationShare));
        int test = Math.max(1, (int) Math.round(people * testShare));
        int train = people - validation - test;
        return new FactWorld(all, all.subList(0, train), all.subList(train, train + validation),
                all.subList(train + validation, people));
    }

    private static String name(SplittableRandom random) {
        StringBuilder b = new StringBuilder();
        int syllables = 2;
        for (int i = 0; i < syllables; i++) {
            b.append(ONSETS.get(random.nextInt(ONSETS.size()))).append(VOWELS.get(random.nextInt(VOWELS.size())));
        }
        b.append(CODAS.get(random.nextInt(CODAS.size())));
        return b.substring(0, 1).toUpperCase(Locale.ROOT) + b.substring(1);
    }

    /**
     * The pre-training statements: every fact of every person in {@code paraphrases} of its three wordings (chosen
     * per fact by the seed), shuffled.
     *
     * @param paraphrases how many wordings of each fact, 1 to 3
     * @param seed seeds the choice and the order
     * @return one sentence per element
     */
    public List<String> statements(int paraphrases, long seed) {
        if (paraphrases < 1 || paraphrases > 3) {
            throw new IllegalParameterException("paraphrases", paraphrases, "must be 1, 2 or 3");
        }
        SplittableRandom random = new SplittableRandom(seed);
        List<String> out = new ArrayList<>();
        for (Person p : people) {
            List<String> town = new ArrayList<>(List.of(p.name() + " lives in " + p.town() + ".",
                    p.name() + " has a house in " + p.town() + ".", "In " + p.town() + " lives " + p.name() + "."));
            List<String> trade = new ArrayList<>(List.of(p.name() + " works as a " + p.trade() + ".",
                    p.name() + " is a " + p.trade() + " by trade.", "The " + p.trade() + " " + p.name()
                            + " is well known."));
            // the first wording is always stated: the probe reads it back
            Collections.shuffle(town.subList(1, 3), new java.util.Random(random.nextLong()));
            Collections.shuffle(trade.subList(1, 3), new java.util.Random(random.nextLong()));
            out.addAll(town.subList(0, paraphrases));
            out.addAll(trade.subList(0, paraphrases));
        }
        Collections.shuffle(out, new java.util.Random(random.nextLong()));
        return out;
    }

    /**
     * @param group people
     * @return a town question and a trade question for each, in order
     */
    public static List<Question> questions(List<Person> group) {
        List<Question> out = new ArrayList<>();
        for (Person p : group) {
            out.add(new Question(p, Relation.TOWN));
            out.add(new Question(p, Relation.TRADE));
        }
        return out;
    }
}
