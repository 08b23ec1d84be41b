package dev.rewind.engine;

import dev.rewind.engine.internal.FileHeaderDescriptor;
import dev.rewind.engine.internal.PaddedCounter;
import dev.rewind.engine.internal.PriorityTrees;
import dev.rewind.engine.internal.RateLimiter;
import dev.rewind.engine.internal.RecordDescriptor;
import dev.rewind.engine.internal.RecordRing;
import dev.rewind.kernels.Kernels;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.random.RandomGenerator;

import static dev.rewind.engine.internal.RecordDescriptor.LONG;
import static dev.rewind.engine.internal.RecordDescriptor.LONG_HANDLE;

/**
 * The concurrent front end over one {@link MappedReplayBuffer}: an ingest ring and an update ring (Agrona
 * {@link ManyToOneRingBuffer}s) drained by the single writer, and the lock-free learner path.
 *
 * <p>Note to maintainers:
 * <ul>
 * <li>Writer state ({@link #buffer}'s fields, the decode scratch, the writer counters) is touched only while holding
 * the writer token ({@link #writerToken}, acquired by compare-and-set, released by a release store), so the
 * happens-before chain runs from one writer thread to the next (agent, embedded caller, closer).</li>
 * <li>Learners read only published state: the header's write sequence (acquire), tree nodes (plain 8-byte aligned
 * loads, atomic on 64-bit platforms; any mix of old and new values is tolerated, see {@link #drawPrioritized}) and
 * records under their sequence lock ({@link RecordRing#copyOut}).</li>
 * <li>{@link #writerThread} is read without ordering on purpose: a thread can only ever find itself there if it
 * wrote itself there, so the test "am I the writer" is exact without a fence.</li>
 * <li>Close against a racing producer is a Dekker pair: the producer claims ring space (a CAS) and then reads
 * {@link #closed}; the closer writes {@code closed} and then drains until the consumer position reaches the
 * producer position. Either the producer sees {@code closed} and aborts its claim, or its message is drained.</li>
 * </ul>
 */
final class ConcurrentReplayBuffer implements ConcurrentReplay
{
    static final int INSERT_MSG_TYPE_ID = 1;
    static final int UPDATE_MSG_TYPE_ID = 2;
    /** Ring messages the writer reads per duty cycle from each ring, bounding the latency of publication. */
    static final int INSERT_READ_LIMIT = 1024;
    static final int UPDATE_READ_LIMIT = 64;
    /** Failed draws of one row between two pauses (a yield, and checks of the buffer's state). */
    static final int REDRAW_SPIN = 1024;
    /** How long the draws of one row may keep failing before a sample gives up (no stable record at all). */
    static final long REDRAW_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);
    /** Bytes per queued priority update: generation, priority, slot. */
    static final int UPDATE_ENTRY_LENGTH = Long.BYTES + Double.BYTES + Integer.BYTES;

    private static final VarHandle WRITER_TOKEN;
    private static final VarHandle CLOSE_STATE;

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            WRITER_TOKEN = lookup.findVarHandle(ConcurrentReplayBuffer.class, "writerToken", int.class);
            CLOSE_STATE = lookup.findVarHandle(ConcurrentReplayBuffer.class, "closeState", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final MappedReplayBuffer buffer;
    private final Schema schema;
    private final int capacity;
    private final int recordLength;
    private final MemorySegment header;
    private final RecordRing records;
    private final PriorityTrees trees;
    private final Kernels kernels;
    private final WeightNormalization normalization;
    private final RateLimiter limiter;
    private final boolean embedded;

    private final MemorySegment ingestSegment;
    private final ManyToOneRingBuffer ingest;
    private final int maxRowsPerAdd;
    private final MemorySegment updateSegment;
    private final ManyToOneRingBuffer updates;
    private final int maxUpdatesPerMessage;

    private final PaddedCounter backPressureEvents = new PaddedCounter();
    private final PaddedCounter priorityUpdates = new PaddedCounter();
    private final PaddedCounter staleUpdatesDropped = new PaddedCounter();
    private final PaddedCounter publishedPosition = new PaddedCounter();

    private final ControlledMessageHandler insertHandler = this::onInsert;
    /** Rows the writer appends before it publishes, at most, so it never laps the ring between publications. */
    private final long publishThreshold;
    private final MessageHandler updateHandler = this::onUpdate;
    private final AgentRunner runner;

    /** 0 free, 1 held; see the class comment. */
    private volatile int writerToken;
    /** 0 open, 1 closing or closed. */
    private volatile int closeState;
    private volatile boolean closed;
    private volatile Throwable writerFailure;
    private Thread writerThread;
    /** Keeps the learners' prefetching loads alive; racy on purpose, never read for its value. */
    @SuppressWarnings("unused")
    private long touchSink;

    /** Each calling thread's copy of its update, the writer's included (see updatePriorities). */
    private final ThreadLocal<UpdateScratch> updateScratch = ThreadLocal.withInitial(UpdateScratch::new);

    // Writer-owned decode scratch.
    private int[] updateSlots = new int[256];
    private long[] updateGenerations = new long[256];
    private double[] updatePriorities = new double[256];

    ConcurrentReplayBuffer(
        final MappedReplayBuffer buffer, final Kernels kernels, final WeightNormalization normalization,
        final RateLimiter limiter, final int ingestRingLength, final int updateRingLength, final boolean embedded,
        final IdleStrategy idleStrategy)
    {
        this.buffer = buffer;
        this.schema = buffer.schema();
        this.capacity = buffer.capacity();
        this.recordLength = schema.recordLength();
        this.header = buffer.file().segment();
        this.records = buffer.records();
        this.trees = buffer.trees();
        this.kernels = kernels;
        this.normalization = normalization;
        this.limiter = limiter;
        this.embedded = embedded;
        this.publishThreshold = Math.max(1, capacity / 4);

        this.ingestSegment = ringMemory(ingestRingLength);
        this.ingest = new ManyToOneRingBuffer(new UnsafeBuffer(ingestSegment.address(), (int)ingestSegment.byteSize()));
        this.maxRowsPerAdd = ingest.maxMsgLength() / recordLength;
        if (maxRowsPerAdd < 1)
        {
            throw new IllegalArgumentException("ingest ring too small for one record: ringLength=" +
                ingestRingLength + " maxMessage=" + ingest.maxMsgLength() + " recordLength=" + recordLength);
        }
        this.updateSegment = ringMemory(updateRingLength);
        this.updates = new ManyToOneRingBuffer(new UnsafeBuffer(updateSegment.address(), (int)updateSegment.byteSize()));
        this.maxUpdatesPerMessage = updates.maxMsgLength() / UPDATE_ENTRY_LENGTH;
        this.publishedPosition.setRelease(ingest.consumerPosition());

        if (embedded)
        {
            this.runner = null;
        }
        else
        {
            this.runner = new AgentRunner(idleStrategy, this::onWriterError, null, new WriterAgent());
            AgentRunner.startOnThread(runner, (task) ->
            {
                final Thread thread = new Thread(task, "rewind-writer");
                thread.setDaemon(true);
                return thread;
            });
        }
    }

    private static MemorySegment ringMemory(final int length)
    {
        // The segment stays reachable from this object, so the ring's memory lives as long as any producer can use it.
        return Arena.ofAuto().allocate(length + RingBufferDescriptor.TRAILER_LENGTH, 64);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Writer
    // ---------------------------------------------------------------------------------------------------------------

    private final class WriterAgent implements Agent
    {
        @Override
        public int doWork()
        {
            if (null != writerFailure || !tryAcquireWriterToken())
            {
                return 0;
            }
            try
            {
                bindWriter(Thread.currentThread());
                return dutyCycle();
            }
            finally
            {
                releaseWriterToken();
            }
        }

        @Override
        public String roleName()
        {
            return "rewind-writer";
        }
    }

    private void onWriterError(final Throwable failure)
    {
        if (null == writerFailure)
        {
            writerFailure = failure;
        }
    }

    private boolean tryAcquireWriterToken()
    {
        return WRITER_TOKEN.compareAndSet(this, 0, 1);
    }

    private void acquireWriterToken()
    {
        while (!WRITER_TOKEN.compareAndSet(this, 0, 1))
        {
            Thread.onSpinWait();
        }
    }

    /**
     * Acquires the writer token for a direct operation on the embedded writer thread, refusing once closed (close
     * holds the token while it drains and unmaps).
     */
    private void acquireWriterTokenOpen()
    {
        acquireWriterToken();
        if (closed)
        {
            releaseWriterToken();
            throw new IllegalStateException("replay buffer is closed");
        }
        // Whoever holds the token does the writer's work (the single-threaded buffer asserts it).
        bindWriter(Thread.currentThread());
    }

    private void releaseWriterToken()
    {
        WRITER_TOKEN.setRelease(this, 0);
    }

    private void bindWriter(final Thread thread)
    {
        if (writerThread != thread)
        {
            writerThread = thread;
            buffer.bindWriter(thread);
        }
    }

    private boolean onWriterThread()
    {
        return embedded && writerThread == Thread.currentThread();
    }

    /**
     * Writer, token held: queued updates, queued rows, then one publication.
     */
    private int dutyCycle()
    {
        final long updatesBefore = updates.consumerPosition();
        final int updatesRead = updates.read(updateHandler, UPDATE_READ_LIMIT);
        final int insertsRead = ingest.controlledRead(insertHandler, INSERT_READ_LIMIT);
        final long position = ingest.consumerPosition();
        if (position != publishedPosition.get())
        {
            buffer.publish();
            // Rows up to this ring position are now published (awaitPublished waits for it).
            publishedPosition.setRelease(position);
            // A read that only skipped the padding at the ring's end counts as work: more may follow at once.
            return updatesRead + Math.max(1, insertsRead);
        }
        return updatesRead + insertsRead + (updates.consumerPosition() != updatesBefore && 0 == updatesRead ? 1 : 0);
    }

    private ControlledMessageHandler.Action onInsert(
        final int msgTypeId, final MutableDirectBuffer ring, final int index, final int length)
    {
        buffer.append(ingestSegment, index, length / recordLength);
        // Committed but unpublished records cannot be sampled: publish before they cover a quarter of the ring.
        return buffer.unpublished() >= publishThreshold ?
            ControlledMessageHandler.Action.BREAK : ControlledMessageHandler.Action.CONTINUE;
    }

    private void onUpdate(final int msgTypeId, final MutableDirectBuffer ring, final int index, final int length)
    {
        final int count = length / UPDATE_ENTRY_LENGTH;
        if (updateSlots.length < count)
        {
            updateSlots = new int[count];
            updateGenerations = new long[count];
            updatePriorities = new double[count];
        }
        final MemorySegment segment = updateSegment;
        MemorySegment.copy(segment, LONG, index, updateGenerations, 0, count);
        MemorySegment.copy(segment, RecordDescriptor.DOUBLE, index + (long)count * Long.BYTES, updatePriorities, 0,
            count);
        MemorySegment.copy(segment, RecordDescriptor.INT, index + (long)count * (Long.BYTES + Double.BYTES),
            updateSlots, 0, count);
        applyUpdates(updateSlots, updateGenerations, updatePriorities, count);
    }

    private int applyUpdates(final int[] slots, final long[] generations, final double[] priorities, final int count)
    {
        // Checked on the caller's thread before it was queued (or just now, on the writer's own call).
        final int applied = buffer.applyPriorityUpdates(slots, generations, priorities, count);
        priorityUpdates.setRelease(priorityUpdates.get() + applied);
        staleUpdatesDropped.setRelease(staleUpdatesDropped.get() + (count - applied));
        return applied;
    }

    @Override
    public int doWork()
    {
        if (!embedded)
        {
            throw new IllegalStateException("the writer runs on its own agent thread: doWork() is for embeddedWriter()");
        }
        checkUsable();
        if (!tryAcquireWriterToken())
        {
            return 0;
        }
        try
        {
            checkUsable();
            bindWriter(Thread.currentThread());
            return dutyCycle();
        }
        finally
        {
            releaseWriterToken();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Producers
    // ---------------------------------------------------------------------------------------------------------------

    @Override
    public int tryAdd(final Transitions transitions)
    {
        checkUsable();
        checkTransitions(transitions, maxRowsPerAdd);
        return offer(transitions.rows, 0, transitions.count(), true);
    }

    /**
     * One attempt to hand {@code rows} staged rows to the writer: rate limiter, then the ring (or, on the embedded
     * writer thread, the records directly).
     */
    private int offer(final MemorySegment staged, final long stagedOffset, final int rows, final boolean countRefusal)
    {
        if (0 == rows)
        {
            return 0;
        }
        if (!limiter.tryAcquireInsert(rows))
        {
            if (countRefusal)
            {
                backPressureEvents.getAndAddVolatile(1);
            }
            return RATE_LIMITED;
        }
        if (onWriterThread())
        {
            acquireWriterTokenOpen();
            try
            {
                drainQueued();
                buffer.append(staged, stagedOffset, rows);
                buffer.publish();
            }
            finally
            {
                releaseWriterToken();
            }
            return rows;
        }
        final int length = rows * recordLength;
        final int index = ingest.tryClaim(INSERT_MSG_TYPE_ID, length);
        if (index < 0)
        {
            limiter.cancelInsert(rows);
            if (countRefusal)
            {
                backPressureEvents.getAndAddVolatile(1);
            }
            return BACK_PRESSURED;
        }
        // StoreLoad: the claim (a CAS) before reading closed; close() writes closed before draining to our claim.
        if (closed)
        {
            ingest.abort(index);
            limiter.cancelInsert(rows);
            throw new IllegalStateException("replay buffer is closed");
        }
        try
        {
            MemorySegment.copy(staged, stagedOffset, ingestSegment, index, length);
            ingest.commit(index);
        }
        catch (final Throwable ex)
        {
            ingest.abort(index);
            limiter.cancelInsert(rows);
            throw ex;
        }
        return rows;
    }

    @Override
    public int add(final Transitions transitions, final long timeout, final TimeUnit unit)
    {
        checkUsable();
        checkTransitions(transitions, maxRowsPerAdd);
        final long deadlineNs = deadline(timeout, unit);
        final int rows = transitions.count();
        int result = offer(transitions.rows, 0, rows, true);
        for (int attempt = 0; result < 0; attempt++)
        {
            if (System.nanoTime() - deadlineNs >= 0)
            {
                return result;
            }
            waitStep(attempt);
            checkUsable();
            result = offer(transitions.rows, 0, rows, false);
        }
        return result;
    }

    @Override
    public long add(final Transitions transitions)
    {
        checkUsable();
        checkTransitions(transitions, Integer.MAX_VALUE);
        if (onWriterThread() && !limiter.limitsInserts())
        {
            acquireWriterTokenOpen();
            try
            {
                drainQueued();
                final long first = buffer.append(transitions.rows, 0, transitions.count());
                buffer.publish();
                return first;
            }
            finally
            {
                releaseWriterToken();
            }
        }
        // More rows than one ring message holds go over in chunks, in order.
        final int count = transitions.count();
        for (int done = 0; done < count; )
        {
            final int rows = Math.min(maxRowsPerAdd, count - done);
            offerUntilAccepted(transitions.rows, (long)done * recordLength, rows);
            done += rows;
        }
        return GENERATION_PENDING;
    }

    private void offerUntilAccepted(final MemorySegment staged, final long stagedOffset, final int rows)
    {
        int result = offer(staged, stagedOffset, rows, true);
        for (int attempt = 0; result < 0; attempt++)
        {
            waitStep(attempt);
            checkUsable();
            result = offer(staged, stagedOffset, rows, false);
        }
    }

    @Override
    public boolean awaitPublished(final long timeout, final TimeUnit unit)
    {
        checkUsable();
        final long target = ingest.producerPosition();
        final long deadlineNs = deadline(timeout, unit);
        for (int attempt = 0; publishedPosition.getAcquire() < target; attempt++)
        {
            if (System.nanoTime() - deadlineNs >= 0)
            {
                return false;
            }
            waitStep(attempt);
            checkUsable();
        }
        return true;
    }

    private void checkTransitions(final Transitions transitions, final int maxRows)
    {
        if (transitions.schema() != schema && !transitions.schema().equals(schema))
        {
            throw new IllegalArgumentException("transitions follow schema " + transitions.schema() +
                ", buffer has " + schema);
        }
        if (transitions.count() > maxRows)
        {
            throw new IllegalArgumentException("too many rows for one add: rows=" + transitions.count() +
                " maxRowsPerAdd=" + maxRows);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Learners
    // ---------------------------------------------------------------------------------------------------------------

    @Override
    public SampleBatch sample(final SampleBatch batch, final double beta, final RandomGenerator rng)
    {
        for (int attempt = 0; !draw(batch, beta, rng, false); attempt++)
        {
            waitStep(attempt);
        }
        return batch;
    }

    @Override
    public boolean trySample(final SampleBatch batch, final double beta, final RandomGenerator rng)
    {
        return draw(batch, beta, rng, false);
    }

    @Override
    public boolean sample(
        final SampleBatch batch, final double beta, final RandomGenerator rng, final long timeout, final TimeUnit unit)
    {
        final long deadlineNs = deadline(timeout, unit);
        for (int attempt = 0; !draw(batch, beta, rng, false); attempt++)
        {
            if (System.nanoTime() - deadlineNs >= 0)
            {
                return false;
            }
            waitStep(attempt);
        }
        return true;
    }

    @Override
    public SampleBatch sampleUniform(final SampleBatch batch, final RandomGenerator rng)
    {
        for (int attempt = 0; !draw(batch, 0.0, rng, true); attempt++)
        {
            waitStep(attempt);
        }
        return batch;
    }

    /**
     * One attempt: the rate limiter's permission, then the draw.
     *
     * @return false if the rate limiter refused.
     */
    private boolean draw(final SampleBatch batch, final double beta, final RandomGenerator rng, final boolean uniform)
    {
        checkUsable();
        checkBatchOwner(batch);
        if (!(beta >= 0.0 && beta <= 1.0))
        {
            throw new IllegalArgumentException("beta must be in [0, 1]: beta=" + beta);
        }
        final int n = batch.capacity();
        if (n > capacity)
        {
            // Never satisfiable: a limiter would otherwise hold the learner back for ever.
            throw new IllegalArgumentException("batch size exceeds capacity: batchSize=" + n + " capacity=" +
                capacity);
        }
        limiter.checkBatch(n);
        final long published = acquirePublished();
        if (!limiter.limitsSamples())
        {
            final long size = Math.min(published, capacity);
            if (0 == size)
            {
                throw new IllegalStateException("cannot sample an empty buffer");
            }
            if (n > size)
            {
                throw new IllegalArgumentException("batch size exceeds buffer size: batchSize=" + n + " size=" + size);
            }
        }
        if (onWriterThread())
        {
            return drawOnWriterThread(batch, beta, rng, uniform, n);
        }
        if (!limiter.tryAcquireSample(published, capacity, n))
        {
            return false;
        }
        ConcurrentScratch scratch = batch.concurrent;
        if (null == scratch)
        {
            scratch = new ConcurrentScratch(batch.capacity(), recordLength);
            batch.concurrent = scratch;
        }
        final double totalMass;
        try
        {
            totalMass = null == trees || uniform ?
                drawUniform(batch, scratch, rng, published, n) :
                drawPrioritized(batch, scratch, beta, rng, published, n);
        }
        catch (final Throwable ex)
        {
            // Rows never drawn are not counted: the statistics and the insert ratio see only what learners got.
            limiter.cancelSample(n);
            throw ex;
        }
        batch.records = scratch.copies;
        batch.recordsOffset = 0;
        batch.recordIndex = scratch.rowNumbers;
        batch.totalMass = totalMass;
        batch.size = n;
        return true;
    }

    /**
     * The embedded writer samples its own state: no concurrent writer, so the single-threaded, zero-copy path.
     */
    private boolean drawOnWriterThread(
        final SampleBatch batch, final double beta, final RandomGenerator rng, final boolean uniform, final int n)
    {
        acquireWriterTokenOpen();
        try
        {
            if (!limiter.tryAcquireSample(acquirePublished(), capacity, n))
            {
                return false;
            }
            try
            {
                if (uniform)
                {
                    buffer.sampleUniform(batch, rng);
                }
                else
                {
                    buffer.sample(batch, beta, rng);
                }
            }
            catch (final Throwable ex)
            {
                limiter.cancelSample(n);
                throw ex;
            }
            batch.recordIndex = batch.indices;
            return true;
        }
        finally
        {
            releaseWriterToken();
        }
    }

    /**
     * Stratified prioritized draw against trees the writer may be changing. Each target descends through nodes that
     * may mix old and new values; the descent still ends on an existing leaf with a mass read from it ({@code >= 0},
     * 8-byte loads do not tear). A leaf at or beyond the published size (set by the writer before publication), a
     * leaf of zero mass, or a record that is busy, newer than the published write sequence, or rewritten during its
     * copy ({@link RecordRing#copyPublished}) is drawn again in the same stratum, after re-reading the write
     * sequence. The generation returned is the one the record carried, so an update sent for it is stale only if the
     * slot is overwritten after the copy. A rescale of the trees (a new unit) during the draw would mix units in
     * the masses and weights: the draw then starts over ({@link PriorityTrees#readValid}).
     *
     * @return the total mass the strata were cut from.
     */
    private double drawPrioritized(
        final SampleBatch batch, final ConcurrentScratch scratch, final double beta, final RandomGenerator rng,
        final long published, final int n)
    {
        final PriorityTrees trees = this.trees;
        while (true)
        {
            final long version = trees.readBegin();
            final double total = drawPrioritizedOnce(trees, batch, scratch, rng, published, n);
            if (trees.readValid(version))
            {
                if (!(total > 0.0))
                {
                    throw new IllegalStateException("no record has a positive priority mass: total=" + total);
                }
                kernels.importanceWeights(batch.masses, batch.weights, n, scratch.reference, beta);
                return total;
            }
        }
    }

    /**
     * One attempt of {@link #drawPrioritized}: the rows, their masses and the weights' reference mass (left in the
     * scratch), or a total of 0 and nothing else when no leaf has mass.
     */
    private double drawPrioritizedOnce(
        final PriorityTrees trees, final SampleBatch batch, final ConcurrentScratch scratch, final RandomGenerator rng,
        final long published, final int n)
    {
        final RecordRing records = this.records;
        final MemorySegment copies = scratch.copies;
        final int recordLength = this.recordLength;
        final int[] indices = batch.indices;
        final double[] masses = batch.masses;
        final long[] units = batch.massUnits;
        final long[] generations = batch.generations;
        final long total = trees.drawStratified(rng, n, batch.targetUnits, indices, units);
        if (total <= 0)
        {
            return 0.0;
        }
        final double unit = trees.unit();
        final double stratum = (double)total / n;

        long snapshot = published;
        int size = (int)Math.min(snapshot, capacity);
        // Independent loads of every chosen record first: their misses overlap instead of one per copy.
        long touched = 0;
        for (int i = 0; i < n; i++)
        {
            final int slot = indices[i];
            if (slot < size)
            {
                touched ^= records.touch(slot);
            }
        }
        touchSink = touched;
        double batchMin = Double.POSITIVE_INFINITY;
        long startNs = 0;
        for (int i = 0; i < n; i++)
        {
            int slot = indices[i];
            double mass = units[i] * unit;
            for (int attempt = 1; ; attempt++)
            {
                if (slot < size && mass > 0.0)
                {
                    final long generation = records.copyPublished(slot, snapshot, copies, (long)i * recordLength);
                    if (RecordRing.NONE != generation)
                    {
                        indices[i] = slot;
                        masses[i] = mass;
                        generations[i] = generation;
                        break;
                    }
                }
                if (0 == attempt % REDRAW_SPIN)
                {
                    startNs = redrawPause(attempt, startNs, size);
                }
                // The tree or the record may be newer than our snapshot: catch up before drawing again.
                snapshot = acquirePublished();
                size = (int)Math.min(snapshot, capacity);
                scratch.target[0] = PriorityTrees.targetInStratum(i, rng.nextDouble(), stratum, total);
                trees.descend(scratch.target, 1, scratch.leaf, scratch.units);
                slot = scratch.leaf[0];
                mass = scratch.units[0] * unit;
            }
            batchMin = Math.min(batchMin, mass);
        }
        double reference = batchMin;
        if (WeightNormalization.GLOBAL_MIN == normalization)
        {
            // The min root may lag the leaves just read: never let a weight exceed 1.
            final double globalMin = trees.minMass();
            if (globalMin > 0.0 && globalMin < reference)
            {
                reference = globalMin;
            }
        }
        scratch.reference = reference;
        return total * unit;
    }

    private double drawUniform(
        final SampleBatch batch, final ConcurrentScratch scratch, final RandomGenerator rng, final long published,
        final int n)
    {
        final RecordRing records = this.records;
        final MemorySegment copies = scratch.copies;
        final int[] indices = batch.indices;
        final long[] generations = batch.generations;
        long snapshot = published;
        int size = (int)Math.min(snapshot, capacity);
        // Draw every slot first and touch the records, so their cache misses overlap (as in drawPrioritized).
        long touched = 0;
        for (int i = 0; i < n; i++)
        {
            final int slot = rng.nextInt(size);
            indices[i] = slot;
            touched ^= records.touch(slot);
        }
        touchSink = touched;
        long startNs = 0;
        for (int i = 0; i < n; i++)
        {
            for (int attempt = 1; ; attempt++)
            {
                final int slot = 1 == attempt ? indices[i] : rng.nextInt(size);
                final long generation = records.copyPublished(slot, snapshot, copies, (long)i * recordLength);
                if (RecordRing.NONE != generation)
                {
                    indices[i] = slot;
                    generations[i] = generation;
                    break;
                }
                if (0 == attempt % REDRAW_SPIN)
                {
                    startNs = redrawPause(attempt, startNs, size);
                }
                snapshot = acquirePublished();
                size = (int)Math.min(snapshot, capacity);
            }
            batch.weights[i] = 1.0;
            batch.masses[i] = 1.0;
        }
        return size;
    }

    /**
     * Every {@link #REDRAW_SPIN} failed draws of one row: the writer may be between an append and its publication,
     * or descheduled mid-write; yield to it, check the buffer, and give up only after {@link #REDRAW_TIMEOUT_NS}
     * (then no slot holds a stable record: e.g. a recovered buffer that is all holes).
     *
     * @return the time the row's failures started.
     */
    private long redrawPause(final int attempt, final long startNs, final int size)
    {
        final long now = System.nanoTime();
        if (REDRAW_SPIN == attempt)
        {
            return now;
        }
        if (now - startNs > REDRAW_TIMEOUT_NS)
        {
            throw new IllegalStateException("no stable committed record found in " + attempt + " draws over " +
                TimeUnit.NANOSECONDS.toSeconds(now - startNs) + " s: size=" + size);
        }
        checkUsable();
        Thread.yield();
        return startNs;
    }

    @Override
    public SampleBatch fetch(final SampleBatch batch, final int[] indices, final int count)
    {
        checkUsable();
        checkBatchOwner(batch);
        if (count < 0 || count > batch.capacity() || count > indices.length)
        {
            throw new IllegalArgumentException("count=" + count + " batch capacity=" + batch.capacity() +
                " indices.length=" + indices.length);
        }
        if (onWriterThread())
        {
            acquireWriterTokenOpen();
            try
            {
                buffer.fetch(batch, indices, count);
                batch.recordIndex = batch.indices;
                return batch;
            }
            finally
            {
                releaseWriterToken();
            }
        }
        final long published = acquirePublished();
        final int size = (int)Math.min(published, capacity);
        for (int i = 0; i < count; i++)
        {
            final int slot = indices[i];
            if (slot < 0 || slot >= size)
            {
                throw new IndexOutOfBoundsException("index=" + slot + " size=" + size + " capacity=" + capacity);
            }
        }
        ConcurrentScratch scratch = batch.concurrent;
        if (null == scratch)
        {
            scratch = new ConcurrentScratch(batch.capacity(), recordLength);
            batch.concurrent = scratch;
        }
        for (int i = 0; i < count; i++)
        {
            final int slot = indices[i];
            // Whatever generation the slot holds once it is stable and published; a slot that never is (a hole left
            // by a crash that no insert has filled since) is given up on as sampling gives up.
            long startNs = 0;
            for (int attempt = 1; ; attempt++)
            {
                final long generation = records.copyPublished(slot, acquirePublished(), scratch.copies,
                    (long)i * recordLength);
                if (RecordRing.NONE != generation)
                {
                    batch.indices[i] = slot;
                    batch.generations[i] = generation;
                    break;
                }
                if (0 == attempt % REDRAW_SPIN)
                {
                    startNs = redrawPause(attempt, startNs, size);
                }
                else
                {
                    waitStep(attempt);
                }
            }
            batch.weights[i] = 1.0;
        }
        fetchMasses(batch, count, size);
        batch.records = scratch.copies;
        batch.recordsOffset = 0;
        batch.recordIndex = scratch.rowNumbers;
        batch.size = count;
        return batch;
    }

    /**
     * The masses of fetched rows and the total, in one unit (read again if the trees were rescaled meanwhile).
     */
    private void fetchMasses(final SampleBatch batch, final int count, final int size)
    {
        if (null == trees)
        {
            for (int i = 0; i < count; i++)
            {
                batch.masses[i] = 1.0;
            }
            batch.totalMass = size;
            return;
        }
        long version;
        do
        {
            version = trees.readBegin();
            for (int i = 0; i < count; i++)
            {
                batch.masses[i] = trees.leaf(batch.indices[i]);
            }
            batch.totalMass = trees.total();
        }
        while (!trees.readValid(version));
    }

    @Override
    public int updatePriorities(
        final int[] indices, final long[] generations, final double[] priorities, final int count)
    {
        checkUsable();
        if (null == trees)
        {
            throw new IllegalStateException("buffer is not prioritized: build it with prioritized(alpha, eps)");
        }
        MappedReplayBuffer.checkCount(indices, generations, priorities, count);
        // Checked and sent from this thread's own copy: another thread changing the caller's arrays meanwhile (a
        // caller's race) cannot put an unchecked entry in front of the writer, which must never stop on a learner's
        // input, nor get part of a refused update applied.
        final UpdateScratch copy = updateScratch.get().hold(indices, generations, priorities, count);
        buffer.checkPriorityUpdate(copy.indices, copy.generations, copy.priorities, count);
        // Against the published size: it only grows, so the writer applies the update to a stored record.
        MappedReplayBuffer.checkStored(copy.indices, count, (int)Math.min(acquirePublished(), capacity));
        if (onWriterThread())
        {
            acquireWriterTokenOpen();
            try
            {
                drainQueuedUpdates();
                return applyUpdates(copy.indices, copy.generations, copy.priorities, count);
            }
            finally
            {
                releaseWriterToken();
            }
        }
        boolean waited = false;
        for (int done = 0; done < count; )
        {
            final int n = Math.min(maxUpdatesPerMessage, count - done);
            final int index = claimUpdate(n * UPDATE_ENTRY_LENGTH, waited);
            waited = true;
            try
            {
                if (closed)
                {
                    throw new IllegalStateException("replay buffer is closed");
                }
                final MemorySegment segment = updateSegment;
                MemorySegment.copy(copy.generations, done, segment, LONG, index, n);
                MemorySegment.copy(copy.priorities, done, segment, RecordDescriptor.DOUBLE,
                    index + (long)n * Long.BYTES, n);
                MemorySegment.copy(copy.indices, done, segment, RecordDescriptor.INT,
                    index + (long)n * (Long.BYTES + Double.BYTES), n);
                updates.commit(index);
            }
            catch (final Throwable ex)
            {
                // A claim left open would block the ring for every learner.
                updates.abort(index);
                throw ex;
            }
            done += n;
        }
        return count;
    }

    /**
     * A learner thread's private copy of the priority update it is sending.
     */
    private static final class UpdateScratch
    {
        /** Entries a thread keeps room for between calls (80 KiB); a larger update gets arrays of its own. */
        static final int KEPT_ENTRIES = 4096;

        int[] indices;
        long[] generations;
        double[] priorities;

        UpdateScratch()
        {
            this(256);
        }

        UpdateScratch(final int entries)
        {
            indices = new int[entries];
            generations = new long[entries];
            priorities = new double[entries];
        }

        UpdateScratch hold(final int[] i, final long[] g, final double[] p, final int count)
        {
            if (count > indices.length && count > KEPT_ENTRIES)
            {
                return new UpdateScratch(count).hold(i, g, p, count);
            }
            if (indices.length < count)
            {
                indices = new int[KEPT_ENTRIES];
                generations = new long[KEPT_ENTRIES];
                priorities = new double[KEPT_ENTRIES];
            }
            System.arraycopy(i, 0, indices, 0, count);
            System.arraycopy(g, 0, generations, 0, count);
            System.arraycopy(p, 0, priorities, 0, count);
            return this;
        }
    }

    private int claimUpdate(final int length, final boolean alreadyCounted)
    {
        int index = updates.tryClaim(UPDATE_MSG_TYPE_ID, length);
        if (index < 0 && !alreadyCounted)
        {
            backPressureEvents.getAndAddVolatile(1);
        }
        for (int attempt = 0; index < 0; attempt++)
        {
            waitStep(attempt);
            checkUsable();
            index = updates.tryClaim(UPDATE_MSG_TYPE_ID, length);
        }
        return index;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Reads of published state
    // ---------------------------------------------------------------------------------------------------------------

    private long acquirePublished()
    {
        return (long)LONG_HANDLE.getAcquire(header, (long)FileHeaderDescriptor.WRITE_SEQUENCE_OFFSET);
    }

    @Override
    public Schema schema()
    {
        return schema;
    }

    @Override
    public int capacity()
    {
        return capacity;
    }

    @Override
    public int size()
    {
        checkUsable();
        return (int)Math.min(acquirePublished(), capacity);
    }

    @Override
    public long writeSequence()
    {
        checkUsable();
        return acquirePublished();
    }

    @Override
    public boolean isPrioritized()
    {
        return null != trees;
    }

    @Override
    public Transitions newTransitions(final int rows)
    {
        return new Transitions(schema, rows);
    }

    @Override
    public SampleBatch newBatch(final int capacity)
    {
        final SampleBatch batch = new SampleBatch(schema, capacity);
        batch.concurrent = new ConcurrentScratch(capacity, recordLength);
        return batch;
    }

    @Override
    public double probability(final int index)
    {
        final int size = size();
        if (index < 0 || index >= size)
        {
            throw new IndexOutOfBoundsException("index=" + index + " size=" + size);
        }
        if (null == trees)
        {
            return 1.0 / size;
        }
        long version;
        long leaf;
        long total;
        do
        {
            version = trees.readBegin();
            leaf = trees.leafUnits(index);
            total = trees.totalUnits();
        }
        while (!trees.readValid(version));
        if (total <= 0)
        {
            throw new IllegalStateException("no record has a positive priority mass: total=" + total);
        }
        return (double)leaf / total;
    }

    @Override
    public double priority(final int index)
    {
        final int size = size();
        if (index < 0 || index >= size)
        {
            throw new IndexOutOfBoundsException("index=" + index + " size=" + size);
        }
        // Not buffer.priority(): it publishes, which mutates the trees, and only the writer may.
        return buffer.storedPriority(index, size);
    }

    @Override
    public Statistics statistics()
    {
        checkOpen();
        return new Statistics(acquirePublished(), limiter.samples(), priorityUpdates.getAcquire(),
            staleUpdatesDropped.getAcquire(), backPressureEvents.getVolatile());
    }

    @Override
    public boolean isEmbedded()
    {
        return embedded;
    }

    @Override
    public int maxRowsPerAdd()
    {
        return maxRowsPerAdd;
    }

    @Override
    public void flush()
    {
        checkUsable();
        buffer.file().force();
    }

    /**
     * Stops the writer agent (or, embedded, takes the writer token from the calling thread), drains both rings so
     * that every accepted row and queued update is applied, then unmaps. Producers and learners that call in
     * afterwards get {@link IllegalStateException}.
     */
    @Override
    public void close()
    {
        if (!CLOSE_STATE.compareAndSet(this, 0, 1))
        {
            return;
        }
        closed = true;
        if (null != runner)
        {
            runner.close();
        }
        acquireWriterToken();
        try
        {
            bindWriter(Thread.currentThread());
            if (null == writerFailure)
            {
                // Drain to the last claim: a producer that claimed before seeing closed commits, or aborts. The
                // closer holds the token, so it backs off plainly between cycles: waitStep would, on the embedded
                // writer's thread, wait for the token it holds.
                for (int attempt = 0; ingest.consumerPosition() < ingest.producerPosition() ||
                    updates.consumerPosition() < updates.producerPosition(); attempt++)
                {
                    if (0 == dutyCycle())
                    {
                        backOff(attempt);
                    }
                }
            }
        }
        finally
        {
            try
            {
                // Unmapped even when the drain failed: a mapping (and a temporary file) must not outlive close.
                buffer.close();
            }
            finally
            {
                releaseWriterToken();
            }
        }
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("replay buffer is closed");
        }
    }

    private void checkUsable()
    {
        checkOpen();
        final Throwable failure = writerFailure;
        if (null != failure)
        {
            throw new IllegalStateException("replay writer failed: " + failure, failure);
        }
    }

    private void checkBatchOwner(final SampleBatch batch)
    {
        if (batch.schema() != schema && !batch.schema().equals(schema))
        {
            throw new IllegalArgumentException("batch has schema " + batch.schema() + ", buffer has " + schema);
        }
    }

    private static long deadline(final long timeout, final TimeUnit unit)
    {
        return System.nanoTime() + Math.max(0, unit.toNanos(timeout));
    }

    /**
     * One step of a wait without locks: spin, then yield, then park briefly. In the embedded mode the writer thread
     * runs a duty cycle instead, since nobody else would drain the rings.
     */
    private void waitStep(final int attempt)
    {
        if (onWriterThread())
        {
            acquireWriterTokenOpen();
            try
            {
                if (0 != dutyCycle())
                {
                    return;
                }
            }
            finally
            {
                releaseWriterToken();
            }
        }
        backOff(attempt);
    }

    /**
     * Writer, token held, before an update of its own goes in directly: applies the updates queued up to now, so that
     * a thread's own earlier queued updates (sent before it became the writer, or while another thread was) come
     * before its later ones. Rows are not drained: a zero-copy batch the writer thread drew stays valid.
     */
    private void drainQueuedUpdates()
    {
        final long updatesEnd = updates.producerPosition();
        for (int attempt = 0; updates.consumerPosition() < updatesEnd; attempt++)
        {
            if (0 == updates.read(updateHandler, UPDATE_READ_LIMIT))
            {
                backOff(attempt);
            }
        }
    }

    /**
     * Writer, token held, before a row of its own goes in directly: applies what is queued up to now (rows and
     * updates), so that a thread's own earlier queued rows (sent before it became the writer, or while another thread
     * was) are stored before its later ones. Bounded by the ring positions read on entry; a claim not yet committed
     * there is waited for (its producer is between two stores).
     */
    private void drainQueued()
    {
        final long ingestEnd = ingest.producerPosition();
        final long updatesEnd = updates.producerPosition();
        for (int attempt = 0; ingest.consumerPosition() < ingestEnd || updates.consumerPosition() < updatesEnd;
            attempt++)
        {
            if (0 == dutyCycle())
            {
                backOff(attempt);
            }
        }
    }

    /**
     * Spin, then yield, then park briefly.
     */
    private static void backOff(final int attempt)
    {
        if (attempt < 64)
        {
            Thread.onSpinWait();
        }
        else if (attempt < 128)
        {
            Thread.yield();
        }
        else
        {
            LockSupport.parkNanos(50_000);
        }
    }

    /**
     * The buffer the writer owns, for tests in this package.
     *
     * @return the single-threaded buffer.
     */
    MappedReplayBuffer writerBuffer()
    {
        return buffer;
    }
}
