package dev.rewind.engine;

import dev.rewind.engine.internal.FileHeaderDescriptor;
import dev.rewind.engine.internal.PriorityTrees;
import dev.rewind.engine.internal.RecordDescriptor;
import dev.rewind.engine.internal.RecordRing;
import dev.rewind.engine.internal.ReplayFile;
import dev.rewind.kernels.Kernels;
import dev.rewind.kernels.ScalarKernels;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.random.RandomGenerator;

import static dev.rewind.engine.internal.RecordDescriptor.DOUBLE;
import static dev.rewind.engine.internal.RecordDescriptor.LONG_HANDLE;

/**
 * The single-writer replay buffer over one {@link ReplayFile}.
 *
 * <p>Note to maintainers: the writer owns {@link #writeSequence}, {@link #nextSlot} and {@link #maxMass} and reads
 * them plain; it publishes each record by release-storing the record's commit word after its payload, and the
 * write sequence (header) after the commit words. After {@code W} inserts the oldest stored generation is
 * {@code o = max(0, W - C)} in slot {@code o mod C}, and slot {@code s} holds generation
 * {@code o + ((s - o mod C) mod C)}: stale-update checks need no memory read.
 */
final class MappedReplayBuffer implements ReplayBuffer
{
    private static final int UNIFORM_REDRAW_LIMIT = 64;
    /**
     * Single adds publish once this many rows wait (or at the next read or priority update, whichever is first):
     * consecutive slots share their tree ancestors, so their recomputation is paid once per group, not per row.
     */
    static final int ADD_PUBLISH_BATCH = 64;

    private final Schema schema;
    private final int capacity;
    private final int recordLength;
    private final int priorityMode;
    private final double alpha;
    private final double eps;
    private final WeightNormalization normalization;
    private final Kernels kernels;
    private final ReplayFile file;
    private final MemorySegment segment;
    private final long recordsOffset;
    private final PriorityTrees trees;
    private final RecordRing records;

    private long writeSequence;
    private long publishedSequence;
    private int nextSlot;
    private double maxMass;
    private double[] massScratch = new double[256];
    private int[] slotScratch = new int[256];
    private Thread writerThread;
    private boolean closed;

    private long samples;
    private long priorityUpdates;
    private long staleUpdatesDropped;

    MappedReplayBuffer(
        final Schema schema, final int capacity, final int priorityMode, final double alpha, final double eps,
        final int fanout, final WeightNormalization normalization, final Path path, final boolean inMemory,
        final Kernels kernels)
    {
        this.schema = schema;
        this.capacity = capacity;
        this.recordLength = schema.recordLength();
        this.priorityMode = priorityMode;
        this.alpha = alpha;
        this.eps = eps;
        this.normalization = normalization;
        this.kernels = kernels;
        final ReplayFile.Layout layout = new ReplayFile.Layout(
            schema.descriptor(), recordLength, capacity, fanout, priorityMode, alpha, eps);
        this.file = inMemory ? ReplayFile.inMemory(layout) : ReplayFile.openOrCreate(path, null == path, layout);
        try
        {
            this.segment = file.segment();
            this.recordsOffset = file.recordsOffset();
            this.records = new RecordRing(segment, recordsOffset, recordLength, capacity);
            this.trees = 0 == fanout ? null : new PriorityTrees(segment, file.treesOffset(), capacity, fanout, kernels);
            if (file.created())
            {
                if (null != trees)
                {
                    trees.clear();
                }
                this.writeSequence = 0;
                this.maxMass = 1.0;
                // A zero-filled commit word reads as generation 0: mark slot 0 busy until its first record is written,
                // so a file reopened before any insert is not taken to hold record 0.
                LONG_HANDLE.setRelease(segment, recordsOffset + RecordDescriptor.COMMIT_OFFSET, RecordDescriptor.BUSY);
            }
            else
            {
                this.writeSequence = segment.get(RecordDescriptor.LONG, FileHeaderDescriptor.WRITE_SEQUENCE_OFFSET);
                this.maxMass = segment.get(DOUBLE, FileHeaderDescriptor.MAX_MASS_OFFSET);
                if (null != trees)
                {
                    trees.open();
                }
                recover();
            }
            this.nextSlot = (int)(writeSequence % capacity);
            this.publishedSequence = writeSequence;
        }
        catch (final RuntimeException | Error ex)
        {
            // A file refused after mapping (a corrupt tree, a header beyond repair) is unmapped, not leaked, and a
            // file this open created is removed.
            try
            {
                file.discard();
            }
            catch (final RuntimeException closing)
            {
                ex.addSuppressed(closing);
            }
            throw ex;
        }
    }

    /**
     * Repairs what a crash in the middle of {@link #add} can leave: records committed after the last published write
     * sequence are adopted, and records still marked busy become holes (zero mass, never sampled) until overwritten.
     * The trees were rebuilt from their leaves by {@link PriorityTrees#open()} before.
     */
    private void recover()
    {
        long adopted = 0;
        while (adopted < capacity && commitWord(slotOf(writeSequence + adopted)) == writeSequence + adopted)
        {
            if (null != trees)
            {
                trees.set(slotOf(writeSequence + adopted), maxMass);
            }
            adopted++;
        }
        writeSequence += adopted;
        for (long k = 0; k < capacity && commitWord(slotOf(writeSequence + k)) == RecordDescriptor.BUSY; k++)
        {
            if (null != trees)
            {
                trees.set(slotOf(writeSequence + k), 0.0);
            }
        }
        LONG_HANDLE.setRelease(segment, (long)FileHeaderDescriptor.WRITE_SEQUENCE_OFFSET, writeSequence);
    }

    private int slotOf(final long sequence)
    {
        return (int)(sequence % capacity);
    }

    private long commitWord(final int slot)
    {
        return (long)LONG_HANDLE.getAcquire(segment, recordsOffset + (long)slot * recordLength);
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
        checkOpen();
        return (int)Math.min(writeSequence, capacity);
    }

    @Override
    public long writeSequence()
    {
        checkOpen();
        return writeSequence;
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
        return new SampleBatch(schema, capacity);
    }

    @Override
    public long add(final Transitions transitions)
    {
        checkOpen();
        assert isWriterThread() : "add() called from a second thread: " + Thread.currentThread();
        if (transitions.schema() != schema && !transitions.schema().equals(schema))
        {
            throw new IllegalArgumentException("transitions follow schema " + transitions.schema() +
                ", buffer has " + schema);
        }
        final long first = append(transitions.rows, 0, transitions.count());
        if (writeSequence - publishedSequence >= ADD_PUBLISH_BATCH)
        {
            publish();
        }
        return first;
    }

    /**
     * Writer only: commits staged rows into the ring (see {@link RecordRing#write}) without publishing them; their
     * priorities and the write sequence wait for {@link #publish()}, so a writer draining many messages publishes
     * once. Samplers never see an unpublished record: its slot is beyond the published size, or its commit word is
     * newer than the generation the published write sequence implies.
     *
     * @param rows       staged rows in the record layout, commit words {@code BUSY}.
     * @param rowsOffset byte offset of the first row.
     * @param count      number of rows.
     * @return the generation of the first row.
     */
    long append(final MemorySegment rows, final long rowsOffset, final int count)
    {
        // Recovery adopts the unpublished rows from the published write sequence on, while each slot still holds the
        // next of them: a row overwritten before it was published ends the adoption there. So at most a ring's worth
        // may wait at any moment (a crash can come between any two rows): when the ring is all unpublished rows, they
        // are published before the next row overwrites the first of them.
        final long first = writeSequence;
        int slot = nextSlot;
        int done = 0;
        while (done < count)
        {
            long waiting = writeSequence - publishedSequence;
            if (waiting == capacity)
            {
                publish();
                waiting = 0;
            }
            final int run = (int)Math.min(Math.min(count - done, capacity - slot), capacity - waiting);
            records.write(slot, writeSequence, rows, rowsOffset + (long)done * recordLength, run);
            done += run;
            // Advanced run by run: a publish in between covers the rows written so far.
            writeSequence += run;
            slot += run;
            if (slot == capacity)
            {
                slot = 0;
            }
            nextSlot = slot;
        }
        return first;
    }

    /**
     * Writer only: gives the records appended since the last publish the running maximum mass, then release-stores
     * the write sequence into the header.
     */
    void publish()
    {
        final long from = publishedSequence;
        final long to = writeSequence;
        if (from == to)
        {
            return;
        }
        if (null != trees)
        {
            if (to - from >= capacity)
            {
                trees.setRange(0, capacity, maxMass);
            }
            else
            {
                final int fromSlot = slotOf(from);
                final int toSlot = slotOf(to);
                if (fromSlot < toSlot)
                {
                    trees.setRange(fromSlot, toSlot, maxMass);
                }
                else
                {
                    trees.setRange(fromSlot, capacity, maxMass);
                    trees.setRange(0, toSlot, maxMass);
                }
            }
        }
        publishedSequence = to;
        // Publishes the new records to samplers: commit words and tree leaves before the write sequence.
        LONG_HANDLE.setRelease(segment, (long)FileHeaderDescriptor.WRITE_SEQUENCE_OFFSET, to);
    }

    /**
     * Hands the writer role to another thread (the concurrent front end does, under its writer token, which orders
     * the hand-over).
     *
     * @param thread the new writer.
     */
    void bindWriter(final Thread thread)
    {
        writerThread = thread;
    }

    /**
     * Writer only: rows appended since the last {@link #publish()}.
     *
     * @return the count.
     */
    long unpublished()
    {
        return writeSequence - publishedSequence;
    }

    /**
     * The record ring, for the concurrent front end.
     *
     * @return the ring.
     */
    RecordRing records()
    {
        return records;
    }

    @Override
    public SampleBatch sample(final SampleBatch batch, final double beta, final RandomGenerator rng)
    {
        checkOpen();
        // Checked for a uniform buffer too, which ignores it: a bad beta is a caller's bug either way.
        if (!(beta >= 0.0 && beta <= 1.0))
        {
            throw new IllegalArgumentException("beta must be in [0, 1]: beta=" + beta);
        }
        if (null == trees)
        {
            return sampleUniform(batch, rng);
        }
        final int n = checkSample(batch);
        final long published = writeSequence;
        final int[] indices = batch.indices;
        final double[] masses = batch.masses;
        final long[] units = batch.massUnits;
        final long total = trees.drawStratified(rng, n, batch.targetUnits, indices, units);
        if (total <= 0)
        {
            throw new IllegalStateException("no record has a positive priority mass: total=" + total);
        }
        final double unit = trees.unit();
        for (int i = 0; i < n; i++)
        {
            masses[i] = units[i] * unit;
        }
        // A zero-mass leaf (a hole left by a crash, or a zero priority with eps 0) makes the global min 0: the
        // weights would all be 0, so the batch's own minimum is the reference then.
        final double globalMin = WeightNormalization.GLOBAL_MIN == normalization ? trees.minMass() : 0.0;
        final double reference = globalMin > 0.0 ? globalMin : kernels.min(masses, n);
        kernels.importanceWeights(masses, batch.weights, n, reference, beta);
        final long[] generations = batch.generations;
        final long oldest = oldestGeneration(published);
        final int oldestSlot = slotOf(oldest);
        for (int i = 0; i < n; i++)
        {
            generations[i] = generationOf(indices[i], oldest, oldestSlot);
        }
        return fill(batch, n, total * unit);
    }

    @Override
    public SampleBatch sampleUniform(final SampleBatch batch, final RandomGenerator rng)
    {
        final int n = checkSample(batch);
        final long published = writeSequence;
        final int size = (int)Math.min(published, capacity);
        final int[] indices = batch.indices;
        final long[] generations = batch.generations;
        final long oldest = oldestGeneration(published);
        final int oldestSlot = slotOf(oldest);
        for (int i = 0; i < n; i++)
        {
            int slot = rng.nextInt(size);
            long generation = generationOf(slot, oldest, oldestSlot);
            // A hole left by a crash (commit word not the slot's generation) is drawn again.
            for (int attempt = 0; commitWord(slot) != generation; attempt++)
            {
                if (attempt == UNIFORM_REDRAW_LIMIT)
                {
                    throw new IllegalStateException("no committed record found in " + UNIFORM_REDRAW_LIMIT +
                        " draws: size=" + size);
                }
                slot = rng.nextInt(size);
                generation = generationOf(slot, oldest, oldestSlot);
            }
            indices[i] = slot;
            generations[i] = generation;
            batch.weights[i] = 1.0;
            batch.masses[i] = 1.0;
        }
        return fill(batch, n, size);
    }

    @Override
    public SampleBatch fetch(final SampleBatch batch, final int[] indices, final int count)
    {
        checkOpen();
        checkBatchOwner(batch);
        publish();
        if (count < 0 || count > batch.capacity() || count > indices.length)
        {
            throw new IllegalArgumentException("count=" + count + " batch capacity=" + batch.capacity() +
                " indices.length=" + indices.length);
        }
        final long published = writeSequence;
        final int size = (int)Math.min(published, capacity);
        for (int i = 0; i < count; i++)
        {
            final int slot = indices[i];
            if (slot < 0 || slot >= size)
            {
                throw new IndexOutOfBoundsException("index=" + slot + " size=" + size + " capacity=" + capacity);
            }
        }
        final long oldest = oldestGeneration(published);
        final int oldestSlot = slotOf(oldest);
        for (int i = 0; i < count; i++)
        {
            final int slot = indices[i];
            batch.indices[i] = slot;
            batch.generations[i] = generationOf(slot, oldest, oldestSlot);
            batch.weights[i] = 1.0;
            batch.masses[i] = null == trees ? 1.0 : trees.leaf(slot);
        }
        return fill(batch, count, null == trees ? size : trees.total());
    }

    @Override
    public int updatePriorities(
        final int[] indices, final long[] generations, final double[] priorities, final int count)
    {
        checkOpen();
        assert isWriterThread() : "updatePriorities() called from a second thread: " + Thread.currentThread();
        if (null == trees)
        {
            throw new IllegalStateException("buffer is not prioritized: build it with prioritized(alpha, eps)");
        }
        checkPriorityUpdate(indices, generations, priorities, count);
        // Every row appended so far counts as stored.
        publish();
        checkStored(indices, count, (int)Math.min(writeSequence, capacity));
        return applyPriorityUpdates(indices, generations, priorities, count);
    }

    /**
     * Checks that {@code count} entries fit in each array.
     *
     * @throws IllegalArgumentException on a negative count or one beyond an array.
     */
    static void checkCount(final int[] indices, final long[] generations, final double[] priorities, final int count)
    {
        if (count < 0 || count > indices.length || count > generations.length || count > priorities.length)
        {
            throw new IllegalArgumentException("count=" + count + " exceeds an array: indices.length=" +
                indices.length + " generations.length=" + generations.length + " priorities.length=" +
                priorities.length);
        }
    }

    /**
     * Checks that every index names a stored record: below the size, which only grows, so an index that passes
     * stays valid until the update is applied (the concurrent front end checks on a learner's thread).
     *
     * @throws IndexOutOfBoundsException on an index at or beyond {@code size}.
     */
    static void checkStored(final int[] indices, final int count, final int size)
    {
        for (int i = 0; i < count; i++)
        {
            if (indices[i] >= size)
            {
                throw new IndexOutOfBoundsException("indices[" + i + "]=" + indices[i] + " size=" + size +
                    ": no record stored there yet");
            }
        }
    }

    /**
     * Writer only: applies a checked priority update ({@link #checkPriorityUpdate}, {@link #checkStored}); entries
     * whose slot has since been overwritten are dropped.
     *
     * @return the number of entries applied.
     */
    int applyPriorityUpdates(
        final int[] indices, final long[] generations, final double[] priorities, final int count)
    {
        // Rows added since the last publish get their new-record mass first, or it would overwrite this update.
        publish();
        if (massScratch.length < count)
        {
            massScratch = new double[count];
            slotScratch = new int[count];
        }
        final double[] masses = massScratch;
        if (ReplayBufferBuilder.MODE_LAP == priorityMode)
        {
            kernels.lapPriority(priorities, 0, masses, 0, count, alpha, eps);
        }
        else
        {
            kernels.perPriority(priorities, 0, masses, 0, count, alpha, eps);
        }
        final long published = writeSequence;
        final long oldest = oldestGeneration(published);
        final int oldestSlot = slotOf(oldest);
        // Keep the fresh entries (compacted in place, order preserved), then update the trees in one batch.
        final int[] slots = slotScratch;
        double max = maxMass;
        int applied = 0;
        for (int i = 0; i < count; i++)
        {
            final int slot = indices[i];
            if (slot < published && generationOf(slot, oldest, oldestSlot) == generations[i])
            {
                final double mass = masses[i];
                slots[applied] = slot;
                masses[applied] = mass;
                max = Math.max(max, mass);
                applied++;
            }
        }
        trees.setAll(slots, masses, applied);
        if (max != maxMass)
        {
            maxMass = max;
            segment.set(DOUBLE, FileHeaderDescriptor.MAX_MASS_OFFSET, max);
        }
        priorityUpdates += applied;
        staleUpdatesDropped += count - applied;
        return applied;
    }

    /**
     * Checks a priority update before anything is applied, so that a bad entry leaves the buffer unchanged. Reads
     * only final fields: the concurrent front end calls it on a learner's thread.
     *
     * @throws IllegalArgumentException  on a NaN, infinite or negative priority, a priority whose mass
     *                                   ({@code (p + eps)^alpha} or {@code max(p, kappa)^alpha}) overflows, or
     *                                   {@code count} beyond an array.
     * @throws IndexOutOfBoundsException on an index outside {@code [0, capacity)}.
     */
    void checkPriorityUpdate(
        final int[] indices, final long[] generations, final double[] priorities, final int count)
    {
        checkCount(indices, generations, priorities, count);
        for (int i = 0; i < count; i++)
        {
            final int slot = indices[i];
            if (slot < 0 || slot >= capacity)
            {
                throw new IndexOutOfBoundsException("indices[" + i + "]=" + slot + " capacity=" + capacity);
            }
            final double p = priorities[i];
            if (!(p >= 0.0) || p == Double.POSITIVE_INFINITY)
            {
                throw new IllegalArgumentException("priority must be finite and >= 0: priorities[" + i + "]=" + p);
            }
            // Only an alpha above 1 can make a finite priority's mass overflow: checked only then.
            if (alpha > 1.0 && Double.isInfinite(mass(p)))
            {
                throw new IllegalArgumentException("priority too large for alpha=" + alpha + ": priorities[" + i +
                    "]=" + p + " gives an infinite mass");
            }
        }
    }

    /**
     * The mass of one priority: the transform kernels' formula, from their scalar twin.
     */
    private double mass(final double priority)
    {
        return ReplayBufferBuilder.MODE_LAP == priorityMode ?
            ScalarKernels.lapMass(priority, alpha, eps) : ScalarKernels.perMass(priority, alpha, eps);
    }

    @Override
    public double probability(final int index)
    {
        final int size = size();
        publish();
        if (index < 0 || index >= size)
        {
            throw new IndexOutOfBoundsException("index=" + index + " size=" + size);
        }
        if (null == trees)
        {
            return 1.0 / size;
        }
        final double total = trees.total();
        if (!(total > 0.0))
        {
            throw new IllegalStateException("no record has a positive priority mass: total=" + total);
        }
        return trees.leaf(index) / total;
    }

    @Override
    public double priority(final int index)
    {
        final int size = size();
        publish();
        return storedPriority(index, size);
    }

    /**
     * The priority a slot's stored mass stands for, with no publication: any thread may call it (the trees' reads
     * are safe against the writer), for a slot below the published size it was given.
     *
     * @param index the slot.
     * @param size  the published size.
     * @return the raw priority.
     */
    double storedPriority(final int index, final int size)
    {
        if (null == trees)
        {
            throw new IllegalStateException("buffer is not prioritized: it keeps no priorities");
        }
        if (0.0 == alpha)
        {
            throw new IllegalStateException("alpha is 0: every mass is 1 and the raw priority is not recoverable");
        }
        if (index < 0 || index >= size)
        {
            throw new IndexOutOfBoundsException("index=" + index + " size=" + size);
        }
        final double raw = Math.pow(trees.leaf(index), 1.0 / alpha);
        return ReplayBufferBuilder.MODE_LAP == priorityMode ? raw : Math.max(0.0, raw - eps);
    }

    @Override
    public Statistics statistics()
    {
        checkOpen();
        return new Statistics(writeSequence, samples, priorityUpdates, staleUpdatesDropped, 0);
    }

    @Override
    public void flush()
    {
        checkOpen();
        publish();
        file.force();
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            try
            {
                publish();
            }
            finally
            {
                file.close();
            }
        }
    }

    /**
     * Closes a buffer whose construction around it failed (the concurrent front end's): unmaps, and removes the file
     * if this open created it.
     */
    void discard()
    {
        if (!closed)
        {
            closed = true;
            file.discard();
        }
    }

    /**
     * For recovery tests in this package: unmaps without publishing, leaving the file as a process killed at this
     * point would (every store to the mapping is in the page cache, so it reaches the file).
     */
    void closeAsIfKilled()
    {
        if (!closed)
        {
            closed = true;
            file.close();
        }
    }

    /**
     * The priority trees, for tests in this package.
     *
     * @return the trees, or null for a uniform buffer.
     */
    PriorityTrees trees()
    {
        return trees;
    }

    /**
     * The mapped file, for tests in this package.
     *
     * @return the file.
     */
    ReplayFile file()
    {
        return file;
    }

    /**
     * The generation slot {@code slot} holds after {@code published} inserts, given the oldest stored generation
     * and its slot (computed once per call so the per-row work has no division).
     */
    private long generationOf(final int slot, final long oldest, final int oldestSlot)
    {
        final int distance = slot - oldestSlot;
        return oldest + (distance < 0 ? distance + capacity : distance);
    }

    private long oldestGeneration(final long published)
    {
        return Math.max(0, published - capacity);
    }

    private SampleBatch fill(final SampleBatch batch, final int n, final double totalMass)
    {
        batch.records = segment;
        batch.recordsOffset = recordsOffset;
        batch.totalMass = totalMass;
        batch.size = n;
        samples += n;
        return batch;
    }

    private int checkSample(final SampleBatch batch)
    {
        checkOpen();
        checkBatchOwner(batch);
        publish();
        final int size = (int)Math.min(writeSequence, capacity);
        if (0 == size)
        {
            throw new IllegalStateException("cannot sample an empty buffer");
        }
        final int n = batch.capacity();
        if (n > size)
        {
            throw new IllegalArgumentException("batch size exceeds buffer size: batchSize=" + n + " size=" + size);
        }
        return n;
    }

    private void checkBatchOwner(final SampleBatch batch)
    {
        if (batch.schema() != schema && !batch.schema().equals(schema))
        {
            throw new IllegalArgumentException("batch has schema " + batch.schema() + ", buffer has " + schema);
        }
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("replay buffer is closed");
        }
    }

    private boolean isWriterThread()
    {
        if (null == writerThread)
        {
            writerThread = Thread.currentThread();
        }
        return writerThread == Thread.currentThread();
    }
}
