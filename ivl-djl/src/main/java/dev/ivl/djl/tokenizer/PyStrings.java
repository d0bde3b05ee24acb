package dev.ivl.djl.tokenizer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import jinjava.javax.el.MethodNotFoundException;

/**
 * The Python string methods that Hugging Face chat templates call ({@code content.strip()}, {@code role.upper()},
 * ...), with Python's semantics. Templates get these instead of Java's methods.
 */
final class PyStrings {
    private PyStrings() {
    }

    /**
     * @param s the string the method is called on
     * @param method the Python method's name
     * @param args its arguments
     * @return what Python returns
     * @throws MethodNotFoundException if the method is not supported or gets the wrong arguments
     */
    static Object call(String s, String method, Object[] args) {
        int n = args == null ? 0 : args.length;
        switch (method) {
            case "strip":
                return n <= 1 ? rstrip(lstrip(s, chars(args, n)), chars(args, n)) : wrongArity(method);
            case "lstrip":
                return n <= 1 ? lstrip(s, chars(args, n)) : wrongArity(method);
            case "rstrip":
                return n <= 1 ? rstrip(s, chars(args, n)) : wrongArity(method);
            case "startswith":
                return n == 1 ? affix(s, args[0], true) : wrongArity(method);
            case "endswith":
                return n == 1 ? affix(s, args[0], false) : wrongArity(method);
            case "upper":
                return n == 0 ? s.toUpperCase(java.util.Locale.ROOT) : wrongArity(method);
            case "lower":
                return n == 0 ? s.toLowerCase(java.util.Locale.ROOT) : wrongArity(method);
            case "title":
                return n == 0 ? title(s) : wrongArity(method);
            case "capitalize":
                return n == 0 ? capitalize(s) : wrongArity(method);
            case "replace":
                return n == 2 ? replace(s, string(args[0], method), string(args[1], method)) : wrongArity(method);
            case "split":
                return n == 0 || n == 1 && args[0] == null ? splitWhitespace(s)
                        : n == 1 ? split(s, string(args[0], method)) : wrongArity(method);
            default:
                throw new MethodNotFoundException("chat templates may not call string method '" + method + "'");
        }
    }

    /** @return s without leading and trailing whitespace, as Python's {@code str.strip()} */
    static String strip(String s) {
        return rstrip(lstrip(s, null), null);
    }

    private static String chars(Object[] args, int n) {
        return n == 0 || args[0] == null ? null : string(args[0], "strip");
    }

    private static boolean stripped(String chars, int codePoint) {
        return chars == null ? isSpace(codePoint) : chars.indexOf(codePoint) >= 0;
    }

    /** Python's str.isspace() for one code point. */
    private static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x1C || c == 0x1D || c == 0x1E
                || c == 0x1F || c == 0x85;
    }

    private static String lstrip(String s, String chars) {
        int start = 0;
        while (start < s.length() && stripped(chars, s.codePointAt(start))) {
            start += Character.charCount(s.codePointAt(start));
        }
        return s.substring(start);
    }

    private static String rstrip(String s, String chars) {
        int end = s.length();
        while (end > 0 && stripped(chars, s.codePointBefore(end))) {
            end -= Character.charCount(s.codePointBefore(end));
        }
        return s.substring(0, end);
    }

    private static boolean affix(String s, Object arg, boolean prefix) {
        if (arg instanceof Collection<?>) {
            for (Object each : (Collection<?>) arg) {
                if (affix(s, each, prefix)) {
                    return true;
                }
            }
            return false;
        }
        String affix = string(arg, prefix ? "startswith" : "endswith");
        return prefix ? s.startsWith(affix) : s.endsWith(affix);
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            out.appendCodePoint(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
            previousCased = Character.isLetter(c);
            i += Character.charCount(c);
        }
        return out.toString();
    }

    private static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int first = s.codePointAt(0);
        return new StringBuilder().appendCodePoint(Character.toTitleCase(first))
                .append(s.substring(Character.charCount(first)).toLowerCase(java.util.Locale.ROOT)).toString();
    }

    /**
     * Python's replace, which (as Java's) puts the replacement between every two characters when {@code old} is
     * empty; refused before it is built when the result would be longer than
     * {@link JinjaChatTemplate#MAX_OUTPUT_CHARS}.
     */
    private static String replace(String s, String old, String replacement) {
        long times = 0;
        if (old.isEmpty()) {
            times = s.length() + 1L;
        } else {
            for (int at = s.indexOf(old); at >= 0; at = s.indexOf(old, at + old.length())) {
                times++;
            }
        }
        if (s.length() + times * (replacement.length() - old.length()) > JinjaChatTemplate.MAX_OUTPUT_CHARS) {
            throw new SandboxException("would build more than " + JinjaChatTemplate.MAX_OUTPUT_CHARS
                    + " characters in the string method 'replace'");
        }
        return s.replace(old, replacement);
    }

    private static List<String> splitWhitespace(String s) {
        List<String> parts = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            while (i < s.length() && isSpace(s.codePointAt(i))) {
                i += Character.charCount(s.codePointAt(i));
            }
            int start = i;
            while (i < s.length() && !isSpace(s.codePointAt(i))) {
                i += Character.charCount(s.codePointAt(i));
            }
            if (i > start) {
                parts.add(s.substring(start, i));
            }
        }
        return parts;
    }

    private static List<String> split(String s, String separator) {
        if (separator.isEmpty()) {
            throw new MethodNotFoundException("split: empty separator");
        }
        List<String> parts = new ArrayList<>();
        int start = 0;
        for (int at = s.indexOf(separator); at >= 0; at = s.indexOf(separator, start)) {
            parts.add(s.substring(start, at));
            start = at + separator.length();
        }
        parts.add(s.substring(start));
        return parts;
    }

    private static String string(Object arg, String method) {
        if (arg == null) {
            throw new MethodNotFoundException(method + ": argument must be a string, got none");
        }
        return arg.toString();
    }

    private static Object wrongArity(String method) {
        throw new MethodNotFoundException("string method '" + method + "' called with the wrong number of arguments");
    }
}
