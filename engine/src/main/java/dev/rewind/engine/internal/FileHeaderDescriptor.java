package dev.rewind.engine.internal;

/**
 * Layout of a replay file's header: static configuration written once at creation, then the writer's published
 * state on cache lines of its own. The layout version is written last and checked on open.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Magic "REWINDRB" (int64)                      |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 Layout version (int32, written last)          |
 *  +---------------------------------------------------------------+
 *  |                 Record length (int32)                         |
 *  +---------------------------------------------------------------+
 *  |                 Capacity (int64)                              |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 Tree fan-out (int32)                          |
 *  +---------------------------------------------------------------+
 *  |                 Priority mode (int32)                         |
 *  +---------------------------------------------------------------+
 *  |                 Alpha (float64)                               |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 Eps or kappa (float64)                        |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 Trees offset (int64)                          |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 Records offset (int64)                        |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 Schema descriptor length (int32)              |
 *  +---------------------------------------------------------------+
 *  |                 Schema descriptor (UTF-8, up to 1792 bytes)  ...
 * ...                                                              |
 *  +---------------------------------------------------------------+ 2048
 *  |                 Write sequence (int64), padded to 128 bytes   |
 *  +---------------------------------------------------------------+ 2176
 *  |                 Maximum priority mass (float64 bits)          |
 *  +---------------------------------------------------------------+ 2304 ... 4096
 * </pre>
 */
public final class FileHeaderDescriptor
{
    /** "REWINDRB" in ASCII, little-endian. */
    public static final long MAGIC = 0x4252444E49574552L;

    /** Version of this layout; a file of any other version is refused. */
    public static final int LAYOUT_VERSION = 4;

    /** Bytes between hot words written by different parties. */
    public static final int CACHE_LINE_LENGTH = 64;

    /** Offset of the magic number. */
    public static final int MAGIC_OFFSET;
    /** Offset of the layout version, written after every other header field. */
    public static final int LAYOUT_VERSION_OFFSET;
    /** Offset of the record length in bytes. */
    public static final int RECORD_LENGTH_OFFSET;
    /** Offset of the capacity in records. */
    public static final int CAPACITY_OFFSET;
    /** Offset of the priority trees' fan-out. */
    public static final int FANOUT_OFFSET;
    /** Offset of the priority mode ({@code ReplayBufferBuilder.MODE_*}: uniform, PER or LAP). */
    public static final int PRIORITY_MODE_OFFSET;
    /** Offset of the priority exponent alpha. */
    public static final int ALPHA_OFFSET;
    /** Offset of eps (PER) or kappa (LAP). */
    public static final int EPS_OFFSET;
    /** Offset of the byte position of the trees region. */
    public static final int TREES_OFFSET_OFFSET;
    /** Offset of the byte position of the records region. */
    public static final int RECORDS_OFFSET_OFFSET;
    /** Offset of the schema descriptor's length. */
    public static final int SCHEMA_LENGTH_OFFSET;
    /** Offset of the schema descriptor's UTF-8 bytes. */
    public static final int SCHEMA_OFFSET;
    /** Largest schema descriptor the header holds. */
    public static final int SCHEMA_MAX_LENGTH;
    /** Offset of the write sequence: inserts committed so far, release-stored by the writer. */
    public static final int WRITE_SEQUENCE_OFFSET;
    /** Offset of the running maximum priority mass given to new records. */
    public static final int MAX_MASS_OFFSET;
    /** Length of the header; the trees region starts here. */
    public static final int HEADER_LENGTH = 4096;

    static
    {
        MAGIC_OFFSET = 0;
        LAYOUT_VERSION_OFFSET = MAGIC_OFFSET + Long.BYTES;
        RECORD_LENGTH_OFFSET = LAYOUT_VERSION_OFFSET + Integer.BYTES;
        CAPACITY_OFFSET = RECORD_LENGTH_OFFSET + Integer.BYTES;
        FANOUT_OFFSET = CAPACITY_OFFSET + Long.BYTES;
        PRIORITY_MODE_OFFSET = FANOUT_OFFSET + Integer.BYTES;
        ALPHA_OFFSET = PRIORITY_MODE_OFFSET + Integer.BYTES;
        EPS_OFFSET = ALPHA_OFFSET + Double.BYTES;
        TREES_OFFSET_OFFSET = EPS_OFFSET + Double.BYTES;
        RECORDS_OFFSET_OFFSET = TREES_OFFSET_OFFSET + Long.BYTES;
        SCHEMA_LENGTH_OFFSET = RECORDS_OFFSET_OFFSET + Long.BYTES;
        SCHEMA_OFFSET = 256;
        WRITE_SEQUENCE_OFFSET = 2048;
        SCHEMA_MAX_LENGTH = WRITE_SEQUENCE_OFFSET - SCHEMA_OFFSET;
        MAX_MASS_OFFSET = WRITE_SEQUENCE_OFFSET + CACHE_LINE_LENGTH * 2;
    }

    private FileHeaderDescriptor()
    {
    }
}
