package dev.ivl.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * {@link ConcurrentSteps#awaitAll}: results in order, every step awaited, the first failure rethrown; {@link
 * ConcurrentSteps#awaitAfter}: this thread's failure first.
 */
class ConcurrentStepsTest {
    @Test
    void returnsTheResultsInOrder() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<Integer>> steps = List.of(pool.submit(() -> 1), pool.submit(() -> 2), pool.submit(() -> 3));
            assertEquals(List.of(1, 2, 3), ConcurrentSteps.awaitAll(steps));
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void waitsForEveryStepAfterAFailureAndRethrowsTheFirst() {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            IllegalArgumentException first = new IllegalArgumentException("first");
            AtomicBoolean slowFinished = new AtomicBoolean();
            List<Future<Object>> steps = List.of(
                    pool.submit(() -> {
                        throw first;
                    }),
                    pool.submit(() -> {
                        Thread.sleep(200); // still running when the failure is seen
                        slowFinished.set(true);
                        return null;
                    }),
                    pool.submit(() -> {
                        throw new IllegalStateException("second");
                    }));
            assertSame(first, assertThrows(IllegalArgumentException.class, () -> ConcurrentSteps.awaitAll(steps)));
            assertTrue(slowFinished.get(), "returned before every step had ended");
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void anInterruptDoesNotCutTheWaitShortAndIsReasserted() {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            CountDownLatch release = new CountDownLatch(1);
            Future<String> step = pool.submit(() -> {
                release.await();
                return "done";
            });
            timer.schedule(release::countDown, 100, TimeUnit.MILLISECONDS); // after the wait has begun
            Thread.currentThread().interrupt();
            assertEquals(List.of("done"), ConcurrentSteps.awaitAll(List.of(step)));
            assertTrue(Thread.interrupted(), "the interrupt is kept");
        } finally {
            pool.shutdown();
            timer.shutdown();
        }
    }

    @Test
    void awaitAfterRunsThisThreadsShareWaitsForTheOthersAndPrefersThisThreadsFailure() {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            AtomicBoolean ran = new AtomicBoolean();
            assertEquals(List.of(2), ConcurrentSteps.awaitAfter(() -> ran.set(true), List.of(pool.submit(() -> 2))));
            assertTrue(ran.get());
            IllegalStateException here = new IllegalStateException("here");
            IllegalArgumentException there = new IllegalArgumentException("there");
            AtomicBoolean slowFinished = new AtomicBoolean();
            List<Future<Object>> others = List.of(pool.submit(() -> {
                Thread.sleep(100);
                slowFinished.set(true);
                throw there;
            }));
            assertSame(here, assertThrows(IllegalStateException.class, () -> ConcurrentSteps.awaitAfter(() -> {
                throw here;
            }, others)));
            assertTrue(slowFinished.get(), "the other thread's step was awaited after this thread failed");
            assertSame(there, assertThrows(IllegalArgumentException.class,
                    () -> ConcurrentSteps.awaitAfter(() -> { }, List.of(pool.submit(() -> {
                        throw there;
                    })))));
        } finally {
            pool.shutdown();
        }
    }
}
