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
        "{{ ''.class }}",
        "{{ messages.class }}",
        "{{ messages[0].content.bytes }}",
        "{{ messages[0].content.class.classLoader }}",
        "{{ messages|attr('class') }}",
        "{{ messages[0]|attr('class') }}",
        "{{ messages|map(attribute='class')|list|join }}",
    })
    void javaPropertiesReadAsNothing(String template) {
        String out = ChatTemplate.jinja(template, "", "").render(MESSAGES, true);
        assertEquals("", out);
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

    @Test
    void renderingsDoNotShareState() {
        ChatTemplate setter = ChatTemplate.jinja("{% set leaked = 'yes' %}{{ leaked }}", "", "");
        ChatTemplate reader = ChatTemplate.jinja("[{{ leaked }}]", "", "");
        assertEquals("yes", setter.render(MESSAGES, true));
        assertEquals("[]", reader.render(MESSAGES, true));
    }
}
