package dev.rewind.engine;

import dev.rewind.engine.internal.RecordDescriptor;

import java.lang.foreign.MemorySegment;

import static dev.rewind.engine.internal.RecordDescriptor.BYTE;
import static dev.rewind.engine.internal.RecordDescriptor.DOUBLE;
import static dev.rewind.engine.internal.RecordDescriptor.FLOAT;
import static dev.rewind.engine.internal.RecordDescriptor.INT;
import static dev.rewind.engine.internal.RecordDescriptor.LONG;

/**
 * A minibatch drawn from a {@link ReplayBuffer}: for each row the slot index, its generation (pass both back to
 * {@link ReplayBuffer#updatePriorities}), the importance weight and the sampling probability, and access to the
 * record's fields straight from the mapped file (zero-copy) or copied into arrays.
 *
 * <p>Reusable: create one per learner with {@link ReplayBuffer#newBatch(int)} and pass it to every
 * {@code sample} call, so the learner's steady state allocates nothing. The arrays returned by {@link #indices()},
 * {@link #generations()} and {@link #weights()} are the batch's own storage: valid in {@code [0, size())} until the
 * next sample into this batch, and not to be modified.
 *
 * <h2>Zero-copy views and copies</h2>
 * A batch filled by a single-threaded buffer, or by a {@link ConcurrentReplay} on its writer thread (embedded mode),
 * reads its fields straight from the mapped records (zero-copy): valid until the writer next appends. A batch filled
 * by a {@link ConcurrentReplay} on any other thread holds its own copy of every record, taken under the slot's
 * sequence lock (the generation read before and after the copy matched, so no row is torn): every accessor
 * ({@code get*}, {@code copyTo}, {@link #view}, {@link #isEpisodeEnd}) then reads that copy and stays valid, whatever
 * the writer does, until the next sample into this batch. Not thread-safe: one learner thread per batch.
 */
public final class SampleBatch
{
    /** Set {@code -Drewind.disable.bounds.checks=true} to drop per-access field checks (benchmarks only). */
    public static final String DISABLE_BOUNDS_CHECKS_PROP_NAME = "rewind.disable.bounds.checks";

    static final boolean SHOULD_BOUNDS_CHECK = !Boolean.getBoolean(DISABLE_BOUNDS_CHECKS_PROP_NAME);

    private final Schema schema;
    private final int capacity;
    private final int recordLength;
    final int[] indices;
    final long[] generations;
    final double[] weights;
    final double[] masses;
    /** Scratch of a prioritized draw: the targets, then the chosen leaves' masses, in tree units. */
    final long[] targetUnits;
    final long[] massUnits;
    MemorySegment records;
    long recordsOffset;
    /** Where each row's record is in {@link #records}: {@link #indices} (zero-copy) or row numbers (own copies). */
    int[] recordIndex;
    /** Copies and scratch for a concurrent buffer's learners; null until first needed. */
    ConcurrentScratch concurrent;
    double totalMass;
    int size;

    SampleBatch(final Schema schema, final int capacity)
    {
        if (capacity < 1)
        {
            throw new IllegalArgumentException("batch capacity must be positive: capacity=" + capacity);
        }
        this.schema = schema;
        this.capacity = capacity;
        this.recordLength = schema.recordLength();
        this.indices = new int[capacity];
        this.generations = new long[capacity];
        this.weights = new double[capacity];
        this.masses = new double[capacity];
        this.targetUnits = new long[capacity];
        this.massUnits = new long[capacity];
        this.recordIndex = indices;
    }

    /**
     * Rows in the batch.
     *
     * @return the size of the last sample into this batch.
     */
    public int size()
    {
        return size;
    }

    /**
     * Most rows this batch holds.
     *
     * @return the capacity.
     */
    public int capacity()
    {
        return capacity;
    }

    /**
     * The schema of the records.
     *
     * @return the schema.
     */
    public Schema schema()
    {
        return schema;
    }

    /**
     * Slot indices of the rows: the batch's own array, valid in {@code [0, size())}.
     *
     * @return the indices.
     */
    public int[] indices()
    {
        return indices;
    }

    /**
     * Generations (insert sequences) of the rows: the batch's own array, valid in {@code [0, size())}.
     *
     * @return the generations.
     */
    public long[] generations()
    {
        return generations;
    }

    /**
     * Importance weights of the rows, at most 1: the batch's own array, valid in {@code [0, size())}. All 1 for a
     * uniform sample.
     *
     * @return the weights.
     */
    public double[] weights()
    {
        return weights;
    }

    /**
     * Slot index of a row.
     *
     * @param row the row.
     * @return the slot.
     */
    public int index(final int row)
    {
        checkRow(row);
        return indices[row];
    }

    /**
     * Generation of a row.
     *
     * @param row the row.
     * @return the generation.
     */
    public long generation(final int row)
    {
        checkRow(row);
        return generations[row];
    }

    /**
     * Importance weight of a row.
     *
     * @param row the row.
     * @return the weight.
     */
    public double weight(final int row)
    {
        checkRow(row);
        return weights[row];
    }

    /**
     * The probability with which this row's slot was drawn by one draw: {@code mass_i / sum_j mass_j} for a
     * prioritized sample, where the mass is {@code (p + eps)^alpha} (PER) or {@code max(p, kappa)^alpha} (LAP) of the
     * raw priority {@code p}; {@code 1 / size} for a uniform one.
     *
     * @param row the row.
     * @return the probability.
     */
    public double probability(final int row)
    {
        checkRow(row);
        return masses[row] / totalMass;
    }

    /**
     * Whether the row's transition ended its episode.
     *
     * @param row the row.
     * @return the episode-end marker.
     */
    public boolean isEpisodeEnd(final int row)
    {
        return (records.get(INT, recordOffset(row) + RecordDescriptor.FLAGS_OFFSET) &
            RecordDescriptor.EPISODE_END_FLAG) != 0;
    }

    /**
     * A zero-copy view of one row's field in the mapped file.
     *
     * @param field a field of the schema.
     * @param row   the row.
     * @return a segment of {@code field.length()} bytes, little-endian.
     */
    public MemorySegment view(final Field field, final int row)
    {
        checkField(field);
        return records.asSlice(recordOffset(row) + field.offset(), field.length());
    }

    /**
     * Reads one float32 element.
     *
     * @param field   a float32 field.
     * @param row     the row.
     * @param element the element, {@code 0} for a scalar.
     * @return the value.
     */
    public float getFloat(final Field field, final int row, final int element)
    {
        checkAccess(field, DType.FLOAT32, element);
        return records.get(FLOAT, recordOffset(row) + field.offset() + ((long)element << 2));
    }

    /**
     * Reads one float64 element.
     *
     * @param field   a float64 field.
     * @param row     the row.
     * @param element the element, {@code 0} for a scalar.
     * @return the value.
     */
    public double getDouble(final Field field, final int row, final int element)
    {
        checkAccess(field, DType.FLOAT64, element);
        return records.get(DOUBLE, recordOffset(row) + field.offset() + ((long)element << 3));
    }

    /**
     * Reads one int32 element.
     *
     * @param field   an int32 field.
     * @param row     the row.
     * @param element the element, {@code 0} for a scalar.
     * @return the value.
     */
    public int getInt(final Field field, final int row, final int element)
    {
        checkAccess(field, DType.INT32, element);
        return records.get(INT, recordOffset(row) + field.offset() + ((long)element << 2));
    }

    /**
     * Reads one int64 element.
     *
     * @param field   an int64 field.
     * @param row     the row.
     * @param element the element, {@code 0} for a scalar.
     * @return the value.
     */
    public long getLong(final Field field, final int row, final int element)
    {
        checkAccess(field, DType.INT64, element);
        return records.get(LONG, recordOffset(row) + field.offset() + ((long)element << 3));
    }

    /**
     * Reads one int8, uint8 ({@code 0..255}) or bool ({@code 0} or {@code 1}) element.
     *
     * @param field   a one-byte field.
     * @param row     the row.
     * @param element the element, {@code 0} for a scalar.
     * @return the value, unsigned for uint8.
     */
    public int getByte(final Field field, final int row, final int element)
    {
        if (SHOULD_BOUNDS_CHECK)
        {
            checkField(field);
            if (field.dtype().byteSize() != 1)
            {
                field.checkType(DType.INT8);
            }
            field.checkElement(element);
        }
        final byte value = records.get(BYTE, recordOffset(row) + field.offset() + element);
        return field.dtype() == DType.INT8 ? value : value & 0xFF;
    }

    /**
     * Reads one bool element.
     *
     * @param field   a bool field.
     * @param row     the row.
     * @param element the element, {@code 0} for a scalar.
     * @return the value.
     */
    public boolean getBool(final Field field, final int row, final int element)
    {
        checkAccess(field, DType.BOOL, element);
        return records.get(BYTE, recordOffset(row) + field.offset() + element) != 0;
    }

    /**
     * Copies a float32 field of every row into {@code dst}, row after row ({@code size() * elementCount} values).
     *
     * @param field a float32 field.
     * @param dst   destination, at least {@code size() * field.elementCount()} long.
     */
    public void copyTo(final Field field, final float[] dst)
    {
        checkCopy(field, DType.FLOAT32, dst.length);
        final int count = field.elementCount();
        for (int row = 0; row < size; row++)
        {
            MemorySegment.copy(records, FLOAT, recordOffset(row) + field.offset(), dst, row * count, count);
        }
    }

    /**
     * Copies a float64 field of every row into {@code dst}, row after row.
     *
     * @param field a float64 field.
     * @param dst   destination, at least {@code size() * field.elementCount()} long.
     */
    public void copyTo(final Field field, final double[] dst)
    {
        checkCopy(field, DType.FLOAT64, dst.length);
        final int count = field.elementCount();
        for (int row = 0; row < size; row++)
        {
            MemorySegment.copy(records, DOUBLE, recordOffset(row) + field.offset(), dst, row * count, count);
        }
    }

    /**
     * Copies an int32 field of every row into {@code dst}, row after row.
     *
     * @param field an int32 field.
     * @param dst   destination, at least {@code size() * field.elementCount()} long.
     */
    public void copyTo(final Field field, final int[] dst)
    {
        checkCopy(field, DType.INT32, dst.length);
        final int count = field.elementCount();
        for (int row = 0; row < size; row++)
        {
            MemorySegment.copy(records, INT, recordOffset(row) + field.offset(), dst, row * count, count);
        }
    }

    /**
     * Copies an int64 field of every row into {@code dst}, row after row.
     *
     * @param field an int64 field.
     * @param dst   destination, at least {@code size() * field.elementCount()} long.
     */
    public void copyTo(final Field field, final long[] dst)
    {
        checkCopy(field, DType.INT64, dst.length);
        final int count = field.elementCount();
        for (int row = 0; row < size; row++)
        {
            MemorySegment.copy(records, LONG, recordOffset(row) + field.offset(), dst, row * count, count);
        }
    }

    /**
     * Copies a one-byte field (int8, uint8 or bool) of every row into {@code dst}, row after row, as raw bytes.
     *
     * @param field a one-byte field.
     * @param dst   destination, at least {@code size() * field.elementCount()} long.
     */
    public void copyTo(final Field field, final byte[] dst)
    {
        checkField(field);
        if (field.dtype().byteSize() != 1)
        {
            field.checkType(DType.UINT8);
        }
        checkLength(field, dst.length);
        final int count = field.elementCount();
        for (int row = 0; row < size; row++)
        {
            MemorySegment.copy(records, BYTE, recordOffset(row) + field.offset(), dst, row * count, count);
        }
    }

    /**
     * Copies a one-byte field of every row into {@code dst} as floats: uint8 and bool unsigned, int8 signed.
     * Pixels arrive ready for a network input without a second pass.
     *
     * @param field a one-byte field.
     * @param dst   destination, at least {@code size() * field.elementCount()} long.
     * @param scale multiplier applied to each value (e.g. {@code 1 / 255f}).
     */
    public void copyBytesTo(final Field field, final float[] dst, final float scale)
    {
        checkField(field);
        if (field.dtype().byteSize() != 1)
        {
            field.checkType(DType.UINT8);
        }
        checkLength(field, dst.length);
        final boolean signed = field.dtype() == DType.INT8;
        final int count = field.elementCount();
        for (int row = 0; row < size; row++)
        {
            final long base = recordOffset(row) + field.offset();
            final int out = row * count;
            for (int e = 0; e < count; e++)
            {
                final byte b = records.get(BYTE, base + e);
                dst[out + e] = (signed ? b : b & 0xFF) * scale;
            }
        }
    }

    private long recordOffset(final int row)
    {
        if (SHOULD_BOUNDS_CHECK)
        {
            checkRow(row);
        }
        return recordsOffset + (long)recordIndex[row] * recordLength;
    }

    private void checkRow(final int row)
    {
        if (row < 0 || row >= size)
        {
            throw new IndexOutOfBoundsException("row=" + row + " size=" + size);
        }
    }

    private void checkField(final Field field)
    {
        if (!schema.owns(field))
        {
            throw new IllegalArgumentException("field " + field.name() + " is not a field of schema " + schema);
        }
    }

    private void checkAccess(final Field field, final DType dtype, final int element)
    {
        if (SHOULD_BOUNDS_CHECK)
        {
            checkField(field);
            field.checkType(dtype);
            field.checkElement(element);
        }
    }

    private void checkCopy(final Field field, final DType dtype, final int dstLength)
    {
        checkField(field);
        field.checkType(dtype);
        checkLength(field, dstLength);
    }

    private void checkLength(final Field field, final int dstLength)
    {
        final long needed = (long)size * field.elementCount();
        if (dstLength < needed)
        {
            throw new IllegalArgumentException("destination too short for field " + field.name() + ": length=" +
                dstLength + " needed=" + needed);
        }
    }
}
