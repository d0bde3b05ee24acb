package dev.ivl.djl.internal;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files that appear whole or not at all: the content is written to a new temporary file of our own beside the
 * destination and renamed over it. A destination that exists and is not a regular file (a folder, a link, a FIFO, a
 * device) is never replaced. Not API.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes the content of a file, given the temporary path to write it to. */
    @FunctionalInterface
    public interface Content {
        /**
         * @param temporary an empty new file
         * @throws IOException if it cannot be written
         */
        void writeTo(Path temporary) throws IOException;
    }

    /**
     * @param file the destination; its folder is created if needed
     * @param content writes the file's bytes
     * @throws IOException if the file cannot be written, or the destination is not a regular file (nothing is left
     *     behind either way)
     */
    public static void write(Path file, Content content) throws IOException {
        Path absolute = file.toAbsolutePath();
        if (Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)
                && !Files.isRegularFile(absolute, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("exists and is not a regular file; refusing to replace it");
        }
        Files.createDirectories(absolute.getParent());
        Path temporary = Files.createTempFile(absolute.getParent(), absolute.getFileName() + ".", ".partial");
        try {
            content.writeTo(temporary);
            keepPermissions(absolute, temporary);
            try {
                Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Gives the temporary file (created owner-only) the permissions of the file it replaces, or rw-r--r-- for a new
     * one, as a file written in place would have had.
     */
    private static void keepPermissions(Path destination, Path temporary) throws IOException {
        if (!Files.getFileStore(temporary).supportsFileAttributeView(PosixFileAttributeView.class)) {
            return;
        }
        Set<PosixFilePermission> permissions = Files.exists(destination)
                ? Files.getPosixFilePermissions(destination) : PosixFilePermissions.fromString("rw-r--r--");
        Files.setPosixFilePermissions(temporary, permissions);
    }
}
