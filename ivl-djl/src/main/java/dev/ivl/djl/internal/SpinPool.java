package dev.ivl.djl.internal;

import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Daemon threads that each run one part of a parallel loop and, between loops, spin for a short while before they
 * sleep. A decode step runs about a hundred products a few hundred microseconds apart; waking a sleeping thread for
 * each costs tens of microseconds, a spinning one answers at once. The caller runs part 0 itself. The products of
 * ivl's Java kernels (int8 and few-row float32) share {@link #shared one pool}: loops from several threads take turns.
 */
public final class SpinPool {
    /** Workers for every core but the caller's. */
    private static final SpinPool SHARED = new SpinPool(Math.max(0, Runtime.getRuntime().availableProcessors() - 1));

    /** How long a worker spins for the next part before it parks. */
    private static final long SPIN_NANOS = 300_000;

    private final Worker[] workers;

    /** @param size the worker threads (the caller is not counted) */
    private SpinPool(int size) {
        workers = new Worker[size];
        for (int i = 0; i < size; i++) {
            workers[i] = new Worker(i);
            workers[i].start();
        }
    }

    /** @return the pool the kernels share: a worker for every core but the caller's */
    public static SpinPool shared() {
        return SHARED;
    }

    /** @return the parts one loop can run at once: the workers and the caller */
    public int parallelism() {
        return workers.length + 1;
    }

    /** The rows of a product one range must hold at least for the product to be split. */
    private static final int MIN_ROWS_PER_RANGE = 64;

    /** The body of a loop over a range of rows. */
    @FunctionalInterface
    public interface RowRange {
        /**
         * @param from the first row
         * @param to one past the last
         */
        void run(int from, int to);
    }

    /**
     * Cuts the rows {@code [0, rows)} of a product into up to {@code threads} ranges of at least 64 rows, each a
     * whole number of {@code block}s but the last, and runs them at once ({@link #run}); a single range runs on the
     * calling thread alone.
     *
     * @param rows the rows
     * @param block the rows a range's start is a multiple of (a kernel's tile height)
     * @param threads the threads granted, the caller's among them
     * @param body the work of one range
     */
    public void forRanges(int rows, int block, int threads, RowRange body) {
        int n = Math.max(1, Math.min(Math.min(threads, parallelism()), rows / MIN_ROWS_PER_RANGE));
        if (n == 1) {
            body.run(0, rows);
            return;
        }
        int blocks = rows / block;
        run(n, i -> body.run((int) ((long) blocks * i / n) * block,
                i == n - 1 ? rows : (int) ((long) blocks * (i + 1) / n) * block));
    }

    /**
     * Runs {@code body(i)} for every {@code i} in {@code [0, parts)}, part 0 on the calling thread; returns when
     * every part is done. One loop at a time: a loop from another thread waits for this one to end.
     *
     * @param parts at most {@link #parallelism()}
     * @param body the loop body
     * @throws RuntimeException the first failure of a part, after every part has ended
     */
    public synchronized void run(int parts, IntConsumer body) {
        for (int i = 1; i < parts; i++) {
            workers[i - 1].post(body, i);
        }
        Throwable failure = null;
        try {
            body.accept(0);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (int i = 1; i < parts; i++) {
            Throwable t = workers[i - 1].await();
            failure = failure == null ? t : failure;
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }

    private static final class Worker extends Thread {
        private volatile IntConsumer job; // set by the caller, cleared by the worker when done
        private volatile int part;
        private volatile Throwable failure;

        Worker(int index) {
            super("ivl-kernel-" + index);
            setDaemon(true);
        }

        void post(IntConsumer body, int index) {
            failure = null;
            part = index;
            job = body; // volatile write after part: the worker that reads job sees part
            LockSupport.unpark(this);
        }

        Throwable await() {
            long start = System.nanoTime();
            while (job != null) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
            return failure;
        }

        @Override
        public void run() {
            while (true) {
                IntConsumer body = next();
                try {
                    body.accept(part);
                } catch (Throwable t) {
                    failure = t;
                }
                job = null; // volatile write: the caller that sees null sees the part's results
            }
        }

        private IntConsumer next() {
            long start = System.nanoTime();
            IntConsumer body;
            while ((body = job) == null) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            return body;
        }
    }
}
