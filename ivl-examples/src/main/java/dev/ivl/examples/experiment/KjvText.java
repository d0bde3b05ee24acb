package dev.ivl.examples.experiment;

import dev.ivl.core.InvalidInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Reads the King James Bible in the plain-text layout of the shared corpus: a heading line {@code Book N} after a
 * blank line opens chapter N, each verse starts on an indented line {@code "  7 text"}, and unindented lines continue
 * the verse before them.
 */
public final class KjvText {
    /** The classpath resource of the Genesis text shipped in ivl-test-fixtures (gzip). */
    public static final String SHIPPED_GENESIS = "/dev/ivl/fixtures/corpus/kjv-genesis.txt.gz";

    private static final Pattern HEADING = Pattern.compile("([1-3]? ?[A-Z][A-Za-z ]*[a-z]) (\\d+)");
    private static final Pattern VERSE = Pattern.compile("\\s+(\\d+) (.*)");

    private KjvText() {}

    /**
     * Reads a corpus file, plain or gzip-compressed ({@code .gz}).
     *
     * @param file the file
     * @return its verses, in order
     * @throws InvalidInputException naming the file if it is missing, unreadable or holds no verse
     */
    public static List<Verse> read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return parse(file.toString().endsWith(".gz") ? new GZIPInputStream(in) : in, file.toString());
        } catch (NoSuchFileException e) {
            throw new InvalidInputException("corpus " + file + ": no such file");
        } catch (IOException | UncheckedIOException e) {
            throw new InvalidInputException("corpus " + file + ": cannot be read: " + e.getMessage());
        }
    }

    /**
     * @return the verses of the Book of Genesis shipped with ivl-test-fixtures
     * @throws InvalidInputException if the resource is not on the class path
     */
    public static List<Verse> shippedGenesis() {
        try (InputStream in = KjvText.class.getResourceAsStream(SHIPPED_GENESIS)) {
            if (in == null) {
                throw new InvalidInputException("the corpus resource " + SHIPPED_GENESIS
                        + " is not on the class path (it ships in ivl-test-fixtures)");
            }
            return parse(new GZIPInputStream(in), SHIPPED_GENESIS);
        } catch (IOException e) {
            throw new InvalidInputException("corpus " + SHIPPED_GENESIS + ": cannot be read: " + e.getMessage());
        }
    }

    /**
     * @param in the text, UTF-8
     * @param name names the source in messages
     * @return the verses, in order
     * @throws InvalidInputException if the text holds no verse, or a verse comes before any heading
     * @throws IOException if reading fails
     */
    static List<Verse> parse(InputStream in, String name) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        List<Verse> verses = new ArrayList<>();
        String book = null;
        int chapter = 0;
        int number = 0;
        StringBuilder text = null;
        boolean previousBlank = true;
        int lineNumber = 0;
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            lineNumber++;
            Matcher heading = HEADING.matcher(line);
            Matcher verse = VERSE.matcher(line);
            if (line.isBlank()) {
                previousBlank = true;
                continue;
            }
            if (previousBlank && heading.matches()) {
                add(verses, book, chapter, number, text);
                text = null;
                book = heading.group(1);
                chapter = Integer.parseInt(heading.group(2));
            } else if (verse.matches()) {
                if (book == null) {
                    throw new InvalidInputException("corpus " + name + ": line " + lineNumber
                            + ": a verse before any \"Book N\" heading");
                }
                add(verses, book, chapter, number, text);
                number = Integer.parseInt(verse.group(1));
                text = new StringBuilder(verse.group(2).strip());
            } else if (text != null) {
                text.append(' ').append(line.strip());
            }
            previousBlank = false;
        }
        add(verses, book, chapter, number, text);
        if (verses.isEmpty()) {
            throw new InvalidInputException("corpus " + name + ": no verse found (expected \"Book N\" headings and"
                    + " indented \"  N text\" verse lines, as in the King James text)");
        }
        return verses;
    }

    private static void add(List<Verse> verses, String book, int chapter, int number, StringBuilder text) {
        if (text != null && !text.isEmpty()) {
            verses.add(new Verse(book, chapter, number, text.toString().replaceAll("\\s+", " ")));
        }
    }
}
