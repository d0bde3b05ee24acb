package dev.ivl.djl.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.jni.JniUtils;
import dev.ivl.core.internal.ConcurrentSteps;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * Lets the threads of one combined decoding step share the work of their matrix products. A thread that
 * computes {@code x @ wᵀ} publishes all but the first of {@code blocks} row blocks of {@code w}, computes
 * the first, then takes back every block no other thread has claimed; threads with nothing of their own to do
 * ({@link #help}) claim published blocks. So while the models all run, each thread works alone on its own model,
 * and a model that finishes early lends its thread to the others instead of idling. Each output is the same dot
 * product either way, though the engine may sum a block's in another order than the whole product's.
 *
 * <p>Every thread that joins the share runs the engine with one intra-op thread: the share is the parallelism.
 */
final class WorkShare {
    private static final ThreadLocal<WorkShare> CURRENT = new ThreadLocal<>();
    /** Rows below which a block is not worth a hand-over. */
    private static final long MIN_BLOCK_ROWS = 256;

    private final int blocks;
    private final ConcurrentLinkedQueue<Block> published = new ConcurrentLinkedQueue<>();

    /** @param blocks the row blocks each product is cut into: the number of threads sharing the work */
    WorkShare(int blocks) {
        this.blocks = blocks;
    }

    /** @return the share the current thread takes part in, or null */
    static WorkShare current() {
        return CURRENT.get();
    }

    /**
     * @return the threads Java products on the current thread may use: one within a share (the share is the
     *     parallelism), else the engine's intra-op threads
     */
    static int productThreads() {
        return current() != null ? 1 : JniUtils.getNumThreads();
    }

    /** Makes the current thread's single-row products go through this share until {@link #leave}. */
    void join() {
        CURRENT.set(this);
    }

    /** Ends {@link #join}. */
    static void leave() {
        CURRENT.remove();
    }

    /**
     * {@code x @ wᵀ} for {@code x} {@code [rows, in]} and {@code w} {@code [out, in]}.
     *
     * @return {@code [rows, out]}
     */
    NDArray linear(NDArray x, NDArray w) {
        long out = w.getShape().get(0);
        int n = (int) Math.min(blocks, out / MIN_BLOCK_ROWS);
        if (n < 2) {
            return Block.product(x, w);
        }
        Block[] parts = new Block[n];
        for (int i = 0; i < n; i++) {
            parts[i] = new Block(x, w, out * i / n, out * (i + 1) / n);
            if (i > 0) {
                published.add(parts[i]);
            }
        }
        NDList results = new NDList(n);
        try {
            for (Block b : parts) { // ours first; then whatever nobody took, in order
                if (b.claim()) {
                    b.run();
                }
            }
            for (Block b : parts) {
                results.add(b.await());
            }
            return NDArrays.concat(results, 1); //  [rows, out / n] × n → [rows, out]
        } finally {
            for (Block b : parts) { // after a failure too: no other thread may still be reading x when it is freed
                b.settle();
            }
        }
    }

    /**
     * Runs blocks other threads publish until {@code finished} holds. Spins between blocks: a step's products come
     * fractions of a millisecond apart.
     *
     * @param finished whether the step is over
     */
    void help(BooleanSupplier finished) {
        int idle = 0;
        while (!finished.getAsBoolean()) {
            Block b = published.poll();
            if (b != null && b.claim()) {
                b.run();
                idle = 0;
            } else if (++idle % 256 == 0) {
                Thread.yield(); // with more threads than cores, let the ones with work run
            } else {
                Thread.onSpinWait();
            }
        }
    }

    /** Rows {@code [from, to)} of one product. */
    private static final class Block {
        private final NDArray x;
        private final NDArray w;
        private final long from;
        private final long to;
        private final AtomicBoolean claimed = new AtomicBoolean();
        private volatile boolean done;
        private NDArray result;
        private Throwable failure;

        Block(NDArray x, NDArray w, long from, long to) {
            this.x = x;
            this.w = w;
            this.from = from;
            this.to = to;
        }

        boolean claim() {
            return claimed.compareAndSet(false, true);
        }

        void run() {
            try (NDArray rows = w.get(new NDIndex().addSliceDim(from, to))) { // a view of w
                result = product(x, rows);
            } catch (Throwable t) {
                failure = t;
            } finally {
                done = true;
            }
        }

        /** Waits for whichever thread claimed the block, spinning: blocks take well under a millisecond. */
        NDArray await() {
            waitUntilDone();
            if (failure != null) {
                ConcurrentSteps.rethrow(failure);
            }
            return result;
        }

        /**
         * Makes sure no thread runs or will run the block, then frees its result (made on whichever thread ran it,
         * outside the owner's scope).
         */
        void settle() {
            if (claim()) {
                done = true; // nobody took it: nobody will
            }
            waitUntilDone();
            if (result != null) {
                result.close();
            }
        }

        private void waitUntilDone() {
            for (int spins = 1; !done; spins++) {
                if (spins % 256 == 0) {
                    Thread.yield(); // the thread computing it may be waiting for this core
                } else {
                    Thread.onSpinWait();
                }
            }
        }

        static NDArray product(NDArray x, NDArray w) {
            return x.getNDArrayInternal().linear(x, w, null).singletonOrThrow();
        }
    }
}
