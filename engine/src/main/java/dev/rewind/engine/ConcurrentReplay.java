package dev.rewind.engine;

import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * A replay buffer for many producer threads and concurrent learners, built on the single-writer principle: one
 * writer owns every mutation of the records and the priority trees; producers hand rows to it through a
 * many-to-one ring; learners sample without locks and send priority updates to it through a second ring.
 * Build one with {@code ReplayBuffer.builder()...buildConcurrent()}.
 *
 * <pre>{@code
 * try (ConcurrentReplay replay = ReplayBuffer.builder().schema(schema).capacity(1_000_000).prioritized()
 *     .minSizeToSample(10_000).buildConcurrent())
 * {
 *     // actor threads, each with its own Transitions:
 *     while (replay.tryAdd(t) < 0) { backOff(); }      // or replay.add(t, 1, TimeUnit.SECONDS)
 *     // learner threads, each with its own SampleBatch:
 *     replay.sample(batch, beta, rng);                  // blocks until the rate limiter allows
 *     replay.updatePriorities(batch, newPriorities);    // queued to the writer, in order
 * }
 * }</pre>
 *
 * <h2>The writer</h2>
 * By default the writer is an Agrona agent on a daemon thread of its own ({@code rewind-writer}), idling with the
 * builder's {@link org.agrona.concurrent.IdleStrategy}. In the embedded mode ({@code embeddedWriter()}) there is
 * no thread: the caller runs the writer by calling {@link #doWork()}, and the thread that last called it is the
 * writer. On the writer thread {@code add}, {@code tryAdd}, {@code updatePriorities} and {@code sample} act
 * directly (no queueing, zero-copy batches); an add first applies the rows queued before it, an update the updates
 * queued before it; on every other thread they go through the rings. Writer work is guarded by
 * a writer token: two threads never run it at once (a second {@code doWork()} meanwhile returns 0). A zero-copy batch is valid until the writer next appends, on whatever thread
 * it then runs: a thread that reads such batches should be the only one calling {@code doWork()}.
 *
 * <h2>Producers</h2>
 * {@link #tryAdd} never blocks: it returns the rows accepted, or {@link #BACK_PRESSURED} when the ingest ring is
 * full, or {@link #RATE_LIMITED} when the rate limiter holds inserts back; nothing is ever dropped silently. An
 * accepted row is in the writer's queue; it is in the records, visible to samplers and in the mapping (so it
 * survives a crash of the process) once published: {@link #awaitPublished} waits for that. Rows of one producer are
 * stored in the order it added them.
 *
 * <h2>Learners</h2>
 * {@code sample} reads the published write sequence (acquire), descends the trees (which may be mid-update: a
 * leaf beyond the published range, or of zero mass, is drawn again in its stratum), and copies each record under its
 * sequence lock into the batch's own memory: a record overwritten during the copy is drawn again, never returned
 * torn. Priority updates are checked on the learner's thread, then queued; the writer applies them in the order each
 * learner sent them and drops those whose slot has been overwritten since it was sampled (counted in
 * {@link ReplayBuffer.Statistics#staleUpdatesDropped()}).
 *
 * <h2>Rate limiting</h2>
 * With {@code minSizeToSample} and {@code samplesPerInsert} on the builder (Reverb's semantics, see the builder),
 * {@link #sample(SampleBatch, double, RandomGenerator)} and {@link #add(Transitions)} wait (spinning, yielding,
 * then parking briefly; no lock); {@link #trySample} and {@link #tryAdd} return at once; the timed forms wait at
 * most their timeout.
 *
 * <h2>Which methods are safe where</h2>
 * Every method may be called from any thread, except {@link #doWork()} (one writer at a time). {@link #close()} may
 * come while producers still run: every row accepted before it is drained into the records, and calls from then on
 * throw {@link IllegalStateException}; stop learners before it, since it unmaps the memory they copy from.
 * {@link #size()},
 * {@link #writeSequence()}, {@link #probability(int)}, {@link #priority(int)} and {@link #statistics()} read
 * published state and may lag the writer by one duty cycle.
 */
public interface ConcurrentReplay extends ReplayBuffer
{
    /** {@link #tryAdd} status: the ingest ring is full; try again later. */
    int BACK_PRESSURED = -1;

    /** {@link #tryAdd} status: the rate limiter holds inserts back until learners sample more. */
    int RATE_LIMITED = -2;

    /** What {@link #add(Transitions)} returns when the rows were queued: their generation is assigned later. */
    long GENERATION_PENDING = -1L;

    /**
     * Hands staged rows to the writer without blocking. The rows are copied; {@code transitions} may be reused at
     * once. On the embedded writer thread the rows are appended and published before returning.
     *
     * @param transitions staged rows of this buffer's schema, at most {@link #maxRowsPerAdd()}.
     * @return the number of rows accepted (all of them, possibly 0), or {@link #BACK_PRESSURED} or
     * {@link #RATE_LIMITED}, in which case nothing was accepted.
     * @throws IllegalArgumentException if the rows follow another schema or exceed {@link #maxRowsPerAdd()}.
     * @throws IllegalStateException    if the buffer is closed or its writer failed.
     */
    int tryAdd(Transitions transitions);

    /**
     * Hands staged rows to the writer, waiting at most {@code timeout} while the ring is full or the rate limiter
     * holds inserts back. In the embedded mode the writer thread drains the ring itself while it waits.
     *
     * @param transitions staged rows of this buffer's schema.
     * @param timeout     longest wait.
     * @param unit        unit of {@code timeout}.
     * @return the number of rows accepted, or {@link #BACK_PRESSURED} or {@link #RATE_LIMITED} (the reason of the
     * last refusal) if the time ran out.
     * @throws IllegalArgumentException if the rows follow another schema or exceed {@link #maxRowsPerAdd()}.
     * @throws IllegalStateException    if the buffer is closed or its writer failed.
     */
    int add(Transitions transitions, long timeout, TimeUnit unit);

    /**
     * Hands staged rows to the writer, waiting as long as the ring is full or the rate limiter holds inserts back.
     * Any number of rows: more than {@link #maxRowsPerAdd()} go over in several ring messages, in order.
     *
     * @param transitions staged rows of this buffer's schema.
     * @return the generation of the first row on the writer thread of the embedded mode without a rate limiter
     * (appended directly), otherwise {@link #GENERATION_PENDING}.
     * @throws IllegalArgumentException if the rows follow another schema.
     * @throws IllegalStateException    if the buffer is closed (also while waiting) or its writer failed.
     */
    @Override
    long add(Transitions transitions);

    /**
     * Draws a minibatch (as {@link ReplayBuffer#sample}) if the rate limiter allows it now.
     *
     * @param batch the batch to fill.
     * @param beta  importance exponent in [0, 1].
     * @param rng   the random source.
     * @return true if {@code batch} was filled; false if the rate limiter refused (nothing was counted).
     * @throws IllegalArgumentException as {@link ReplayBuffer#sample}, or if the batch can never pass the rate
     * limit.
     * @throws IllegalStateException    if the buffer is closed, or empty without a rate limiter.
     */
    boolean trySample(SampleBatch batch, double beta, RandomGenerator rng);

    /**
     * Draws a minibatch, waiting at most {@code timeout} for the rate limiter.
     *
     * @param batch   the batch to fill.
     * @param beta    importance exponent in [0, 1].
     * @param rng     the random source.
     * @param timeout longest wait.
     * @param unit    unit of {@code timeout}.
     * @return true if {@code batch} was filled, false if the time ran out.
     * @throws IllegalArgumentException as {@link #trySample}.
     * @throws IllegalStateException    if the buffer is closed, or empty without a rate limiter.
     */
    boolean sample(SampleBatch batch, double beta, RandomGenerator rng, long timeout, TimeUnit unit);

    /**
     * Draws a minibatch, waiting as long as the rate limiter requires (without a limiter: at once).
     *
     * @param batch the batch to fill.
     * @param beta  importance exponent in [0, 1].
     * @param rng   the random source.
     * @return {@code batch}, filled.
     * @throws IllegalArgumentException as {@link #trySample}.
     * @throws IllegalStateException    if the buffer is closed (also while waiting), or empty without a limiter.
     */
    @Override
    SampleBatch sample(SampleBatch batch, double beta, RandomGenerator rng);

    /**
     * Sets new priorities for sampled slots: copied, and the copy checked here (every value, before anything is
     * applied or queued, so another thread changing the arrays meanwhile cannot get past the check), then applied at
     * once on the writer thread (after the updates already queued), or queued to the writer (waiting while the update
     * ring is full).
     *
     * @param indices     slots, from {@link SampleBatch#indices()}.
     * @param generations their generations.
     * @param priorities  new raw priorities, finite and {@code >= 0}.
     * @param count       how many entries to send.
     * @return on the writer thread the number applied (stale ones dropped); elsewhere {@code count}, the number
     * queued (stale ones are dropped by the writer and counted in {@link #statistics()}).
     * @throws IllegalArgumentException  on a NaN, infinite or negative priority, or {@code count} beyond an array.
     * @throws IndexOutOfBoundsException on an index outside {@code [0, size())}: a slot holding no published record.
     * @throws IllegalStateException     if the buffer is not prioritized, or closed.
     */
    @Override
    int updatePriorities(int[] indices, long[] generations, double[] priorities, int count);

    /**
     * Waits until every row accepted before this call (by any producer) is published: in the records, visible to
     * samplers, and in the mapping. In the embedded mode the writer thread drains the ring itself.
     *
     * @param timeout longest wait.
     * @param unit    unit of {@code timeout}.
     * @return true once published, false if the time ran out.
     * @throws IllegalStateException if the buffer is closed or its writer failed.
     */
    boolean awaitPublished(long timeout, TimeUnit unit);

    /**
     * Embedded mode: one duty cycle of the writer on the calling thread, which becomes the writer thread: queued
     * priority updates, then queued rows (a bounded number of each), then one publication.
     *
     * @return units of work done (0 when idle, or when another thread holds the writer token).
     * @throws IllegalStateException if the writer runs as an agent of its own, or the buffer is closed.
     */
    int doWork();

    /**
     * Whether the caller runs the writer ({@link #doWork()}) rather than an agent thread.
     *
     * @return true in the embedded mode.
     */
    boolean isEmbedded();

    /**
     * Most rows one {@link #tryAdd} may carry: one ring message.
     *
     * @return the row limit.
     */
    int maxRowsPerAdd();
}
