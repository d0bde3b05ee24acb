package dev.ivl.examples.facts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The synthetic world: what the study relies on about its splits, statements and questions. */
class FactWorldTest {
    private final FactWorld world = FactWorld.generate(200, 0.15, 0.25, 7);

    @Test
    void peopleAreUniqueAndSplitWithoutOverlap() {
        assertEquals(200, world.people().size());
        assertEquals(200, world.people().stream().map(FactWorld.Person::name).distinct().count());
        assertEquals(30, world.validation().size());
        assertEquals(50, world.test().size());
        assertEquals(120, world.train().size());
        Set<FactWorld.Person> seen = new HashSet<>(world.train());
        world.validation().forEach(p -> assertTrue(seen.add(p)));
        world.test().forEach(p -> assertTrue(seen.add(p)));
        assertEquals(world, FactWorld.generate(200, 0.15, 0.25, 7), "seeded");
    }

    @Test
    void everyFactIsStatedInItsParaphrasesAndTheProbeWordingIsAlwaysAmongThem() {
        List<String> statements = world.statements(2, 3);
        assertEquals(200 * 2 * 2, statements.size());
        for (FactWorld.Question q : FactWorld.questions(world.test())) {
            assertTrue(statements.contains(q.probe() + " " + q.fact() + "."), q.probe());
        }
    }

    @Test
    void theAnswerStyleAndTheQuestionsNeverAppearInThePretrainingText() {
        String text = String.join(" ", world.statements(3, 3));
        assertFalse(text.contains(FactWorld.Question.ANSWER_PREFIX));
        assertFalse(text.contains("?"));
        FactWorld.Question q = FactWorld.questions(world.test()).get(0);
        assertEquals("Answer: " + q.person().town() + ".", q.reference());
        assertTrue(q.prompt().startsWith("Where does " + q.person().name()));
    }

    @Test
    void scoresKeepFormatAndKnowledgeApart() {
        FactWorld.Question q = new FactWorld.Question(new FactWorld.Person("Tavo Brenn", "Orlun", "baker"),
                FactWorld.Relation.TOWN);
        Scores.Likelihood nll = new Scores.Likelihood(0.1, 2.0);
        Scores right = Scores.of(q, "Answer: Orlun.", true, nll);
        assertTrue(right.exactMatch() && right.format() && right.factFound());
        assertEquals(1.0, right.f1(), 1e-9);
        Scores wrongFact = Scores.of(q, "Answer: Vessik.", true, nll);
        assertTrue(!wrongFact.exactMatch() && wrongFact.format() && !wrongFact.factFound());
        Scores noFormat = Scores.of(q, "Orlun is where he lives", false, nll);
        assertTrue(!noFormat.exactMatch() && !noFormat.format() && noFormat.factFound());
        assertEquals(0.5, noFormat.f1(), 1e-9, "first 2 words {Orlun, is} against {Answer, Orlun}");
        Scores cutOff = Scores.of(q, "Answer: Orlun.", false, nll);
        assertTrue(!cutOff.exactMatch() && !cutOff.format(), "not ended by the end-of-sequence token");
    }
}
