package dev.ivl.core.combine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.InvalidInputException;
import dev.ivl.core.fakes.FakeModel;
import dev.ivl.core.fakes.WordTokenizer;
import dev.ivl.core.model.Scheme;
import dev.ivl.core.model.Session;
import dev.ivl.core.text.Vocabularies;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@link ResidualCombiner#combine} refuses, so that a wrong pair fails instead of decoding garbage. */
class PluggingChecksTest {
    private static final WordTokenizer LLAMA = new WordTokenizer("<s>", "the", "cat", "sat");
    private static final WordTokenizer MISTRAL = new WordTokenizer("<s>", "cat", "the", "sat"); // same size
    private static final WordTokenizer LLAMA_COPY = new WordTokenizer("<s>", "the", "cat", "sat");

    private static FakeModel model(float... logits) {
        return FakeModel.constant(logits);
    }

    @Test
    void aCascadeValueModelIsRefusedByTheResidualCombiner() {
        FakeModel base = model(1, 2, 3, 4);
        for (Scheme scheme : List.of(Scheme.CASCADE, Scheme.CASCADE_NO_TEXT, Scheme.CAUSAL_LM)) {
            FakeModel value = model(0, 0, 0, 1).withScheme(scheme);
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> ResidualCombiner.withAlpha(1f).combine(base, value));
            assertTrue(e.getMessage().contains("trained with the " + scheme.label() + " scheme"), e.getMessage());
        }
        assertEquals(4, ResidualCombiner.withAlpha(1f).combine(base, model(0, 0, 0, 1)).vocabSize());
    }

    @Test
    void aSameSizeTokenizerWithOtherTokensIsRefused() {
        FakeModel base = model(1, 2, 3, 4).withTokenizer(LLAMA);
        FakeModel value = model(0, 0, 0, 1).withTokenizer(MISTRAL);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> ResidualCombiner.withAlpha(1f).combine(base, value));
        assertTrue(e.getMessage().contains("id 1 is \"the\" in one vocabulary and \"cat\" in the other"),
                e.getMessage());
        assertTrue(e.getMessage().contains("ivl align-vocab"), e.getMessage());
    }

    @Test
    void theSameVocabularyInAnotherInstanceIsAccepted() {
        FakeModel base = model(1, 2, 3, 4).withTokenizer(LLAMA);
        CombinedModel combined = ResidualCombiner.withAlpha(1f).combine(base,
                model(0, 0, 0, 1).withTokenizer(LLAMA_COPY));
        assertSame(LLAMA, combined.tokenizer().orElseThrow(), "the combination samples in the base's vocabulary");
        try (Session s = combined.newSession()) {
            assertArrayEquals(new float[] {1, 2, 3, 5}, s.append(0));
        }
    }

    @Test
    void underValuePrefixOnlyTheSharedIdsMustAgree() {
        FakeModel base = model(1, 2, 3, 4, 5).withTokenizer(new WordTokenizer("<s>", "the", "cat", "sat", "<pad>"));
        FakeModel value = model(0, 0, 0, 1).withTokenizer(LLAMA);
        ResidualCombiner prefix = new ResidualCombiner(1f, VocabularyPolicy.VALUE_PREFIX);
        assertEquals(5, prefix.combine(base, value).vocabSize());
        FakeModel other = model(0, 0, 0, 1).withTokenizer(MISTRAL);
        assertThrows(InvalidInputException.class, () -> prefix.combine(base, other));
    }

    @Test
    void buildingTheCombinedModelDirectlyIsTheExplicitOverride() {
        FakeModel base = model(1, 2, 3, 4).withTokenizer(LLAMA);
        FakeModel value = model(0, 0, 0, 1).withTokenizer(MISTRAL).withScheme(Scheme.CASCADE);
        CombinedModel forced = new CombinedModel(List.of(base, value), ResidualCombiner.withAlpha(1f));
        try (Session s = forced.newSession()) {
            assertArrayEquals(new float[] {1, 2, 3, 5}, s.append(0));
        }
    }

    @Test
    void modelsThatDoNotKnowTheirTokenizersAreCheckedBySizeOnly() {
        assertEquals(4, ResidualCombiner.withAlpha(1f).combine(model(1, 2, 3, 4), model(0, 0, 0, 1).withTokenizer(
                MISTRAL)).vocabSize());
        assertThrows(InvalidInputException.class,
                () -> ResidualCombiner.withAlpha(1f).combine(model(1, 2, 3, 4), model(0, 0, 1)));
    }

    @Test
    void fingerprintsNameTheVocabularyNotTheInstance() {
        assertEquals(Vocabularies.fingerprint(LLAMA), Vocabularies.fingerprint(LLAMA_COPY));
        assertTrue(!Vocabularies.fingerprint(LLAMA).equals(Vocabularies.fingerprint(MISTRAL)));
        assertTrue(Vocabularies.fingerprint(LLAMA).orElseThrow().startsWith("sha256:"));
    }
}
