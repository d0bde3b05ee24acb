package dev.ivl.djl.tokenizer;

import static dev.ivl.djl.tokenizer.ChatMessage.user;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ivl.core.IllegalParameterException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Templates come from downloaded model folders: they must not reach Java objects, files or unbounded resources. */
class JinjaSandboxTest {
    private static final List<ChatMessage> MESSAGES = List.of(user("hello"));

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {
        "{{ ''.getClass() }}",
        "{{ ''.getClass().forName('java.lang.Runtime') }}",
        "{{ messages.getClass().forName('java.lang.Runtime') }}",
        "{{ messages[0].content.getBytes() }}",
        "{{ messages[0].getClass().getClassLoader() }}",
        "{{ messages[0].content.hashCode() }}",
        "{{ messages.clear() }}",
        "{{ messages[0].put('role', 'system') }}",
        "{{ ____int3rpr3t3r____.getConfig() }}",
        "{{ ____int3rpr3t3r____.getContext().getGlobalContext() }}",
        "{% for class, x in ['a'] %}{{ class.forName('java.lang.Runtime') }}{% endfor %}",
        "{% for class, x in ['a'] %}{{ class.getClassLoader() }}{% endfor %}",
        "{% for m in messages %}{{ loop.doBreak() }}{% endfor %}",
    })
    void javaMethodsAreNotCallable(String template) {
        IllegalParameterException e = assertThrows(IllegalParameterException.class,
                () -> ChatTemplate.jinja(template, "", "").render(MESSAGES, true));
        assertTrue(e.getMessage().contains("may not call"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "[{{ ''.class }}]",
        "[{{ messages.class }}]",
        "[{{ messages[0].content.bytes }}]",
        "[{{ messages[0].content.class.classLoader }}]",
        "[{{ messages|attr('class') }}]",
        "[{{ messages[0]|attr('class') }}]",
        "[{{ messages|map(attribute='class')|list|join }}]",
    })
    void javaPropertiesReadAsNothing(String template) {
        String out = ChatTemplate.jinja(template, "", "").render(MESSAGES, true);
        assertEquals("[]", out);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{{ messages[0].contnet }}",
        "{{ messages[0].content.bytes }}",
        "{% if false %}x{% endif %}",
    })
    void aTemplateThatRendersNothingIsRefused(String template) {
        IllegalParameterException e = assertThrows(IllegalParameterException.class,
                () -> ChatTemplate.jinja(template, "", "").render(MESSAGES, true));
        assertTrue(e.getMessage().contains("rendered nothing for 1 message(s)"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{% include '/etc/passwd' %}",
        "{% include 'META-INF/MANIFEST.MF' %}",
        "{% import '/etc/passwd' as p %}{{ p }}",
        "{% from '/etc/hostname' import x %}{{ x }}",
        "{% extends '/etc/passwd' %}",
        "{{ '{% include \"/etc/passwd\" %}'|render }}",
        "{{ 'a: !!java.io.File /etc/passwd'|fromyaml }}",
    })
    void noOtherTemplatesOrFilesCanBeLoaded(String template) {
        IllegalParameterException e = assertThrows(IllegalParameterException.class,
                () -> ChatTemplate.jinja(template, "", "").render(MESSAGES, true));
        assertFalse(e.getMessage().contains("root:"), e.getMessage());
    }

    @Test
    void noProcessCanBeStarted() {
        Path marker = dir.resolve("pwned");
        String template = "{% for class, x in ['a'] %}{{ class.forName('java.lang.Runtime').getRuntime()"
                + ".exec('touch " + marker + "') }}{% endfor %}";
        assertThrows(IllegalParameterException.class,
                () -> ChatTemplate.jinja(template, "", "").render(MESSAGES, true));
        assertFalse(Files.exists(marker));
    }

    @Test
    void interpreterObjectDoesNotLeak() {
        String out = ChatTemplate.jinja("{{ ____int3rpr3t3r____ }}", "", "").render(MESSAGES, true);
        assertFalse(out.contains("hubspot") || out.contains("Interpreter"), out);
    }

    @Test
    void outputIsBounded() {
        String template = "{% for i in range(1000) %}{% for j in range(1000) %}{{ 'xxxxxxxxxx' }}"
                + "{% endfor %}{% endfor %}";
        IllegalParameterException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(
                IllegalParameterException.class, () -> ChatTemplate.jinja(template, "", "").render(MESSAGES, true)));
        assertTrue(e.getMessage().contains("OutputTooBig"), e.getMessage());
    }

    @Test
    void workIsBoundedEvenWithoutOutput() {
        String template = "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}"
                + "{% endfor %}{% endfor %}{% endfor %}";
        IllegalParameterException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(
                IllegalParameterException.class, () -> ChatTemplate.jinja(template, "", "").render(MESSAGES, true)));
        assertTrue(e.getMessage().contains("steps"), e.getMessage());
    }

    @Test
    void loopsOverLiteralListsAreCounted() {
        String list = "[" + "none, ".repeat(999) + "none]";
        String template = "{% for i in " + list + " %}{% for j in " + list + " %}{% for k in " + list + " %}"
                + "{% endfor %}{% endfor %}{% endfor %}";
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(
                IllegalParameterException.class, () -> ChatTemplate.jinja(template, "", "").render(MESSAGES, true)));
    }

    @Test
    void recursionIsBounded() {
        String out = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> ChatTemplate.jinja(
                "{% macro f(n) %}{{ f(n) }}{% endmacro %}[{{ f(1) }}]", "", "").render(MESSAGES, true));
        assertEquals("[]", out);
    }

    /** A template refused within seconds (while parsing or rendering): the message. */
    private static String refusal(String template) {
        return assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(IllegalParameterException.class,
                () -> ChatTemplate.jinja(template, "", "").render(MESSAGES, true))).getMessage();
    }

    private static String nested(String open, String inside, String close, int levels) {
        return open.repeat(levels) + inside + close.repeat(levels);
    }

    @Test
    void deepNestingIsRefusedBeforeParsing() {
        for (String template : List.of(
                "{{ " + nested("(", "1", ")", 1_000) + " }}",
                "{{ " + nested("(", "1", ")", 20_000) + " }}",
                "{{ " + nested("[", "1", "]", 20_000) + " }}",
                "{{ " + nested("{'a': ", "1", "}", 5_000) + " }}",
                nested("{% if true %}", "x", "{% endif %}", 5_000),
                nested("{% for m in messages %}", "x", "{% endfor %}", 20_000),
                nested("{% if true %}", "{{ " + nested("(", "1", ")", 40) + " }}", "{% endif %}", 40))) {
            String message = refusal(template);
            assertTrue(message.contains("nests brackets and blocks more than 64 levels deep"), message);
        }
    }

    @Test
    void nestingUpToTheLimitRenders() {
        assertEquals("1", ChatTemplate.jinja("{{ " + nested("(", "1", ")", 64) + " }}", "", "")
                .render(MESSAGES, true));
        assertEquals("x", ChatTemplate.jinja(nested("{% if true %}", "x", "{% endif %}", 64), "", "")
                .render(MESSAGES, true));
        String loops = nested("{% for m in messages %}", "{{ " + nested("[", "m.content", "]", 32) + "|length }}",
                "{% endfor %}", 32);
        assertEquals("1", ChatTemplate.jinja(loops, "", "").render(MESSAGES, true));
        // brackets in strings, raw blocks and comments do not nest; a set with '=' opens no block
        String flat = "{{ '" + "(".repeat(100) + "' }}{# " + "[".repeat(100) + " #}{% raw %}" + "{".repeat(100)
                + "{% endraw %}" + "{% set x = 1 %}".repeat(100);
        assertEquals("(".repeat(100) + "{".repeat(100), ChatTemplate.jinja(flat, "", "").render(MESSAGES, true));
    }

    @Test
    void aStackOverflowIsOneError() {
        for (String template : List.of("{{ " + "not ".repeat(20_000) + "true }}",
                "{{ 'a'" + "|trim".repeat(50_000) + " }}")) {
            String message = refusal(template);
            assertTrue(message.contains("nests too deeply (a StackOverflowError)"), message);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{{ 'a'|center(2000000000) }}",
        "{{ 'a\nb'|indent(2000000000, true) }}",
        "{{ 'a\nb'|indent(width=2000000000) }}",
        "{{ (' '|center(3000000))|wordwrap(1) }}",
        "{{ '%2000000000s'|format('a') }}",
        "{{ '%.2000000000f'|format(1.5) }}",
        "{{ (' '|center(3000000))|replace(' ', 'ab') }}",
        "{{ 1.5|round(2000000000) }}",
        "{{ ['a']|map('center', 2000000000)|list }}",
        "{% set s = ' '|center(3000000) %}{{ ['a', 'b']|join(s) }}",
    })
    void filtersAreBoundedBeforeTheyBuild(String template) {
        String message = refusal(template);
        assertTrue(message.contains("would build more than 4194304 characters in the filter '"), message);
    }

    /** A list of references to one long string has a longer text than anything a template could build. */
    @ParameterizedTest
    @ValueSource(strings = {
        "{{ l|string }}",
        "{{ l|join }}",
        "{{ [l, l]|join }}",
        "{{ '%s'|format(l) }}",
        "{{ 'x'|replace('x', l) }}",
        "{{ l|upper }}",
    })
    void filtersAreNotGivenMoreTextThanTheLimit(String expression) {
        String message = refusal("{% set s = ' '|center(3000000) %}{% set l = [s, s] %}" + expression);
        assertTrue(message.contains("more than 4194304 characters of text"), message);
    }

    @Test
    void stringReplaceIsBoundedBeforeItBuilds() {
        String message = refusal("{{ 'ab'.replace('', ' '|center(3000000)) }}");
        assertTrue(message.contains("would build more than 4194304 characters in the string method 'replace'"),
                message);
    }

    @Test
    void batchIsBoundedBeforeItFills() {
        String message = refusal("{{ [1]|batch(2000000000, 'x')|length }}");
        assertTrue(message.contains("would build a list of more than 100000 items in the filter 'batch'"), message);
    }

    @Test
    void boundedFiltersBehaveAsBefore() {
        String template = "[{{ 'x'|center(5) }}][{{ 'a\nb'|indent(2, true) }}][{{ 'aaa bbb'|wordwrap(3) }}]"
                + "[{{ '%s-%d'|format('a', 3) }}][{{ 'aaa'|replace('a', 'b', 2) }}][{{ 'aaa'.replace('', '-') }}]"
                + "[{{ [1, 2]|join('-') }}][{{ 1.26|round(1) }}][{{ [1, 2, 3, 4]|batch(3, 0)|list|length }}]"
                + "[{{ messages|length }}][{{ messages[0].content|upper }}]";
        assertEquals("[  x  ][  a\n  b][aaa\nbbb][a-3][bba][-a-a-a-][1-2][1.3][2][1][HELLO]",
                ChatTemplate.jinja(template, "", "").render(MESSAGES, true));
    }

    @ParameterizedTest
    @ValueSource(strings = {"regex_replace('x', 'y')", "multiply(2)", "md5", "fromjson", "ipaddr", "render"})
    void onlyJinjasFiltersAreOffered(String filter) {
        String message = refusal("{{ 'x'|" + filter + " }}");
        String name = filter.replaceAll("\\(.*", "");
        assertTrue(message.contains("uses the filter '" + name + "', which Jinja does not have"), message);
    }

    @Test
    void renderingsDoNotShareState() {
        ChatTemplate setter = ChatTemplate.jinja("{% set leaked = 'yes' %}{{ leaked }}", "", "");
        ChatTemplate reader = ChatTemplate.jinja("[{{ leaked }}]", "", "");
        assertEquals("yes", setter.render(MESSAGES, true));
        assertEquals("[]", reader.render(MESSAGES, true));
    }
}
