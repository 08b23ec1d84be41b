package dev.rewind.engine.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static dev.rewind.engine.internal.FileHeaderDescriptor.*;
import static dev.rewind.engine.internal.RecordDescriptor.DOUBLE;
import static dev.rewind.engine.internal.RecordDescriptor.INT;
import static dev.rewind.engine.internal.RecordDescriptor.LONG;

/**
 * One replay file mapped into memory: header ({@link FileHeaderDescriptor}), priority trees, then the ring of
 * records, each region page-aligned. Creates a new file or opens an existing one and checks that its header matches
 * the expected layout field by field.
 */
public final class ReplayFile implements AutoCloseable
{
    private static final long PAGE = 4096;

    /**
     * What a file must hold: the part of the configuration that shapes its bytes.
     *
     * @param schemaDescriptor the schema's descriptor text.
     * @param recordLength     bytes per record.
     * @param capacity         records in the ring.
     * @param fanout           priority-tree fan-out, 0 for a uniform buffer (no trees).
     * @param priorityMode     0 uniform, 1 proportional PER, 2 LAP.
     * @param alpha            priority exponent.
     * @param eps              eps (PER) or kappa (LAP).
     */
    public record Layout(
        String schemaDescriptor, int recordLength, int capacity, int fanout, int priorityMode, double alpha, double eps)
    {
    }

    private final Path path;
    private final boolean deleteOnClose;
    private final Arena arena;
    private final MemorySegment segment;
    private final long treesOffset;
    private final long recordsOffset;
    private final boolean created;
    /** Whether {@link #openOrCreate} made the file at a path where there was none (see {@link #discard()}). */
    private boolean newFile;
    /** Whether the file was there but empty before {@link #openOrCreate} formatted it (see {@link #discard()}). */
    private boolean wasEmpty;

    private ReplayFile(
        final Path path, final boolean deleteOnClose, final Arena arena, final MemorySegment segment,
        final long treesOffset, final long recordsOffset, final boolean created)
    {
        this.path = path;
        this.deleteOnClose = deleteOnClose;
        this.arena = arena;
        this.segment = segment;
        this.treesOffset = treesOffset;
        this.recordsOffset = recordsOffset;
        this.created = created;
    }

    /**
     * Total file length for a layout.
     *
     * @param layout the layout.
     * @return bytes.
     */
    public static long fileLength(final Layout layout)
    {
        return recordsOffset(layout) + (long)layout.capacity() * layout.recordLength();
    }

    private static long recordsOffset(final Layout layout)
    {
        final long trees = 0 == layout.fanout() ? 0 : PriorityTrees.regionLength(layout.capacity(), layout.fanout());
        return alignToPage(HEADER_LENGTH + trees);
    }

    private static long alignToPage(final long offset)
    {
        return (offset + PAGE - 1) & -PAGE;
    }

    /**
     * Creates a file at {@code path}, or opens and verifies the one there.
     *
     * @param path          where the file lives; {@code null} for a new temporary file.
     * @param deleteOnClose delete the file when closed (temporary files).
     * @param layout        what the file must hold.
     * @return the mapped file; {@link #created()} tells which happened.
     * @throws IllegalStateException if an existing file's header does not match {@code layout}.
     * @throws UncheckedIOException  on an I/O failure.
     */
    public static ReplayFile openOrCreate(final Path path, final boolean deleteOnClose, final Layout layout)
    {
        final byte[] schemaBytes = layout.schemaDescriptor().getBytes(StandardCharsets.UTF_8);
        if (schemaBytes.length > SCHEMA_MAX_LENGTH)
        {
            throw new IllegalArgumentException("schema descriptor too long for the file header: " +
                schemaBytes.length + " bytes, at most " + SCHEMA_MAX_LENGTH);
        }
        Path created = null;
        try
        {
            final Path file;
            if (null == path)
            {
                file = Files.createTempFile("rewind-", ".replay");
                created = file;
            }
            else
            {
                file = path;
            }
            // A path that is not there (not even as a link) is created here, and only then may a failure remove it.
            final boolean fresh = null == created && !Files.exists(file, LinkOption.NOFOLLOW_LINKS);
            final boolean exists = !fresh && Files.size(file) > 0;
            final long length = fileLength(layout);
            final Arena arena = Arena.ofShared();
            try (FileChannel channel = fresh ?
                FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS) :
                FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                if (fresh)
                {
                    created = file;
                }
                if (exists)
                {
                    verify(file, channel, layout, length);
                }
                else
                {
                    channel.truncate(0);
                }
                final MemorySegment segment = channel.map(FileChannel.MapMode.READ_WRITE, 0, length, arena);
                final ReplayFile replayFile = new ReplayFile(
                    file, deleteOnClose, arena, segment, HEADER_LENGTH, recordsOffset(layout), !exists);
                replayFile.newFile = null != created;
                replayFile.wasEmpty = null == created && !exists;
                if (!exists)
                {
                    replayFile.writeHeader(layout, schemaBytes);
                }
                return replayFile;
            }
            catch (final RuntimeException | IOException ex)
            {
                arena.close();
                throw ex;
            }
        }
        catch (final IOException ex)
        {
            deleteQuietly(created, ex);
            throw new UncheckedIOException("cannot map replay file " + path + ": " + ex.getMessage(), ex);
        }
        catch (final RuntimeException ex)
        {
            deleteQuietly(created, ex);
            throw ex;
        }
    }

    /**
     * Removes a file this open created before it failed (a temporary file, or a path that did not exist), so that
     * a refused open leaves nothing behind; a file that was there before is never touched.
     */
    private static void deleteQuietly(final Path created, final Exception cause)
    {
        if (null == created)
        {
            return;
        }
        try
        {
            Files.deleteIfExists(created);
        }
        catch (final IOException ex)
        {
            cause.addSuppressed(ex);
        }
    }

    /**
     * Creates a buffer's memory without a file: native memory laid out like a replay file, freed by the garbage
     * collector once unreachable (so a caller that never closes it leaks nothing). For tests, stress tests and
     * buffers that need not survive the process.
     *
     * @param layout what the memory must hold.
     * @return the region; {@link #path()} is null, {@link #created()} true, {@link #force()} does nothing.
     */
    public static ReplayFile inMemory(final Layout layout)
    {
        final byte[] schemaBytes = layout.schemaDescriptor().getBytes(StandardCharsets.UTF_8);
        if (schemaBytes.length > SCHEMA_MAX_LENGTH)
        {
            throw new IllegalArgumentException("schema descriptor too long for the file header: " +
                schemaBytes.length + " bytes, at most " + SCHEMA_MAX_LENGTH);
        }
        final MemorySegment segment = Arena.ofAuto().allocate(fileLength(layout), PAGE);
        final ReplayFile replayFile = new ReplayFile(
            null, false, null, segment, HEADER_LENGTH, recordsOffset(layout), true);
        replayFile.writeHeader(layout, schemaBytes);
        return replayFile;
    }

    private static void verify(final Path file, final FileChannel channel, final Layout layout, final long length)
        throws IOException
    {
        if (channel.size() < HEADER_LENGTH)
        {
            throw new IllegalStateException("not a replay file (shorter than its header): " + file);
        }
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment header = channel.map(FileChannel.MapMode.READ_ONLY, 0, HEADER_LENGTH, arena);
            final long magic = header.get(LONG, MAGIC_OFFSET);
            if (MAGIC != magic)
            {
                throw new IllegalStateException("not a replay file (bad magic " + Long.toHexString(magic) + "): " + file);
            }
            final int version = (int)INT.varHandle().getAcquire(header, (long)LAYOUT_VERSION_OFFSET);
            if (LAYOUT_VERSION != version)
            {
                throw new IllegalStateException("layout version: file=" + version + " code=" + LAYOUT_VERSION +
                    " (" + file + ")");
            }
            final int schemaLength = header.get(INT, SCHEMA_LENGTH_OFFSET);
            final String schema = schemaLength < 0 || schemaLength > SCHEMA_MAX_LENGTH ? "<corrupt>" : new String(
                header.asSlice(SCHEMA_OFFSET, schemaLength).toArray(RecordDescriptor.BYTE), StandardCharsets.UTF_8);
            mustMatch(file, "schema", schema, layout.schemaDescriptor());
            mustMatch(file, "record length", header.get(INT, RECORD_LENGTH_OFFSET), layout.recordLength());
            mustMatch(file, "capacity", header.get(LONG, CAPACITY_OFFSET), (long)layout.capacity());
            mustMatch(file, "tree fanout", header.get(INT, FANOUT_OFFSET), layout.fanout());
            mustMatch(file, "priority mode", header.get(INT, PRIORITY_MODE_OFFSET), layout.priorityMode());
            mustMatch(file, "alpha", header.get(DOUBLE, ALPHA_OFFSET), layout.alpha());
            mustMatch(file, "eps", header.get(DOUBLE, EPS_OFFSET), layout.eps());
        }
        if (channel.size() != length)
        {
            throw new IllegalStateException("replay file length: file=" + channel.size() + " expected=" + length +
                " (" + file + ")");
        }
    }

    private static void mustMatch(final Path file, final String what, final Object inFile, final Object expected)
    {
        if (!inFile.equals(expected))
        {
            throw new IllegalStateException(what + " mismatch: file=" + inFile + " code=" + expected + " (" + file + ")");
        }
    }

    private void writeHeader(final Layout layout, final byte[] schemaBytes)
    {
        segment.set(LONG, MAGIC_OFFSET, MAGIC);
        segment.set(INT, RECORD_LENGTH_OFFSET, layout.recordLength());
        segment.set(LONG, CAPACITY_OFFSET, layout.capacity());
        segment.set(INT, FANOUT_OFFSET, layout.fanout());
        segment.set(INT, PRIORITY_MODE_OFFSET, layout.priorityMode());
        segment.set(DOUBLE, ALPHA_OFFSET, layout.alpha());
        segment.set(DOUBLE, EPS_OFFSET, layout.eps());
        segment.set(LONG, TREES_OFFSET_OFFSET, treesOffset);
        segment.set(LONG, RECORDS_OFFSET_OFFSET, recordsOffset);
        segment.set(INT, SCHEMA_LENGTH_OFFSET, schemaBytes.length);
        MemorySegment.copy(schemaBytes, 0, segment, RecordDescriptor.BYTE, SCHEMA_OFFSET, schemaBytes.length);
        segment.set(LONG, WRITE_SEQUENCE_OFFSET, 0L);
        segment.set(DOUBLE, MAX_MASS_OFFSET, 1.0);
        // Written last: a file whose creation was interrupted has version 0 and is refused on open.
        INT.varHandle().setRelease(segment, (long)LAYOUT_VERSION_OFFSET, LAYOUT_VERSION);
    }

    /**
     * The whole mapping.
     *
     * @return the mapped segment.
     */
    public MemorySegment segment()
    {
        return segment;
    }

    /**
     * Byte offset of the trees region.
     *
     * @return the offset.
     */
    public long treesOffset()
    {
        return treesOffset;
    }

    /**
     * Byte offset of the first record.
     *
     * @return the offset.
     */
    public long recordsOffset()
    {
        return recordsOffset;
    }

    /**
     * Whether {@link #openOrCreate} made a new file rather than opening one.
     *
     * @return true for a new file.
     */
    public boolean created()
    {
        return created;
    }

    /**
     * Where the file is.
     *
     * @return the path, null for an in-memory region.
     */
    public Path path()
    {
        return path;
    }

    /**
     * Writes dirty pages back to the file (msync); nothing for an in-memory region.
     */
    public void force()
    {
        if (null != arena)
        {
            segment.force();
        }
    }

    /**
     * Unmaps a file whose buffer could not be built around it, and deletes it if it was temporary or if
     * {@link #openOrCreate} created it, or empties it again if it was an empty file: a failed build leaves the path
     * as it found it.
     */
    public void discard()
    {
        close();
        if (null == path || !(newFile || wasEmpty))
        {
            return;
        }
        try
        {
            if (newFile)
            {
                Files.deleteIfExists(path);
            }
            else
            {
                try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE))
                {
                    channel.truncate(0);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot restore replay file " + path, ex);
        }
    }

    /**
     * Unmaps, and deletes the file if it was temporary. An in-memory region is left to the garbage collector.
     */
    @Override
    public void close()
    {
        if (null == arena)
        {
            return;
        }
        arena.close();
        if (deleteOnClose)
        {
            try
            {
                Files.deleteIfExists(path);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("cannot delete replay file " + path, ex);
            }
        }
    }
}
