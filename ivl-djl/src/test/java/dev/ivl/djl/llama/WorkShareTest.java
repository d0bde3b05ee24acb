package dev.ivl.djl.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * {@link WorkShare#linear} with other threads helping: the product equals one summed in double in Java whoever
 * computes which block, and no array outlives the call.
 */
class WorkShareTest {
    private static final double TOLERANCE = 1e-5; // float32 dot products of 40 terms in [-1, 1]

    @Test
    void sharedProductsEqualTheReferenceWithAndWithoutHelpersAndLeakNothing() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ExecutorService helpers = Executors.newFixedThreadPool(2);
            try {
                for (int blocks : new int[] {1, 2, 3}) {
                    for (int helping : new int[] {0, 1, 2}) {
                        // 1000 rows: blocks of 500 or 333/333/334; 100 rows: too few to split
                        for (int out : new int[] {1000, 100}) {
                            for (int rows : new int[] {1, 3}) { // a decode step; a prompt chunk
                                check(manager, helpers, blocks, helping, rows, out);
                            }
                        }
                    }
                }
            } finally {
                helpers.shutdown();
            }
        }
    }

    private static void check(NDManager manager, ExecutorService pool, int blocks, int helping, int rows, int out)
            throws Exception {
        int in = 40;
        SplittableRandom random = new SplittableRandom(blocks * 100L + helping * 10L + out + rows);
        float[] x = OpsTest.uniform(random, rows * in);
        float[] w = OpsTest.uniform(random, out * in);
        float[] expected = OpsTest.product(x, w, rows, in, out);
        try (NDManager scope = manager.newSubManager()) {
            NDArray xs = scope.create(x, new Shape(rows, in));
            NDArray ws = scope.create(w, new Shape(out, in));
            int before = ((BaseNDManager) scope).getManagedArrays().size();
            WorkShare share = new WorkShare(blocks);
            AtomicBoolean finished = new AtomicBoolean();
            Future<?>[] helpers = new Future<?>[helping];
            for (int i = 0; i < helping; i++) {
                helpers[i] = pool.submit(() -> share.help(finished::get));
            }
            float[] y;
            try {
                share.join();
                for (int repeat = 0; repeat < 20; repeat++) { // many products, so that helpers take some blocks
                    try (NDArray product = Ops.linear(xs, ws)) {
                        String what = blocks + " blocks, " + helping + " helpers, " + rows + "×" + out;
                        assertEquals(new Shape(rows, out), product.getShape(), what);
                        assertArrayEquals(expected, product.toFloatArray(), (float) TOLERANCE, what);
                    }
                }
            } finally {
                WorkShare.leave();
                finished.set(true);
                for (Future<?> h : helpers) {
                    h.get();
                }
            }
            assertEquals(before, ((BaseNDManager) scope).getManagedArrays().size(), "arrays left behind");
        }
    }

    @Test
    void aFailingBlockFailsTheProductOnTheCallingThread() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.ones(new Shape(1, 8));
            NDArray w = manager.ones(new Shape(1024, 9)); // inner dimensions disagree
            WorkShare share = new WorkShare(2);
            share.join();
            try {
                assertThrows(RuntimeException.class, () -> Ops.linear(x, w));
            } finally {
                WorkShare.leave();
            }
            assertArrayEquals(new float[] {8f}, x.sum(new int[] {1}).toFloatArray());
        }
    }
}
