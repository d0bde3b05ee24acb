package dev.ivl.core.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.sample.GreedySampler;
import dev.ivl.core.sample.LogitsProcessor;
import dev.ivl.core.sample.MinP;
import dev.ivl.core.sample.RepetitionPenalty;
import dev.ivl.core.sample.Sampler;
import dev.ivl.core.sample.Temperature;
import dev.ivl.core.sample.TopK;
import dev.ivl.core.sample.TopP;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GenerationConfigTest {
    private static final LogitsProcessor EXTRA = (logits, history) -> logits[0] = 0f;
    private static final Sampler LAST = (logits, random) -> logits.length - 1;

    static Stream<Arguments> invalidValues() {
        return Stream.of(
                invalid("maxNewTokens", "0", b -> b.maxNewTokens(0)),
                invalid("maxNewTokens", "-5", b -> b.maxNewTokens(-5)),
                invalid("temperature", "-0.1", b -> b.temperature(-0.1f)),
                invalid("temperature", "NaN", b -> b.temperature(Float.NaN)),
                invalid("temperature", "Infinity", b -> b.temperature(Float.POSITIVE_INFINITY)),
                invalid("temperature", "1.4E-45", b -> b.temperature(Float.MIN_VALUE)),
                invalid("topK", "-1", b -> b.topK(-1)),
                invalid("topP", "0.0", b -> b.topP(0f)),
                invalid("topP", "-0.5", b -> b.topP(-0.5f)),
                invalid("topP", "1.01", b -> b.topP(1.01f)),
                invalid("topP", "NaN", b -> b.topP(Float.NaN)),
                invalid("minP", "-0.1", b -> b.minP(-0.1f)),
                invalid("minP", "1.0", b -> b.minP(1f)),
                invalid("minP", "NaN", b -> b.minP(Float.NaN)),
                invalid("repetitionPenalty", "0.0", b -> b.repetitionPenalty(0f)),
                invalid("repetitionPenalty", "-1.2", b -> b.repetitionPenalty(-1.2f)),
                invalid("repetitionPenalty", "NaN", b -> b.repetitionPenalty(Float.NaN)),
                invalid("repetitionPenalty", "Infinity", b -> b.repetitionPenalty(Float.POSITIVE_INFINITY)),
                invalid("stopStrings", "\"\"", b -> b.stopStrings("###", "")),
                invalid("stopTokenIds", "-3", b -> b.stopTokenIds(2, -3)));
    }

    private static Arguments invalid(String parameter, String value, UnaryOperator<GenerationConfig.Builder> set) {
        return Arguments.of(parameter, value, set);
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("invalidValues")
    void rejectsInvalidValuesNamingParameterAndValue(String parameter, String value,
            UnaryOperator<GenerationConfig.Builder> set) {
        GenerationConfig.Builder builder = set.apply(GenerationConfig.builder());
        IllegalParameterException e = assertThrows(IllegalParameterException.class, builder::build);
        assertEquals(parameter, e.parameter());
        assertTrue(e.getMessage().startsWith(parameter + " "), e.getMessage());
        assertTrue(e.getMessage().contains(value), () -> e.getMessage() + " does not name " + value);
    }

    @Test
    void acceptsTheEdgesOfEachRange() {
        GenerationConfig c = GenerationConfig.builder().maxNewTokens(1).temperature(0f).topK(0).topP(1f).minP(0f)
                .repetitionPenalty(0.01f).stopTokenIds(0).build();
        assertEquals(1, c.maxNewTokens());
        GenerationConfig d = GenerationConfig.builder().topP(Float.MIN_VALUE).minP(0.999f).temperature(100f).build();
        assertEquals(Float.MIN_VALUE, d.topP());
    }

    @Test
    void builderDefaults() {
        GenerationConfig c = GenerationConfig.builder().build();
        assertEquals(256, c.maxNewTokens());
        assertEquals(0f, c.temperature(), "greedy, as Hugging Face without do_sample");
        assertEquals(0, c.topK());
        assertEquals(1f, c.topP());
        assertEquals(0f, c.minP());
        assertEquals(1f, c.repetitionPenalty());
        assertEquals(List.of(), c.stopTokenIds());
        assertEquals(List.of(), c.stopStrings());
        assertEquals(OptionalLong.empty(), c.seed());
        assertFalse(c.ignoreEos());
        assertEquals(List.of(), c.processors());
        assertNull(c.sampler());
        assertTrue(c.greedy());
        assertEquals(List.of(), c.logitsProcessors(), "the defaults change no logit");
        assertSame(GreedySampler.INSTANCE, c.effectiveSampler());
    }

    @Test
    void toBuilderRoundTrips() {
        GenerationConfig c = GenerationConfig.builder().maxNewTokens(17).temperature(0.7f).topK(40).topP(0.9f)
                .minP(0.05f).repetitionPenalty(1.3f).stopTokenIds(5, 7, 5).stopStrings("###", "\n\n").seed(99)
                .ignoreEos(true).addProcessor(EXTRA).sampler(LAST).build();
        assertEquals(List.of(5, 7), c.stopTokenIds(), "duplicates dropped, order kept");
        GenerationConfig copy = c.toBuilder().build();
        assertEquals(c, copy);
        assertEquals(17, copy.maxNewTokens());
        assertEquals(OptionalLong.of(99), copy.seed());
        assertSame(LAST, copy.sampler());
        GenerationConfig changed = c.toBuilder().stopStrings("more").addProcessor(EXTRA).build();
        assertNotEquals(c, changed);
        assertEquals(List.of("###", "\n\n"), c.stopStrings(), "the original is not affected");
        assertEquals(List.of("###", "\n\n", "more"), changed.stopStrings());
        assertEquals(2, changed.processors().size());
    }

    @Test
    void listsAreImmutable() {
        GenerationConfig c = GenerationConfig.builder().stopStrings("x").stopTokenIds(1).addProcessor(EXTRA).build();
        assertThrows(UnsupportedOperationException.class, () -> c.stopStrings().add("y"));
        assertThrows(UnsupportedOperationException.class, () -> c.stopTokenIds().add(2));
        assertThrows(UnsupportedOperationException.class, () -> c.processors().clear());
        assertThrows(UnsupportedOperationException.class, () -> c.logitsProcessors().clear());
    }

    @Test
    void processorsRunPenaltyExtrasThenTemperatureTopKTopPMinP() {
        GenerationConfig c = GenerationConfig.builder().minP(0.05f).topP(0.9f).topK(40).temperature(0.7f)
                .repetitionPenalty(1.3f).addProcessor(EXTRA).build();
        assertEquals(List.of(new RepetitionPenalty(1.3f), EXTRA, new Temperature(0.7f), new TopK(40), new TopP(0.9f),
                new MinP(0.05f)), c.logitsProcessors(), "Hugging Face's order: user processors before the filters");
        assertEquals(List.of(new TopP(0.5f)), GenerationConfig.builder().temperature(1f).topP(0.5f).build()
                .logitsProcessors());
    }

    @Test
    void greedyDecodingKeepsOnlyThePenaltyAndTheExtras() {
        GenerationConfig c = GenerationConfig.builder().greedy().topK(5).topP(0.5f).minP(0.1f).repetitionPenalty(1.1f)
                .addProcessor(EXTRA).build();
        assertTrue(c.greedy());
        assertEquals(0f, c.temperature());
        assertEquals(List.of(new RepetitionPenalty(1.1f), EXTRA), c.logitsProcessors());
        assertSame(GreedySampler.INSTANCE, c.effectiveSampler());
    }

    @Test
    void aCustomSamplerReplacesTheBuiltInOne() {
        GenerationConfig c = GenerationConfig.builder().sampler(LAST).topK(3).build();
        assertFalse(c.greedy());
        assertSame(LAST, c.effectiveSampler());
        assertEquals(List.of(new TopK(3)), c.logitsProcessors());
    }
}
