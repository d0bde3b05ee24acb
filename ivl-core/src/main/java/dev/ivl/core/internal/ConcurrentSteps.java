package dev.ivl.core.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * Waiting for forward passes that run on other threads, for models that step several sessions at once
 * ({@code CombinedModel} and engine-specific combinations). Not API: it may change in any release.
 */
public final class ConcurrentSteps {
    private ConcurrentSteps() {}

    /**
     * Waits for every step, even after one has failed and even when interrupted (a step in flight must finish: its
     * session is not safe to touch until then; the interrupt is re-asserted afterwards), then rethrows the first
     * failure in list order.
     *
     * @param steps the pending steps
     * @param <T> what a step returns
     * @return their results, in order
     * @throws RuntimeException the first step's failure, as thrown ({@link Error}s too; a checked exception wrapped
     *     in an {@link IllegalStateException})
     */
    public static <T> List<T> awaitAll(List<? extends Future<? extends T>> steps) {
        List<T> results = new ArrayList<>(steps.size());
        Throwable failure = null;
        boolean interrupted = false;
        for (Future<? extends T> step : steps) {
            while (true) {
                try {
                    results.add(step.get());
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    failure = failure == null ? e.getCause() : failure;
                    results.add(null);
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            rethrow(failure);
        }
        return results;
    }

    /**
     * Runs this thread's share of a step while other threads run theirs, then waits for all of them ({@link #awaitAll},
     * even after a failure here: their sessions are not safe to touch before they end).
     *
     * @param here the calling thread's work
     * @param others the steps already handed to other threads
     * @param <T> what another thread's step returns
     * @return their results, in order
     * @throws RuntimeException the calling thread's failure if there was one, else the first other step's
     */
    public static <T> List<T> awaitAfter(Runnable here, List<? extends Future<? extends T>> others) {
        RuntimeException failure = null;
        try {
            here.run();
        } catch (RuntimeException e) {
            failure = e;
        }
        List<T> results;
        try {
            results = awaitAll(others);
        } catch (RuntimeException e) {
            throw failure != null ? failure : e;
        }
        if (failure != null) {
            throw failure;
        }
        return results;
    }

    /**
     * Throws what another thread's work threw, as it was when unchecked, wrapped in an IllegalStateException when
     * checked.
     *
     * @param failure the failure, not null
     */
    public static void rethrow(Throwable failure) {
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(failure);
    }
}
