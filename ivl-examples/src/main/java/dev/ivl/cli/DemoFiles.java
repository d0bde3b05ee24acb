package dev.ivl.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.ivl.core.InvalidInputException;
import dev.ivl.core.IvlException;
import dev.ivl.core.ModelFormatException;
import dev.ivl.djl.internal.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * The files of {@code ivl demo}: a folder with {@code base/} (the large base model), {@code value/} (the value
 * model, trained next to a small base) and {@code prompts.jsonl}. The shipped one is the classpath resource folder
 * {@value #RESOURCE} of the ivl-test-fixtures jar; since models load from folders, it is extracted once into a cache
 * folder named after the jar entries' sizes and CRC-32s, and reused while every file there still has its entry's
 * size and CRC-32. Run from a build where the resources are plain files, the folder is used in place.
 */
final class DemoFiles {
    /** The classpath folder of the shipped demo. */
    static final String RESOURCE = "dev/ivl/fixtures/demo/";
    /** The prompts file inside a demo folder. */
    static final String PROMPTS = "prompts.jsonl";

    /**
     * One demo request.
     *
     * @param prompt the user's request, not chat-formatted
     * @param reference the expected answer, or null
     */
    record Prompt(String prompt, String reference) {}

    /** A file of a shipped folder: its path relative to the folder, size and CRC-32. */
    private record Entry(JarEntry jar, String relative, long size, long crc) {}

    private DemoFiles() {}

    /**
     * @return {@code $XDG_CACHE_HOME/ivl/demo}, or {@code ~/.cache/ivl/demo} when that variable is not set
     */
    static Path defaultCache() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path root = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return root.resolve("ivl").resolve("demo");
    }

    /**
     * Finds the shipped demo folder.
     *
     * @param loader the class loader whose class path holds {@value #RESOURCE}
     * @param cache where a demo inside a jar is extracted
     * @return a folder holding the demo files
     * @throws InvalidInputException if the class path has no demo
     * @throws IvlException if it cannot be extracted
     */
    static Path shipped(ClassLoader loader, Path cache) {
        Path dir = shippedFolder(loader, RESOURCE, PROMPTS, cache);
        if (dir == null) {
            throw new InvalidInputException("the demo checkpoints are not on the class path (no " + RESOURCE + PROMPTS
                    + " in ivl-test-fixtures): give a demo folder with --dir DIR");
        }
        return dir;
    }

    /**
     * Finds a shipped resource folder as files: in place when the class path holds it as files, else extracted
     * from its jar once into {@code cache} (see the class comment).
     *
     * @param loader the class loader whose class path holds the folder
     * @param resource the classpath folder, ending with {@code /}
     * @param marker a file that the folder holds
     * @param cache where a folder inside a jar is extracted
     * @return the folder, or null when the class path has no {@code resource + marker}
     * @throws InvalidInputException if the folder is neither files nor in a jar
     * @throws IvlException if it cannot be extracted
     */
    static Path shippedFolder(ClassLoader loader, String resource, String marker, Path cache) {
        URL url = loader.getResource(resource + marker);
        if (url == null) {
            return null;
        }
        try {
            return switch (url.getProtocol()) {
                case "file" -> Path.of(url.toURI()).getParent();
                case "jar" -> extract(url, resource, cache);
                default -> throw new InvalidInputException("the files at " + url + " are neither files nor in a jar");
            };
        } catch (URISyntaxException e) {
            throw new InvalidInputException("the files at " + url + " have no file path");
        }
    }

    /**
     * Checks that a folder has the demo's parts (the model files themselves are checked when they load).
     *
     * @param dir the folder
     * @return {@code dir}
     * @throws ModelFormatException naming the missing folder or file
     */
    static Path check(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir, "no such demo folder (it needs base/, value/ and " + PROMPTS + ")");
        }
        for (String model : List.of("base", "value")) {
            if (!Files.isDirectory(dir.resolve(model))) {
                throw new ModelFormatException(dir.resolve(model), "missing: a demo folder holds the " + model
                        + " model in " + model + "/");
            }
        }
        if (!Files.isRegularFile(dir.resolve(PROMPTS))) {
            throw new ModelFormatException(dir.resolve(PROMPTS), "missing: a demo folder holds its requests in "
                    + PROMPTS);
        }
        return dir;
    }

    /**
     * Reads the requests: one JSON object per non-blank line, {@code {"prompt": "...", "reference": "..."}} with an
     * optional reference.
     *
     * @param file the prompts file
     * @return the requests, at least one
     * @throws ModelFormatException naming the file and line if it cannot be read, a line is not such an object, or
     *     it has no request
     */
    static List<Prompt> readPrompts(Path file) {
        List<Prompt> prompts = new ArrayList<>();
        int lineNumber = 0;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(Files.newInputStream(file),
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lineNumber++;
                if (lineNumber == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1); // a UTF-8 byte order mark
                }
                if (!line.isBlank()) {
                    prompts.add(parse(file, lineNumber, line));
                }
            }
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file, "missing: a demo folder holds its requests in " + PROMPTS);
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(file, "line " + (lineNumber + 1) + ": not valid UTF-8", e);
        } catch (IOException e) {
            throw new ModelFormatException(file, "cannot be read: " + e, e);
        }
        if (prompts.isEmpty()) {
            throw new ModelFormatException(file, "has no request (one {\"prompt\": ...} object per line)");
        }
        return prompts;
    }

    private static Prompt parse(Path file, int lineNumber, String line) {
        JsonElement json = Json.parse(file, "line " + lineNumber, new StringReader(line));
        if (!json.isJsonObject()) {
            throw new ModelFormatException(file, "line " + lineNumber + ": not a JSON object");
        }
        JsonObject o = json.getAsJsonObject();
        String prompt = string(file, lineNumber, o, "prompt");
        if (prompt == null || prompt.isBlank()) {
            throw new ModelFormatException(file, "line " + lineNumber + ": needs a non-empty string \"prompt\"");
        }
        return new Prompt(prompt, string(file, lineNumber, o, "reference"));
    }

    private static String string(Path file, int lineNumber, JsonObject o, String field) {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new ModelFormatException(file, "line " + lineNumber + ": \"" + field + "\" must be a string");
        }
        return e.getAsString();
    }

    /** Extracts the resource folder of the jar holding {@code marker}, or finds its complete earlier extraction. */
    private static Path extract(URL marker, String resource, Path cache) {
        try {
            JarURLConnection connection = (JarURLConnection) marker.openConnection();
            connection.setUseCaches(false); // a JarFile of our own, closed here
            try (JarFile jar = connection.getJarFile()) {
                List<Entry> entries = entries(jar, resource);
                Path target = cache.resolve(key(entries));
                if (Files.isDirectory(target) && complete(target, entries)) {
                    return target;
                }
                return extractInto(jar, entries, cache, target);
            }
        } catch (IOException e) {
            throw new IvlException("cannot read the files in " + marker + ": " + e, e);
        }
    }

    private static List<Entry> entries(JarFile jar, String resource) {
        List<Entry> entries = new ArrayList<>();
        for (JarEntry e : jar.stream().toList()) {
            if (e.isDirectory() || !e.getName().startsWith(resource)) {
                continue;
            }
            String relative = e.getName().substring(resource.length());
            if (relative.isEmpty() || Path.of(relative).normalize().startsWith("..") || relative.startsWith("/")) {
                throw new IvlException(jar.getName() + ": entry " + e.getName() + " leaves the folder " + resource);
            }
            entries.add(new Entry(e, relative, e.getSize(), e.getCrc()));
        }
        entries.sort(Comparator.comparing(Entry::relative));
        return entries;
    }

    /** @return 16 hex digits of SHA-256 over the entries' names, sizes and CRC-32s */
    private static String key(List<Entry> entries) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Entry e : entries) {
                String line = e.relative() + "\t" + e.size() + "\t" + e.crc() + "\n";
                digest.update(line.getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(digest.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** @return whether every entry is in {@code dir} with its size and CRC-32 */
    private static boolean complete(Path dir, List<Entry> entries) throws IOException {
        for (Entry e : entries) {
            Path file = dir.resolve(e.relative());
            if (!Files.isRegularFile(file) || Files.size(file) != e.size() || crc(file) != e.crc()) {
                return false;
            }
        }
        return true;
    }

    private static long crc(Path file) throws IOException {
        CRC32 crc = new CRC32();
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                crc.update(buffer, 0, n);
            }
        }
        return crc.getValue();
    }

    /**
     * Writes the entries under a temporary name in {@code cache}, checks them, and renames the folder to
     * {@code target}; an incomplete {@code target} is moved aside and deleted first. When another process
     * completes {@code target} first, its copy is used.
     */
    private static Path extractInto(JarFile jar, List<Entry> entries, Path cache, Path target) {
        String name = target.getFileName().toString();
        Path partial;
        try {
            Files.createDirectories(cache);
            partial = Files.createTempDirectory(cache, "." + name + ".partial-");
        } catch (IOException e) {
            throw new IvlException(cache + ": cannot create a folder for the extracted files: " + e, e);
        }
        try {
            for (Entry e : entries) {
                Path file = partial.resolve(e.relative());
                Files.createDirectories(file.getParent());
                try (InputStream in = jar.getInputStream(e.jar()); OutputStream out = Files.newOutputStream(file)) {
                    in.transferTo(out);
                }
            }
            if (!complete(partial, entries)) {
                throw new IvlException(jar.getName() + ": the files extracted to " + partial
                        + " do not have the sizes and CRC-32s the jar lists");
            }
            if (Files.exists(target)) { // incomplete or altered: never used, replaced
                try {
                    deleteTree(Files.move(target, cache.resolve("." + name + ".stale-" + System.nanoTime())));
                } catch (NoSuchFileException e) {
                    // another process moved it aside first
                }
            }
            moveIntoPlace(partial, target, entries);
            return target;
        } catch (IOException | UncheckedIOException e) {
            deleteQuietly(partial, e);
            throw new IvlException(target + ": cannot extract the files: " + e, e);
        } catch (RuntimeException e) {
            deleteQuietly(partial, e);
            throw e;
        }
    }

    private static void moveIntoPlace(Path partial, Path target, List<Entry> entries) throws IOException {
        try {
            try {
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, target);
            }
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            deleteTree(partial); // another process moved its copy into place first: use it
            if (!complete(target, entries)) {
                throw new IvlException(target + ": another process left incomplete files there; delete it", e);
            }
        }
    }

    private static void deleteQuietly(Path dir, Exception cause) {
        try {
            deleteTree(dir);
        } catch (IOException | UncheckedIOException e) {
            cause.addSuppressed(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
