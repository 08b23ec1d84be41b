package dev.rewind.engine;

import dev.rewind.engine.internal.RecordDescriptor;

import java.lang.foreign.MemorySegment;

import static dev.rewind.engine.internal.RecordDescriptor.BYTE;
import static dev.rewind.engine.internal.RecordDescriptor.DOUBLE;
import static dev.rewind.engine.internal.RecordDescriptor.FLOAT;
import static dev.rewind.engine.internal.RecordDescriptor.INT;
import static dev.rewind.engine.internal.RecordDescriptor.LONG;

/**
 * A reusable staging area for up to {@link #capacity()} transitions in the buffer's record layout. Fill rows, then
 * hand the whole lot to {@link ReplayBuffer#add(Transitions)}, which copies them into the ring in one go. Every
 * setter checks the field's dtype and shape, so a bad transition is refused here, before the buffer is touched.
 * Nothing allocates after construction.
 *
 * <pre>{@code
 * Transitions t = buffer.newTransitions(1);
 * t.clear().beginRow().put(obs, o).putInt(action, a).putFloat(reward, r).put(nextObs, o2).putBool(done, d);
 * if (d) t.endEpisode();
 * buffer.add(t);
 * }</pre>
 *
 * <p>Not thread-safe: one producer thread fills one {@code Transitions}.
 */
public final class Transitions
{
    private final Schema schema;
    private final int capacity;
    private final int recordLength;
    final MemorySegment rows;
    private int count;
    private long rowOffset = -1;

    /**
     * Creates a staging area for a schema.
     *
     * @param schema   the schema the rows follow.
     * @param capacity rows it can hold, at least 1.
     * @throws IllegalArgumentException if {@code capacity < 1} or the rows would exceed 2 GiB.
     */
    public Transitions(final Schema schema, final int capacity)
    {
        if (capacity < 1)
        {
            throw new IllegalArgumentException("capacity must be positive: capacity=" + capacity);
        }
        final long bytes = (long)capacity * schema.recordLength();
        if (bytes > Integer.MAX_VALUE - 8)
        {
            throw new IllegalArgumentException("staging too large: capacity=" + capacity + " rows of " +
                schema.recordLength() + " bytes");
        }
        this.schema = schema;
        this.capacity = capacity;
        this.recordLength = schema.recordLength();
        // Backed by long[] so the heap segment is 8-byte aligned like the mapped records.
        this.rows = MemorySegment.ofArray(new long[(int)(bytes / Long.BYTES)]);
    }

    /**
     * The schema the rows follow.
     *
     * @return the schema.
     */
    public Schema schema()
    {
        return schema;
    }

    /**
     * Most rows this staging area holds.
     *
     * @return the capacity.
     */
    public int capacity()
    {
        return capacity;
    }

    /**
     * Rows staged so far.
     *
     * @return the count.
     */
    public int count()
    {
        return count;
    }

    /**
     * Forgets all staged rows.
     *
     * @return this.
     */
    public Transitions clear()
    {
        count = 0;
        rowOffset = -1;
        return this;
    }

    /**
     * Starts a new row, zero-filled, and makes it current for the setters.
     *
     * @return this.
     * @throws IllegalStateException if {@link #capacity()} rows are staged already.
     */
    public Transitions beginRow()
    {
        if (count == capacity)
        {
            throw new IllegalStateException("staging is full: capacity=" + capacity);
        }
        final long offset = (long)count * recordLength;
        for (long word = RecordDescriptor.FLAGS_OFFSET; word < recordLength; word += Long.BYTES)
        {
            rows.set(LONG, offset + word, 0L);
        }
        rows.set(LONG, offset + RecordDescriptor.COMMIT_OFFSET, RecordDescriptor.BUSY);
        rowOffset = offset;
        count++;
        return this;
    }

    /**
     * Marks the current row as the last transition of its episode.
     *
     * @return this.
     */
    public Transitions endEpisode()
    {
        final long offset = currentRow() + RecordDescriptor.FLAGS_OFFSET;
        rows.set(INT, offset, rows.get(INT, offset) | RecordDescriptor.EPISODE_END_FLAG);
        return this;
    }

    /**
     * Sets a float32 field of the current row.
     *
     * @param field  a float32 field of this schema.
     * @param values exactly {@code field.elementCount()} values.
     * @return this.
     * @throws IllegalArgumentException on a field of another dtype or shape.
     */
    public Transitions put(final Field field, final float[] values)
    {
        check(field, DType.FLOAT32, values.length);
        MemorySegment.copy(values, 0, rows, FLOAT, currentRow() + field.offset(), values.length);
        return this;
    }

    /**
     * Sets a float64 field of the current row.
     *
     * @param field  a float64 field of this schema.
     * @param values exactly {@code field.elementCount()} values.
     * @return this.
     * @throws IllegalArgumentException on a field of another dtype or shape.
     */
    public Transitions put(final Field field, final double[] values)
    {
        check(field, DType.FLOAT64, values.length);
        MemorySegment.copy(values, 0, rows, DOUBLE, currentRow() + field.offset(), values.length);
        return this;
    }

    /**
     * Sets an int32 field of the current row.
     *
     * @param field  an int32 field of this schema.
     * @param values exactly {@code field.elementCount()} values.
     * @return this.
     * @throws IllegalArgumentException on a field of another dtype or shape.
     */
    public Transitions put(final Field field, final int[] values)
    {
        check(field, DType.INT32, values.length);
        MemorySegment.copy(values, 0, rows, INT, currentRow() + field.offset(), values.length);
        return this;
    }

    /**
     * Sets an int64 field of the current row.
     *
     * @param field  an int64 field of this schema.
     * @param values exactly {@code field.elementCount()} values.
     * @return this.
     * @throws IllegalArgumentException on a field of another dtype or shape.
     */
    public Transitions put(final Field field, final long[] values)
    {
        check(field, DType.INT64, values.length);
        MemorySegment.copy(values, 0, rows, LONG, currentRow() + field.offset(), values.length);
        return this;
    }

    /**
     * Sets an int8 or uint8 field of the current row (uint8 values are the bytes' unsigned readings).
     *
     * @param field  an int8 or uint8 field of this schema.
     * @param values exactly {@code field.elementCount()} values.
     * @return this.
     * @throws IllegalArgumentException on a field of another dtype or shape.
     */
    public Transitions put(final Field field, final byte[] values)
    {
        if (field.dtype() != DType.UINT8)
        {
            check(field, DType.INT8, values.length);
        }
        else
        {
            check(field, DType.UINT8, values.length);
        }
        MemorySegment.copy(values, 0, rows, BYTE, currentRow() + field.offset(), values.length);
        return this;
    }

    /**
     * Sets a bool field of the current row.
     *
     * @param field  a bool field of this schema.
     * @param values exactly {@code field.elementCount()} values.
     * @return this.
     * @throws IllegalArgumentException on a field of another dtype or shape.
     */
    public Transitions put(final Field field, final boolean[] values)
    {
        check(field, DType.BOOL, values.length);
        final long base = currentRow() + field.offset();
        for (int i = 0; i < values.length; i++)
        {
            rows.set(BYTE, base + i, values[i] ? (byte)1 : (byte)0);
        }
        return this;
    }

    /**
     * Sets a scalar float32 field of the current row.
     *
     * @param field a float32 field with one element.
     * @param value the value.
     * @return this.
     * @throws IllegalArgumentException on a field of another dtype or shape.
     */
    public Transitions putFloat(final Field field, final float value)
    {
        check(field, DType.FLOAT32, 1);
        rows.set(FLOAT, currentRow() + field.offset(), value);
        return this;
    }

    /**
     * Sets a scalar float64 field of the current row.
     *
     * @param field a float64 field with one element.
     * @param value the value.
     * @return this.
     * @throws IllegalArgumentException on a field of another dtype or shape.
     */
    public Transitions putDouble(final Field field, final double value)
    {
        check(field, DType.FLOAT64, 1);
        rows.set(DOUBLE, currentRow() + field.offset(), value);
        return this;
    }

    /**
     * Sets a scalar int32 field of the current row.
     *
     * @param field an int32 field with one element.
     * @param value the value.
     * @return this.
     * @throws IllegalArgumentException on a field of another dtype or shape.
     */
    public Transitions putInt(final Field field, final int value)
    {
        check(field, DType.INT32, 1);
        rows.set(INT, currentRow() + field.offset(), value);
        return this;
    }

    /**
     * Sets a scalar int64 field of the current row.
     *
     * @param field an int64 field with one element.
     * @param value the value.
     * @return this.
     * @throws IllegalArgumentException on a field of another dtype or shape.
     */
    public Transitions putLong(final Field field, final long value)
    {
        check(field, DType.INT64, 1);
        rows.set(LONG, currentRow() + field.offset(), value);
        return this;
    }

    /**
     * Sets a scalar int8 field, or a uint8 field from {@code 0..255}, of the current row.
     *
     * @param field an int8 or uint8 field with one element.
     * @param value the value: {@code -128..127} for int8, {@code 0..255} for uint8.
     * @return this.
     * @throws IllegalArgumentException on a field of another dtype or shape, or a value out of the dtype's range.
     */
    public Transitions putByte(final Field field, final int value)
    {
        if (field.dtype() == DType.UINT8)
        {
            check(field, DType.UINT8, 1);
            if (value < 0 || value > 255)
            {
                throw new IllegalArgumentException("uint8 value out of range for field " + field.name() + ": " + value);
            }
        }
        else
        {
            check(field, DType.INT8, 1);
            if (value < Byte.MIN_VALUE || value > Byte.MAX_VALUE)
            {
                throw new IllegalArgumentException("int8 value out of range for field " + field.name() + ": " + value);
            }
        }
        rows.set(BYTE, currentRow() + field.offset(), (byte)value);
        return this;
    }

    /**
     * Sets a scalar bool field of the current row.
     *
     * @param field a bool field with one element.
     * @param value the value.
     * @return this.
     * @throws IllegalArgumentException on a field of another dtype or shape.
     */
    public Transitions putBool(final Field field, final boolean value)
    {
        check(field, DType.BOOL, 1);
        rows.set(BYTE, currentRow() + field.offset(), value ? (byte)1 : (byte)0);
        return this;
    }

    /**
     * The staged rows in the record layout, {@code count() * schema().recordLength()} bytes: what a buffer copies
     * into its ring, or a transport sends.
     *
     * @return a read-only view of the staged rows.
     */
    public MemorySegment stagedRows()
    {
        return rows.asSlice(0, (long)count * recordLength).asReadOnly();
    }

    private long currentRow()
    {
        if (rowOffset < 0)
        {
            throw new IllegalStateException("no current row: call beginRow() first");
        }
        return rowOffset;
    }

    private void check(final Field field, final DType dtype, final int elements)
    {
        if (!schema.owns(field))
        {
            throw new IllegalArgumentException("field " + field.name() + " is not a field of schema " + schema);
        }
        field.checkType(dtype);
        field.checkCount(elements);
    }
}
