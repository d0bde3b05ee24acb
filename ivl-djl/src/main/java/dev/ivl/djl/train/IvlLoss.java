package dev.ivl.djl.train;

import dev.ivl.core.model.Scheme;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.ivl.djl.llama.CascadeInput;
import dev.ivl.djl.llama.LlamaModel;
import dev.ivl.djl.train.data.PackedBatch;
import dev.ivl.core.IvlException;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * The inverse-value-learning objective on one packed row, with its backward pass:
 * {@code CE(stop_gradient(z_base) + z_delta, labels) + λ·mean|z_delta|}, both terms taken over the label rows only
 * (the L1 mean also over the vocabulary). Without a base it is the plain causal-LM cross-entropy. Rows of one
 * optimizer step are weighted so that the step's gradient is that of the mean over all its labels.
 */
final class IvlLoss {
    private IvlLoss() {}

    /**
     * The loss terms of one row, as sums over its labels.
     *
     * @param nllSum Σ −log p(label)
     * @param absDeltaSum Σ |z_delta| over label rows and vocabulary (0 without a base)
     * @param labels label count
     * @param tokens tokens fed
     */
    record Sums(double nllSum, double absDeltaSum, int labels, int tokens) {}

    /**
     * Forward and backward of one row; gradients accumulate in the value model's parameters.
     *
     * @param value the trained model (its parameters require gradients)
     * @param base the frozen base, or null for causal-LM training
     * @param batch the packed row
     * @param lambda λ
     * @param stepLabels labels in the whole optimizer step: the row's sums are divided by it
     * @param collector the active gradient collector
     * @param manager where the row's inputs are created (the value model's device)
     * @return the row's sums
     */
    static Sums backward(LlamaModel value, LlamaModel base, Scheme scheme, PackedBatch batch, double lambda,
            int stepLabels, GradientCollector collector, NDManager manager, ExecutorService baseWorker) {
        try (NDScope scope = new NDScope()) {
            Loss loss = compute(value, base, scheme, batch, lambda, stepLabels, manager, baseWorker);
            collector.backward(loss.value());
            return loss.sums();
        }
    }

    /** The loss of a row, as an array (in the graph when parameters require gradients), and its sums. */
    record Loss(NDArray value, Sums sums) {}

    /**
     * Forward only: the row's contribution to the step's loss, {@code (Σ nll + λ·Σ|z_delta|/V) / stepLabels}.
     * Create it inside a scope that the caller closes. With a {@code baseWorker}, the base's forward pass runs on it
     * while the value model's runs on the calling thread (the value model never needs the base's output).
     */
    static Loss compute(LlamaModel value, LlamaModel base, Scheme scheme, PackedBatch batch, double lambda,
            int stepLabels, NDManager manager, ExecutorService baseWorker) {
        int vocab = value.vocabSize();
        NDArray ids = longs(manager, batch.tokens());
        NDArray positions = longs(manager, batch.positions());
        NDArray rows = longs(manager, batch.targetRows());
        NDArray labels = longs(manager, batch.targetIds()).reshape(batch.targetCount(), 1);
        int maxPosition = Arrays.stream(batch.positions()).max().orElse(0);
        NDArray mask = packedMask(manager, batch.segments());
        if (scheme == Scheme.CASCADE || scheme == Scheme.CASCADE_NO_TEXT) {
            // the value model's input needs the base's distribution at every row: h0 = softmax(z_base)·W_e (+ embed)
            long[] all = new long[batch.length()];
            for (int i = 0; i < all.length; i++) {
                all[i] = i;
            }
            NDArray zBaseAll = base.forwardPacked(ids, positions, maxPosition, mask, manager.create(all));
            CascadeInput cascade = new CascadeInput(zBaseAll.softmax(1), scheme == Scheme.CASCADE);
            NDArray zDelta = value.forwardPacked(ids, positions, maxPosition, mask, rows, cascade);
            return loss(zBaseAll.get(rows).add(zDelta), zDelta, labels, lambda, stepLabels, vocab, batch);
        }
        // the base's weights require no gradient: its logits enter as constants (stop_gradient)
        Callable<NDArray> baseLogits = () -> base.forwardPacked(ids, positions, maxPosition, mask, rows);
        Future<NDArray> pendingBase = base == null || baseWorker == null ? null : baseWorker.submit(() -> {
            try (NDScope workerScope = new NDScope()) { // the worker's temporaries; the logits are handed over
                NDArray z = baseLogits.call();
                NDScope.unregister(z);
                return z;
            }
        });
        NDArray zDelta = value.forwardPacked(ids, positions, maxPosition, mask, rows); // [R, V]
        NDArray zPost = zDelta;
        if (base != null) {
            NDArray zBase = pendingBase == null ? call(baseLogits) : await(pendingBase);
            zPost = zBase.add(zDelta);
        }
        return loss(zPost, base == null ? null : zDelta, labels, lambda, stepLabels, vocab, batch);
    }

    /** CE over the label rows plus λ·Σ|z_delta|/V, both divided by the step's label count. */
    private static Loss loss(NDArray zPost, NDArray zDelta, NDArray labels, double lambda, int stepLabels, int vocab,
            PackedBatch batch) {
        NDArray nll = zPost.logSoftmax(1).gather(labels, 1).sum().neg(); //       Σ −log softmax(z_post)[label]
        NDArray loss = nll.div((float) stepLabels);
        NDArray absDelta = null;
        if (zDelta != null) {
            absDelta = zDelta.abs().sum(); //                                     Σ |z_delta|
            if (lambda > 0) {
                loss = loss.add(absDelta.mul((float) (lambda / ((double) stepLabels * vocab))));
            }
        }
        return new Loss(loss, new Sums(nll.getFloat(), absDelta == null ? 0 : absDelta.getFloat(),
                batch.targetCount(), batch.length()));
    }

    private static NDArray await(Future<NDArray> pending) {
        try {
            NDArray z = pending.get();
            NDScope.register(z); // now owned by the caller's scope
            return z;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IvlException("interrupted while the base model ran", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IvlException("base model failed", e.getCause());
        }
    }

    private static NDArray call(Callable<NDArray> c) {
        try {
            return c.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IvlException("base model failed", e);
        }
    }

    /** 0 where row i may attend to row j (same sample, j ≤ i), −∞ elsewhere. */
    static NDArray packedMask(NDManager manager, int[] segments) {
        int t = segments.length;
        float[] mask = new float[t * t];
        Arrays.fill(mask, Float.NEGATIVE_INFINITY);
        int start = 0;
        for (int i = 0; i < t; i++) {
            if (i > 0 && segments[i] != segments[i - 1]) {
                start = i;
            }
            Arrays.fill(mask, i * t + start, i * t + i + 1, 0f);
        }
        return manager.create(mask, new Shape(t, t));
    }

    private static NDArray longs(NDManager manager, int[] values) {
        long[] l = new long[values.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = values[i];
        }
        return manager.create(l, new Shape(l.length)).toType(DataType.INT64, false);
    }
}
