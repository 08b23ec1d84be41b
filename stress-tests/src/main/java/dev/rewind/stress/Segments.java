package dev.rewind.stress;

import dev.rewind.engine.internal.RecordDescriptor;
import dev.rewind.engine.internal.RecordRing;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static dev.rewind.engine.internal.RecordDescriptor.LONG;
import static dev.rewind.engine.internal.RecordDescriptor.LONG_HANDLE;

/**
 * Small native segments for jcstress states: freed by the garbage collector, since states are never closed.
 */
final class Segments
{
    /** Offset of the published write sequence in a test segment (as the file header's). */
    static final long WRITE_SEQUENCE_OFFSET = 0;
    /** Offset of the first record in a test segment. */
    static final long RECORDS_OFFSET = 64;
    /** Payload longs per test record. */
    static final int PAYLOAD_LONGS = 8;
    /** Bytes per test record: the engine's record header, then the payload. */
    static final int RECORD_LENGTH = RecordDescriptor.HEADER_LENGTH + PAYLOAD_LONGS * Long.BYTES;

    private Segments()
    {
    }

    static MemorySegment allocate(final long length)
    {
        return Arena.ofAuto().allocate(length, 64);
    }

    /** A segment holding a published write sequence (0) and a ring of {@code capacity} test records. */
    static MemorySegment ringSegment(final int capacity)
    {
        return allocate(RECORDS_OFFSET + (long)capacity * RECORD_LENGTH);
    }

    static RecordRing ring(final MemorySegment segment, final int capacity)
    {
        return new RecordRing(segment, RECORDS_OFFSET, RECORD_LENGTH, capacity);
    }

    /**
     * Staged rows as {@code Transitions.beginRow} leaves them (commit word BUSY), payload element {@code e} of row
     * {@code r} being {@code base + 10 * r + e}.
     */
    static MemorySegment staged(final int rows, final long base)
    {
        final MemorySegment staged = allocate((long)rows * RECORD_LENGTH);
        for (int r = 0; r < rows; r++)
        {
            final long row = (long)r * RECORD_LENGTH;
            staged.set(LONG, row + RecordDescriptor.COMMIT_OFFSET, RecordDescriptor.BUSY);
            for (int e = 0; e < PAYLOAD_LONGS; e++)
            {
                staged.set(LONG, row + RecordDescriptor.HEADER_LENGTH + (long)e * Long.BYTES, base + 10L * r + e);
            }
        }
        return staged;
    }

    static long payload(final MemorySegment record, final long recordOffset, final int element)
    {
        return record.get(LONG, recordOffset + RecordDescriptor.HEADER_LENGTH + (long)element * Long.BYTES);
    }

    /** The writer's publication, as {@code MappedReplayBuffer.publish}: one release store of the write sequence. */
    static void publish(final MemorySegment segment, final long writeSequence)
    {
        LONG_HANDLE.setRelease(segment, WRITE_SEQUENCE_OFFSET, writeSequence);
    }

    /** The samplers' first read, as the concurrent front end's: the write sequence with acquire. */
    static long acquirePublished(final MemorySegment segment)
    {
        return (long)LONG_HANDLE.getAcquire(segment, WRITE_SEQUENCE_OFFSET);
    }
}
