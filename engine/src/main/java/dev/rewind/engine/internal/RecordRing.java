package dev.rewind.engine.internal;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static dev.rewind.engine.internal.RecordDescriptor.LONG_HANDLE;

/**
 * The commit-word protocol over a ring of fixed-size records ({@link RecordDescriptor}): how the single writer
 * overwrites records and how readers on other threads copy one out without ever keeping a torn copy.
 *
 * <h2>Writer (one thread)</h2>
 * For a run of consecutive slots: store {@link RecordDescriptor#BUSY} into each commit word (opaque), a
 * store-store fence, the payload with plain stores, then each record's generation into its commit word with a
 * release store. The caller publishes the run to samplers afterwards by release-storing the write sequence.
 *
 * <h2>Readers (any thread)</h2>
 * A sequence lock: {@link #copyOut} (and {@link #copyPublished}) acquires the commit word, gives up unless it is a
 * generation the reader may take, copies the record, issues a load-load fence and reads the commit word again; the copy is kept
 * only if the word is still the expected generation. A reader whose copy overlapped a rewrite sees {@code BUSY} or a
 * newer generation on the second read (the writer's {@code BUSY} store is ordered before its payload stores), and a
 * generation never comes back to a slot, so there is no ABA.
 *
 * <p>Note to maintainers: the protocol is proven by the jcstress tests {@code RecordPublicationTest} and
 * {@code TornReadTest} in the stress-tests module, which drive these exact methods. The staged rows a writer copies
 * in must carry {@code BUSY} in their commit words ({@code Transitions.beginRow} does), so that the bulk copy never
 * exposes a stale generation.
 */
public final class RecordRing
{
    /** What {@link #copyPublished} returns when it copied nothing usable. */
    public static final long NONE = -1L;

    private final MemorySegment segment;
    private final long recordsOffset;
    private final int recordLength;
    private final int capacity;

    /**
     * Describes a ring inside a segment; does not touch memory.
     *
     * @param segment       the segment holding the records.
     * @param recordsOffset byte offset of slot 0, 8-byte aligned.
     * @param recordLength  bytes per record, a multiple of {@link RecordDescriptor#RECORD_ALIGNMENT}.
     * @param capacity      number of slots, at least 1.
     * @throws IllegalArgumentException if the ring does not fit the segment or breaks the alignment rules.
     */
    public RecordRing(final MemorySegment segment, final long recordsOffset, final int recordLength, final int capacity)
    {
        if (capacity < 1)
        {
            throw new IllegalArgumentException("capacity must be positive: capacity=" + capacity);
        }
        if (recordLength < RecordDescriptor.HEADER_LENGTH || 0 != recordLength % RecordDescriptor.RECORD_ALIGNMENT)
        {
            throw new IllegalArgumentException("record length must be a multiple of " +
                RecordDescriptor.RECORD_ALIGNMENT + " and at least " + RecordDescriptor.HEADER_LENGTH + ": " +
                recordLength);
        }
        if (0 != (recordsOffset & (RecordDescriptor.RECORD_ALIGNMENT - 1)) ||
            recordsOffset + (long)recordLength * capacity > segment.byteSize())
        {
            throw new IllegalArgumentException("ring does not fit: recordsOffset=" + recordsOffset + " length=" +
                (long)recordLength * capacity + " segment=" + segment.byteSize());
        }
        this.segment = segment;
        this.recordsOffset = recordsOffset;
        this.recordLength = recordLength;
        this.capacity = capacity;
    }

    /**
     * Writer only: overwrites {@code run} consecutive slots from staged rows and commits each with its generation.
     *
     * @param slot            first slot; {@code slot + run <= capacity}.
     * @param firstGeneration generation of the first row; later rows follow consecutively.
     * @param rows            staged rows in the record layout, their commit words {@code BUSY}.
     * @param rowsOffset      byte offset of the first row in {@code rows}.
     * @param run             number of rows, at least 1.
     */
    public void write(
        final int slot, final long firstGeneration, final MemorySegment rows, final long rowsOffset, final int run)
    {
        final MemorySegment segment = this.segment;
        final int recordLength = this.recordLength;
        final long runOffset = recordsOffset + (long)slot * recordLength;
        if (1 == run)
        {
            // A single add's row, without the loops' set-up: the same stores in the same order.
            LONG_HANDLE.setOpaque(segment, runOffset, RecordDescriptor.BUSY);
            VarHandle.storeStoreFence();
            MemorySegment.copy(rows, rowsOffset, segment, runOffset, recordLength);
            LONG_HANDLE.setRelease(segment, runOffset, firstGeneration);
            return;
        }
        for (int k = 0; k < run; k++)
        {
            LONG_HANDLE.setOpaque(segment, runOffset + (long)k * recordLength, RecordDescriptor.BUSY);
        }
        // Busy marks before any payload byte: a reader that saw the old commit word re-checks it after copying.
        VarHandle.storeStoreFence();
        MemorySegment.copy(rows, rowsOffset, segment, runOffset, (long)run * recordLength);
        for (int k = 0; k < run; k++)
        {
            // Publishes the record: payload before commit word.
            LONG_HANDLE.setRelease(segment, runOffset + (long)k * recordLength, firstGeneration + k);
        }
    }

    /**
     * Any thread: the commit word of a slot, with acquire semantics: the generation it holds, or
     * {@link RecordDescriptor#BUSY} while the writer rewrites it.
     *
     * @param slot the slot.
     * @return the commit word.
     */
    public long commitWordAcquire(final int slot)
    {
        return (long)LONG_HANDLE.getAcquire(segment, recordsOffset + (long)slot * recordLength);
    }

    /**
     * Any thread: copies the record in {@code slot} if, before and after the copy, it holds {@code generation}.
     *
     * @param slot       the slot.
     * @param generation the generation the caller expects there.
     * @param dst        destination segment.
     * @param dstOffset  byte offset in {@code dst}; {@code recordLength} bytes are written.
     * @return true if the copy is the whole record of that generation; false if the slot held another generation
     * or was rewritten during the copy (the destination then holds garbage).
     */
    public boolean copyOut(final int slot, final long generation, final MemorySegment dst, final long dstOffset)
    {
        final MemorySegment segment = this.segment;
        final long offset = recordsOffset + (long)slot * recordLength;
        if ((long)LONG_HANDLE.getAcquire(segment, offset) != generation)
        {
            return false;
        }
        MemorySegment.copy(segment, offset, dst, dstOffset, recordLength);
        // LoadLoad fence: the payload loads above complete before the commit word is read again.
        VarHandle.loadLoadFence();
        return (long)LONG_HANDLE.getOpaque(segment, offset) == generation;
    }

    /**
     * Any thread: copies the record in {@code slot} if it holds a published generation (below {@code published}),
     * whichever it is, and the same generation is still there after the copy. This is the samplers' read: the
     * generation comes from the record itself, so a slot rewritten since the caller read {@code published} is
     * copied as its new occupant (once published) rather than refused.
     *
     * @param slot      the slot, below the published size (every such slot has been written).
     * @param published the write sequence the caller acquired.
     * @param dst       destination segment.
     * @param dstOffset byte offset in {@code dst}; {@code recordLength} bytes are written.
     * @return the generation copied, or {@link #NONE} if the slot was busy, not yet published, or rewritten during
     * the copy (the destination then holds garbage).
     */
    public long copyPublished(final int slot, final long published, final MemorySegment dst, final long dstOffset)
    {
        final MemorySegment segment = this.segment;
        final long offset = recordsOffset + (long)slot * recordLength;
        final long generation = (long)LONG_HANDLE.getAcquire(segment, offset);
        if (generation < 0 || generation >= published)
        {
            return NONE;
        }
        MemorySegment.copy(segment, offset, dst, dstOffset, recordLength);
        // LoadLoad fence: the payload loads above complete before the commit word is read again.
        VarHandle.loadLoadFence();
        return (long)LONG_HANDLE.getOpaque(segment, offset) == generation ? generation : NONE;
    }

    /**
     * Any thread: reads the first and the last word of a record with plain loads, so that the cache misses of many
     * records overlap before they are copied one by one. The value means nothing (the record may be mid-write);
     * fold it into something the caller keeps so the loads are not removed.
     *
     * @param slot the slot.
     * @return the two words mixed.
     */
    public long touch(final int slot)
    {
        final long offset = recordsOffset + (long)slot * recordLength;
        return segment.get(RecordDescriptor.LONG, offset) ^
            segment.get(RecordDescriptor.LONG, offset + recordLength - Long.BYTES);
    }

    /**
     * Bytes per record.
     *
     * @return the record length.
     */
    public int recordLength()
    {
        return recordLength;
    }

    /**
     * Number of slots.
     *
     * @return the capacity.
     */
    public int capacity()
    {
        return capacity;
    }

    /**
     * Byte offset of slot 0 in the segment.
     *
     * @return the offset.
     */
    public long recordsOffset()
    {
        return recordsOffset;
    }
}
