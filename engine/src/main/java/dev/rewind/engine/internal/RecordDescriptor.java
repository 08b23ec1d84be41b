package dev.rewind.engine.internal;

import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Layout of one record's engine header, which precedes the schema's fields, and the value layouts every mapped
 * access uses (little-endian, naturally aligned).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Commit word (generation or BUSY)              |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 Flags (bit 0: episode end)                    |
 *  +---------------------------------------------------------------+
 *  |                 Reserved                                      |
 *  +---------------------------------------------------------------+
 *  |                 Fields, each naturally aligned               ...
 * ...                                                              |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>The commit word holds the record's generation (its insert sequence) once committed, and {@link #BUSY} while the
 * writer overwrites the record. The writer stores {@code BUSY}, fences, writes the payload, then release-stores the
 * new generation; a reader acquires the word, copies, and re-reads it (a sequence lock).
 */
public final class RecordDescriptor
{
    /** Commit word value while a record is being written. No generation is negative. */
    public static final long BUSY = -1L;

    /** Flag bit: the transition ended its episode. */
    public static final int EPISODE_END_FLAG = 1;

    /** Offset of the commit word (int64). */
    public static final int COMMIT_OFFSET;

    /** Offset of the flags (int32). */
    public static final int FLAGS_OFFSET;

    /** Offset of the reserved int32. */
    public static final int RESERVED_OFFSET;

    /** Length of the engine header; the first field starts here or at the next aligned offset. */
    public static final int HEADER_LENGTH;

    /** Every record length is a multiple of this, so each record's commit word stays 8-byte aligned. */
    public static final int RECORD_ALIGNMENT = 8;

    static
    {
        COMMIT_OFFSET = 0;
        FLAGS_OFFSET = COMMIT_OFFSET + Long.BYTES;
        RESERVED_OFFSET = FLAGS_OFFSET + Integer.BYTES;
        HEADER_LENGTH = RESERVED_OFFSET + Integer.BYTES;
    }

    /** Little-endian aligned int8. */
    public static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    /** Little-endian aligned int32. */
    public static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Little-endian aligned int64. */
    public static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Little-endian aligned float32. */
    public static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Little-endian aligned float64. */
    public static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Memory-ordered access to an int64 in a segment: coordinates {@code (MemorySegment, long offset)}. */
    public static final VarHandle LONG_HANDLE = LONG.varHandle();

    private RecordDescriptor()
    {
    }
}
