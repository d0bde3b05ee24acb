package dev.ivl.djl.train;

import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.IvlException;
import dev.ivl.djl.llama.IvlManifest;
import dev.ivl.djl.llama.LlamaConfig;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.weights.SafetensorsCheckpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The output folder of a training run, written by one run at a time and so that it appears whole or not at all.
 *
 * <p>A run keeps the file {@code <out>.ivl-lock} beside the folder locked from its start to its end, so that a
 * second run into the same folder is refused; the run deletes the file as it ends. It writes everything, its
 * checkpoint and loss log included, in the work folder {@code <out>.ivl-partial}, which holds
 * {@link LlamaModel#INCOMPLETE_MARKER} while it is written. When the model is complete the checkpoint is deleted,
 * a model already in {@code out} is moved aside to {@code <out>.ivl-replaced}, the marker is removed, the work
 * folder is renamed to {@code out} in one move, and the model moved aside is deleted. A run that fails leaves
 * {@code out} as it was and the work folder with its checkpoint, for a resumed run.
 *
 * <p>Nothing is moved or deleted that ivl did not write: {@code out} must be absent, an empty folder or a folder of
 * a model's files (a model is replaced only with {@code force}), and a work folder must hold the marker.
 */
final class OutputFolder implements AutoCloseable {
    /** The suffix of the work folder's name. */
    static final String WORK_SUFFIX = ".ivl-partial";
    /** The suffix of the lock file's name. */
    static final String LOCK_SUFFIX = ".ivl-lock";
    /** The suffix of the name a replaced model has between the two moves of {@link #commit()}. */
    static final String REPLACED_SUFFIX = ".ivl-replaced";
    /** The checkpoint's folder in the work folder. */
    static final String CHECKPOINT_DIR = "checkpoint";

    /**
     * The lock files this JVM holds. A second channel on one of them must not be opened: closing it would release
     * the first channel's lock too (POSIX locks belong to the process).
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    /** The files a model folder written by ivl (or Hugging Face's LlamaForCausalLM) holds. */
    private static final Set<String> MODEL_FILES = Stream.concat(Stream.of(LlamaConfig.FILE_NAME,
            SafetensorsCheckpoint.SINGLE_FILE, SafetensorsCheckpoint.INDEX_FILE, TrainLog.FILE_NAME),
            LlamaModel.COMPANION_FILES.stream()).collect(Collectors.toUnmodifiableSet());
    private static final Pattern SHARD = Pattern.compile("model-\\d+-of-\\d+\\.safetensors");

    private final Path out;
    private final Path work;
    private final Path replaced;
    private final Path lockFile;
    private final Lock lock;
    private final boolean force;

    /** A locked lock file: the channel that holds the lock, and the file's identity (device and inode). */
    private record Lock(FileChannel channel, Object fileKey) {}

    private OutputFolder(Path out, Path lockFile, Lock lock, boolean force) {
        this.out = out;
        this.work = sibling(out, WORK_SUFFIX);
        this.replaced = sibling(out, REPLACED_SUFFIX);
        this.lockFile = lockFile;
        this.lock = lock;
        this.force = force;
    }

    /**
     * Locks the output folder for this run and checks that the run may write it.
     *
     * @param out the folder the model goes to
     * @param force whether a model already in {@code out}, or an interrupted run's checkpoint, may be replaced
     * @param resume whether the run continues the checkpoint of an interrupted run, if there is one
     * @return the locked folder, which the caller closes
     * @throws IvlException if another run holds the lock, or {@code out} or its work folder cannot be written
     *     without destroying what ivl did not write, or without {@code force}
     */
    static OutputFolder open(Path out, boolean force, boolean resume) {
        Path dir = out.toAbsolutePath().normalize();
        if (dir.getFileName() == null) {
            throw new IllegalParameterException("out", out, "must name a folder");
        }
        try {
            Files.createDirectories(dir.getParent());
        } catch (IOException e) {
            throw new IvlException("cannot create " + dir.getParent() + ": " + e.getMessage(), e);
        }
        Path lockFile = sibling(dir, LOCK_SUFFIX);
        OutputFolder folder = new OutputFolder(dir, lockFile, acquire(lockFile, dir), force);
        try {
            folder.checkWork(resume);
            folder.checkOut();
            return folder;
        } catch (RuntimeException e) {
            folder.close();
            throw e;
        }
    }

    /** @return the folder everything is written in until {@link #commit()} */
    Path work() {
        return work;
    }

    /** @return the checkpoint's folder, in the work folder */
    Path checkpoint() {
        return work.resolve(CHECKPOINT_DIR);
    }

    /** @return whether the work folder holds the checkpoint of an interrupted run */
    boolean hasCheckpoint() {
        return Files.isRegularFile(checkpoint().resolve(RunState.FILE_NAME), LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Makes the work folder ready: a resumed run keeps it, a new run starts it afresh, holding the marker.
     *
     * @param resuming whether the run continues the checkpoint in the work folder
     */
    void begin(boolean resuming) {
        if (resuming) {
            return;
        }
        deleteTree(work);
        try {
            Files.createDirectories(work);
            Files.writeString(work.resolve(LlamaModel.INCOMPLETE_MARKER),
                    "ivl train is writing this folder; it is not a complete model\n");
        } catch (IOException e) {
            throw new IvlException("cannot create " + work + ": " + e.getMessage(), e);
        }
    }

    /**
     * Moves the complete model in the work folder into place, replacing the folder's earlier content. The folder
     * is checked again first: files put in it while the run trained are not deleted, nor a model put there
     * without {@code force}; the checkpoint is then kept for a resumed run.
     */
    void commit() {
        checkOut();
        deleteTree(checkpoint());
        deleteTree(work.resolve(CHECKPOINT_DIR + ".partial"));
        boolean replacing = Files.exists(out, LinkOption.NOFOLLOW_LINKS);
        if (replacing) {
            move(out, replaced);
        }
        Path marker = work.resolve(LlamaModel.INCOMPLETE_MARKER);
        try {
            Files.delete(marker);
            Files.move(work, out, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.writeString(marker, "ivl train could not move this folder to " + out + "\n");
                if (replacing) {
                    Files.move(replaced, out, StandardCopyOption.ATOMIC_MOVE);
                }
            } catch (IOException restoring) {
                e.addSuppressed(restoring);
            }
            throw new IvlException("cannot move " + work + " to " + out + ": " + e.getMessage(), e);
        }
        if (replacing) {
            deleteTree(replaced);
        }
    }

    /** Releases the lock and deletes the lock file. */
    @Override
    public void close() {
        try (FileChannel channel = lock.channel()) {
            if (lock.fileKey().equals(fileKey(lockFile))) { // not a file put in its place by hand
                Files.delete(lockFile); // while it is still locked: a run that opened it retries (see acquire)
            }
        } catch (IOException e) {
            throw new IvlException("cannot remove the lock " + lockFile + ": " + e.getMessage(), e);
        } finally {
            HELD.remove(lockFile);
        }
    }

    private void checkWork(boolean resume) {
        if (Files.exists(replaced, LinkOption.NOFOLLOW_LINKS)) {
            throw new IvlException(replaced + " holds the model an interrupted run was replacing in " + out
                    + "; move it back to " + out + " or delete it");
        }
        if (Files.exists(work, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isDirectory(work, LinkOption.NOFOLLOW_LINKS)
                    || !Files.exists(work.resolve(LlamaModel.INCOMPLETE_MARKER), LinkOption.NOFOLLOW_LINKS)) {
                throw new IvlException(work + " is in the way: it is not the folder of an unfinished run (it has"
                        + " no " + LlamaModel.INCOMPLETE_MARKER + "); move it away");
            }
            if (hasCheckpoint() && !resume && !force) {
                throw new IllegalParameterException("resume", work + " holds the checkpoint of an interrupted run;"
                        + " add --resume to continue it, or --force to start afresh");
            }
        }
    }

    private void checkOut() {
        if (!Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(out, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalParameterException("out", "--out " + out + " is "
                    + (Files.isSymbolicLink(out) ? "a symbolic link" : "not a folder") + "; give a folder's own path");
        }
        List<String> names;
        try (var entries = Files.list(out)) {
            names = entries.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new IvlException("cannot list " + out + ": " + e.getMessage(), e);
        }
        for (String name : names) {
            if (!MODEL_FILES.contains(name) && !SHARD.matcher(name).matches()) {
                throw new IllegalParameterException("out", "--out " + out + " holds " + name + ", which is not a"
                        + " model's file and would be deleted with the folder; choose a new or empty folder");
            }
        }
        if (!force && (names.contains(LlamaConfig.FILE_NAME) || names.contains(IvlManifest.FILE_NAME))) {
            throw new IllegalParameterException("out", "--out " + out + " holds a model; add --force to replace it");
        }
    }

    /**
     * Locks the lock file, refusing when another run holds it. A run that ends deletes the file while it still
     * holds the lock, so a lock got on a file that is no longer the one at the path is let go, and the file now
     * there locked instead. (The file is never opened a second time while locked: closing any channel on it would
     * release the lock, POSIX locks belonging to the process.)
     */
    private static Lock acquire(Path lockFile, Path out) {
        if (!HELD.add(lockFile)) {
            throw busy(out, String.valueOf(ProcessHandle.current().pid()));
        }
        try {
            Lock lock;
            do {
                lock = lockOnce(lockFile, out);
            } while (lock == null);
            return lock;
        } catch (IOException e) {
            HELD.remove(lockFile);
            throw new IvlException("cannot lock " + lockFile + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            HELD.remove(lockFile);
            throw e;
        }
    }

    /** @return the lock, or null if the file at the path changed while it was opened and locked */
    private static Lock lockOnce(Path lockFile, Path out) throws IOException {
        Object before = fileKey(lockFile);
        FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS);
        boolean keep = false;
        try {
            Object opened = fileKey(lockFile);
            if (opened == null || before != null && !before.equals(opened)) {
                return null;
            }
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) { // this JVM holds it, reached by another path
                throw busy(out, String.valueOf(ProcessHandle.current().pid()));
            }
            if (lock == null) {
                throw busy(out, holder(lockFile));
            }
            if (!opened.equals(fileKey(lockFile))) {
                return null;
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)),
                    0);
            keep = true;
            return new Lock(channel, opened);
        } finally {
            if (!keep) {
                channel.close();
            }
        }
    }

    /** @return the identity of the file at the path (its device and inode), or null if there is none */
    private static Object fileKey(Path file) throws IOException {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static IvlException busy(Path out, String pid) {
        return new IvlException("another training run" + (pid == null ? "" : " (process " + pid + ")")
                + " is writing " + out + "; wait for it to end, or choose another --out");
    }

    /** @return the process id the lock file names, or null */
    private static String holder(Path lockFile) {
        try {
            String pid = Files.readString(lockFile, StandardCharsets.UTF_8).strip();
            return pid.matches("\\d{1,19}") ? pid : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static void move(Path from, Path to) {
        if (Files.exists(to, LinkOption.NOFOLLOW_LINKS)) {
            throw new IvlException("cannot move " + from + " to " + to + ": " + to + " is in the way");
        }
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new IvlException("cannot move " + from + " to " + to + ": " + e.getMessage(), e);
        }
    }

    /** Deletes a folder and what it holds, without following links; nothing if it is absent. */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new IvlException("cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }

    private static Path sibling(Path dir, String suffix) {
        return dir.resolveSibling(dir.getFileName() + suffix);
    }
}
