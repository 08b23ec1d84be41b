package dev.rewind.engine;

import java.util.random.RandomGenerator;

/**
 * An experience-replay buffer: a ring of fixed-size transition records in a memory-mapped file, with uniform or
 * proportional prioritized sampling. Build one with {@link #builder()}.
 *
 * <pre>{@code
 * Schema schema = Schema.builder().float32("obs", 4).int32("action").float32("reward")
 *     .float32("next_obs", 4).bool("done").build();
 * try (ReplayBuffer buffer = ReplayBuffer.builder().schema(schema).capacity(1_000_000).prioritized(0.6, 1e-4).build())
 * {
 *     Transitions t = buffer.newTransitions(1);
 *     // ... t.clear().beginRow().put(...); buffer.add(t);
 *     SampleBatch batch = buffer.newBatch(256);
 *     buffer.sample(batch, 0.4, rng);
 *     // ... train, then:
 *     buffer.updatePriorities(batch, newPriorities);
 * }
 * }</pre>
 *
 * <h2>Threads</h2>
 * One thread, the writer, calls every mutator ({@code add}, {@code updatePriorities}, {@code close}); sampling and
 * reads may happen on the writer thread. See the concurrent front ends for many producers and learners.
 *
 * <h2>Priorities</h2>
 * A prioritized buffer stores each slot's mass {@code (p + eps)^alpha} (or {@code max(p, kappa)^alpha} for LAP
 * priorities) in a sum tree and a min tree; a new transition gets the largest mass seen so far (initially 1), so it
 * is sampled soon. {@code P(i) = mass_i / sum mass}, and the importance weight {@code w_i = (N P(i))^-beta} is
 * normalised as {@link WeightNormalization} says.
 */
public interface ReplayBuffer extends AutoCloseable
{
    /**
     * Starts configuring a buffer.
     *
     * @return a builder.
     */
    static ReplayBufferBuilder builder()
    {
        return new ReplayBufferBuilder();
    }

    /**
     * The record schema.
     *
     * @return the schema.
     */
    Schema schema();

    /**
     * Most transitions held; older ones are overwritten first in first out.
     *
     * @return the capacity.
     */
    int capacity();

    /**
     * Transitions held now: {@code min(inserted, capacity)}.
     *
     * @return the size.
     */
    int size();

    /**
     * Transitions inserted since the file was created; the next insert gets this generation.
     *
     * @return the write sequence.
     */
    long writeSequence();

    /**
     * Whether sampling is prioritized.
     *
     * @return true for a prioritized buffer.
     */
    boolean isPrioritized();

    /**
     * Creates a staging area for this buffer's schema.
     *
     * @param rows most rows it holds.
     * @return a new {@link Transitions}.
     */
    Transitions newTransitions(int rows);

    /**
     * Creates a reusable batch for this buffer.
     *
     * @param capacity most rows a sample into it may draw.
     * @return a new {@link SampleBatch}.
     */
    SampleBatch newBatch(int capacity);

    /**
     * Appends every staged row, in order, overwriting the oldest records once full. Allocates nothing. The rows
     * are in the file when this returns and every later call sees them; the priority trees may take small adds
     * in groups (the next sample, read or update applies what is pending first), which a caller cannot observe.
     *
     * @param transitions staged rows of this buffer's schema.
     * @return the generation of the first appended row (later rows follow consecutively).
     * @throws IllegalArgumentException if the rows follow another schema.
     * @throws IllegalStateException    if the buffer is closed.
     */
    long add(Transitions transitions);

    /**
     * Draws a minibatch: stratified prioritized (one draw in each of {@code batchSize} equal-mass segments) for a
     * prioritized buffer, uniform with replacement otherwise.
     *
     * @param batch     the batch to fill, of this buffer's schema; its capacity is the batch size.
     * @param beta      importance exponent in [0, 1] (ignored by uniform sampling).
     * @param rng       the random source.
     * @return {@code batch}, filled.
     * @throws IllegalArgumentException if the batch is larger than {@link #size()}, or beta is not in [0, 1].
     * @throws IllegalStateException    if the buffer is empty or closed.
     */
    SampleBatch sample(SampleBatch batch, double beta, RandomGenerator rng);

    /**
     * Allocating convenience for {@link #sample(SampleBatch, double, RandomGenerator)}.
     *
     * @param batchSize rows to draw.
     * @param beta      importance exponent in [0, 1].
     * @param rng       the random source.
     * @return a new batch.
     */
    default SampleBatch sample(final int batchSize, final double beta, final RandomGenerator rng)
    {
        return sample(newBatch(batchSize), beta, rng);
    }

    /**
     * Draws a uniform minibatch with replacement, whatever the buffer's priorities; weights are all 1.
     *
     * @param batch the batch to fill; its capacity is the batch size.
     * @param rng   the random source.
     * @return {@code batch}, filled.
     * @throws IllegalArgumentException if the batch is larger than {@link #size()}.
     * @throws IllegalStateException    if the buffer is empty or closed.
     */
    SampleBatch sampleUniform(SampleBatch batch, RandomGenerator rng);

    /**
     * Fills a batch with the given slots (weights 1), e.g. to read a sequence or inspect records.
     *
     * @param batch   the batch to fill.
     * @param indices slots to read, each in {@code [0, size())}.
     * @param count   how many of {@code indices} to use, at most the batch capacity.
     * @return {@code batch}, filled.
     * @throws IndexOutOfBoundsException if an index is not a stored slot.
     */
    SampleBatch fetch(SampleBatch batch, int[] indices, int count);

    /**
     * Sets new priorities for sampled slots. An update whose generation no longer matches the slot (the slot has
     * been overwritten since it was sampled) is dropped, never applied to the new occupant. All values are checked
     * before any is applied: on an exception nothing has changed.
     *
     * @param indices     slots, from {@link SampleBatch#indices()}.
     * @param generations their generations, from {@link SampleBatch#generations()}.
     * @param priorities  new raw priorities (e.g. {@code |TD error|}), finite and {@code >= 0}.
     * @param count       how many entries to apply.
     * @return the number applied; {@code count} minus the stale ones dropped.
     * @throws IllegalArgumentException  on a NaN, infinite or negative priority, or {@code count} beyond an array.
     * @throws IndexOutOfBoundsException on an index outside {@code [0, size())}: a slot holding no record.
     * @throws IllegalStateException     if the buffer is not prioritized, or closed.
     */
    int updatePriorities(int[] indices, long[] generations, double[] priorities, int count);

    /**
     * Sets new priorities for the rows of a sampled batch.
     *
     * @param batch      the batch the priorities belong to.
     * @param priorities one raw priority per row.
     * @return the number applied.
     */
    default int updatePriorities(final SampleBatch batch, final double[] priorities)
    {
        return updatePriorities(batch.indices(), batch.generations(), priorities, batch.size());
    }

    /**
     * The probability that one prioritized draw picks a slot now: {@code mass / total}; {@code 1 / size} if uniform.
     *
     * @param index a slot in {@code [0, size())}.
     * @return the probability.
     * @throws IndexOutOfBoundsException if the index is not a stored slot.
     * @throws IllegalStateException     if no record has a positive mass (eps 0 and every priority 0), or the
     *                                   buffer is closed.
     */
    double probability(int index);

    /**
     * The raw priority a slot holds now, recovered from its stored mass: {@code max(0, mass^(1/alpha) - eps)} for PER
     * priorities and {@code mass^(1/alpha) = max(p, kappa)} for LAP priorities (a priority below the floor reads as
     * kappa). A slot whose priority was never updated holds the running maximum mass, so it reads as the largest
     * priority seen. Priority-Encouragement reads it to lift a goal's neighbours through {@link #updatePriorities}.
     *
     * @param index a slot in {@code [0, size())}.
     * @return the raw priority, to rounding of {@code pow}.
     * @throws IndexOutOfBoundsException if the index is not a stored slot.
     * @throws IllegalStateException     if the buffer is uniform, or its alpha is 0 (every mass is 1 and the priority
     *                                   is not recoverable), or it is closed.
     * @throws UnsupportedOperationException if this implementation keeps no priorities to read back.
     */
    default double priority(final int index)
    {
        throw new UnsupportedOperationException("priority(int) is not supported by " + getClass().getName());
    }

    /**
     * Counters since this buffer was opened.
     *
     * @return a snapshot.
     */
    Statistics statistics();

    /**
     * Writes dirty pages of the mapped file to disk, for a buffer that must survive a machine crash (a process crash
     * loses nothing already written to the mapping).
     */
    void flush();

    /**
     * Unmaps the file, deleting it if it was temporary. Idempotent. Afterwards every call that reads or changes the
     * buffer's contents throws {@link IllegalStateException}; {@link #schema()}, {@link #capacity()},
     * {@link #isPrioritized()}, {@link #newTransitions(int)} and {@link #newBatch(int)}, which touch no contents,
     * still answer. A batch drawn before the close must not be read afterwards: depending on the buffer it
     * throws {@link IllegalStateException} (a file-backed buffer's batch views unmapped memory) or still shows the
     * old rows.
     */
    @Override
    void close();

    /**
     * Counters a trainer watches.
     *
     * @param inserts              transitions appended.
     * @param samples              rows sampled.
     * @param priorityUpdates      priority updates applied.
     * @param staleUpdatesDropped  priority updates dropped because their slot had been overwritten.
     * @param backPressureEvents   refused adds (ingest ring full, or held back by the rate limiter) and times a
     *                             learner found the update ring full; 0 for a single-threaded buffer.
     */
    record Statistics(
        long inserts, long samples, long priorityUpdates, long staleUpdatesDropped, long backPressureEvents)
    {
    }
}
