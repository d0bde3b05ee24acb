package dev.ivl.core.generate;

import dev.ivl.core.IllegalParameterException;
import dev.ivl.core.IvlException;
import dev.ivl.core.model.BatchStepping;
import dev.ivl.core.model.LanguageModel;
import dev.ivl.core.model.Session;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Continuous batching: many generations of one model at once. One scheduler thread runs the active sequences a step
 * at a time, all of their next tokens in one forward pass when the model is {@link BatchStepping} (else one after
 * the other); requests join between steps (their prompts prefilled one by one) and leave when a stop rule, their
 * token limit or their cancellation ends them. Each request keeps its own configuration (sampling, seed, stop rules,
 * processors) and listener, and gets what {@link Generator} would give it alone: the same tokens for greedy
 * decoding, up to the summation order of a batched product.
 *
 * <p>Listeners run on the scheduler thread: keep them short. Thread-safe.
 */
public final class BatchGenerator implements AutoCloseable {
    private final LanguageModel model;
    private final Generator generator;
    private final int maxBatch;
    private final LinkedBlockingQueue<Request> waiting = new LinkedBlockingQueue<>();
    private final Thread scheduler;
    private volatile boolean closed;

    /** A submitted generation. */
    private record Request(LanguageModel model, int[] prompt, GenerationConfig config, TokenListener listener,
            CancellationToken cancellation, CompletableFuture<GenerationResult> future) {}

    /** An active sequence: its session, its decoding and the logits after its last token. */
    private static final class Sequence {
        final Request request;
        final Session session;
        final Decoding decoding;
        float[] logits;

        Sequence(Request request, Session session, Decoding decoding) {
            this.request = request;
            this.session = session;
            this.decoding = decoding;
        }
    }

    /**
     * Starts the scheduler.
     *
     * @param model the model; its tokenizer (if any) decodes the text
     * @param maxBatch the most sequences stepped together; more requests wait
     */
    public BatchGenerator(LanguageModel model, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalParameterException("maxBatch", maxBatch, "must be >= 1");
        }
        this.model = model;
        this.generator = new Generator(model);
        this.maxBatch = maxBatch;
        this.scheduler = new Thread(this::schedule, "ivl-batch");
        scheduler.setDaemon(true);
        scheduler.start();
    }

    /**
     * Queues a generation.
     *
     * @param prompt at least one token id
     * @param config how to generate
     * @param listener receives tokens and text as they come, then the end, on the scheduler thread
     * @param cancellation ends the generation at its next step
     * @return the result to come
     * @throws dev.ivl.core.InvalidInputException for a bad prompt, checked here
     * @throws IvlException if the generator is closed
     */
    public CompletableFuture<GenerationResult> submit(int[] prompt, GenerationConfig config, TokenListener listener,
            CancellationToken cancellation) {
        return submit(model, prompt, config, listener, cancellation);
    }

    /**
     * Queues a generation on a view of this generator's model whose sessions the model steps with its own, such as
     * a {@code PluggedModel.withAlpha} view of the same pair: requests with different α share the batch.
     *
     * @param view the model this request's session comes from
     * @param prompt at least one token id
     * @param config how to generate
     * @param listener receives tokens and text as they come, then the end, on the scheduler thread
     * @param cancellation ends the generation at its next step
     * @return the result to come
     */
    public CompletableFuture<GenerationResult> submit(LanguageModel view, int[] prompt, GenerationConfig config,
            TokenListener listener, CancellationToken cancellation) {
        generator.checkRequest(prompt, config);
        if (closed) {
            throw new IvlException("the batch generator is closed");
        }
        Request r = new Request(view, prompt.clone(), config, listener, cancellation, new CompletableFuture<>());
        waiting.add(r);
        if (closed && waiting.remove(r)) { // closed meanwhile, after the scheduler's last look at the queue
            throw new IvlException("the batch generator is closed");
        }
        return r.future();
    }

    private void schedule() {
        List<Sequence> active = new ArrayList<>();
        while (!closed) {
            try {
                admit(active);
                if (active.isEmpty()) {
                    continue;
                }
                step(active);
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException e) { // unexpected: end what runs rather than leave it hanging
                active.forEach(s -> fail(s, e));
                active.clear();
            }
        }
        active.forEach(s -> fail(s, new IvlException("the batch generator was closed")));
        for (Request r; (r = waiting.poll()) != null; ) {
            r.future().completeExceptionally(new IvlException("the batch generator was closed"));
        }
    }

    /** Takes waiting requests while there is room, prefilling each; waits for one when nothing is active. */
    private void admit(List<Sequence> active) throws InterruptedException {
        while (active.size() < maxBatch) {
            Request r = active.isEmpty() ? waiting.poll(100, TimeUnit.MILLISECONDS) : waiting.poll();
            if (r == null) {
                return;
            }
            Session session = null;
            try {
                session = r.model().newSession();
                Sequence s = new Sequence(r, session, generator.newDecoding(r.prompt(), r.config(), r.listener(),
                        r.cancellation()));
                long start = System.nanoTime();
                s.logits = session.append(r.prompt());
                s.decoding.prefilled(start);
                active.add(s);
            } catch (RuntimeException e) {
                if (session != null) {
                    session.close();
                }
                try {
                    r.listener().onError(e);
                } catch (RuntimeException ignored) {
                    // the request fails with its own error either way
                }
                r.future().completeExceptionally(e);
            }
        }
    }

    /** Samples every active sequence's next token, ends the finished ones, and runs the rest one step. */
    private void step(List<Sequence> active) {
        List<Sequence> going = new ArrayList<>();
        List<Integer> tokens = new ArrayList<>();
        for (Sequence s : List.copyOf(active)) {
            int token;
            try {
                token = s.decoding.next(s.logits, s.session.position());
            } catch (RuntimeException e) {
                active.remove(s);
                fail(s, e);
                continue;
            }
            if (token < 0) {
                active.remove(s);
                s.session.close();
                GenerationResult result = s.decoding.result();
                try {
                    s.request.listener().onComplete(result);
                } catch (RuntimeException e) {
                    s.request.future().completeExceptionally(e); // the listener's failure is this request's alone
                    continue;
                }
                s.request.future().complete(result);
            } else {
                going.add(s);
                tokens.add(token);
            }
        }
        if (going.isEmpty()) {
            return;
        }
        int[] ids = tokens.stream().mapToInt(Integer::intValue).toArray();
        List<Session> sessions = going.stream().map(s -> s.session).toList();
        try {
            float[][] rows = model instanceof BatchStepping batched ? batched.appendEach(sessions, ids)
                    : BatchStepping.oneByOne(sessions, ids);
            for (int i = 0; i < rows.length; i++) {
                going.get(i).logits = rows[i];
            }
        } catch (RuntimeException e) {
            for (Sequence s : going) {
                active.remove(s);
                fail(s, e);
            }
        }
    }

    /** Ends a sequence with an error; a listener that throws in turn changes nothing. */
    private static void fail(Sequence s, RuntimeException e) {
        s.session.close();
        try {
            s.request.listener().onError(e);
        } catch (RuntimeException ignored) {
            // the request fails with its own error either way
        }
        s.request.future().completeExceptionally(e);
    }

    /** @return the requests waiting for a place in the batch */
    public int waiting() {
        return waiting.size();
    }

    /** Stops the scheduler: running and waiting generations end exceptionally. Waits for the scheduler to stop. */
    @Override
    public void close() {
        closed = true;
        scheduler.interrupt();
        try {
            scheduler.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
