package dev.rewind.engine;

import java.util.Arrays;

/**
 * A named field of a {@link Schema}: a dtype, a shape, and its byte offset inside every record. Obtain fields from
 * {@link Schema#field(String)} once and keep them: the hot-path accessors take a {@code Field}, never a name.
 */
public final class Field
{
    private final String name;
    private final DType dtype;
    private final int[] shape;
    private final int elementCount;
    private final int index;
    private final int offset;
    /** Built once: schema checks on the hot path compare it. */
    private final String descriptor;

    Field(final String name, final DType dtype, final int[] shape, final int index, final int offset)
    {
        this.name = name;
        this.dtype = dtype;
        this.shape = shape.clone();
        int count = 1;
        for (final int dim : shape)
        {
            count = Math.multiplyExact(count, dim);
        }
        this.elementCount = count;
        this.index = index;
        this.offset = offset;
        final StringBuilder sb = new StringBuilder(name).append(':').append(dtype.label()).append('[');
        for (int i = 0; i < shape.length; i++)
        {
            if (i > 0)
            {
                sb.append(',');
            }
            sb.append(shape[i]);
        }
        this.descriptor = sb.append(']').toString();
    }

    /**
     * The field's name.
     *
     * @return the name given to the schema builder.
     */
    public String name()
    {
        return name;
    }

    /**
     * The element type.
     *
     * @return the dtype.
     */
    public DType dtype()
    {
        return dtype;
    }

    /**
     * The shape; empty for a scalar.
     *
     * @return a copy of the dimensions.
     */
    public int[] shape()
    {
        return shape.clone();
    }

    /**
     * Number of elements: the product of the shape, 1 for a scalar.
     *
     * @return the element count.
     */
    public int elementCount()
    {
        return elementCount;
    }

    /**
     * Bytes the field occupies in a record.
     *
     * @return {@code elementCount * dtype.byteSize()}.
     */
    public int length()
    {
        return elementCount * dtype.byteSize();
    }

    /**
     * Position of this field in the schema's field list.
     *
     * @return the zero-based index.
     */
    public int index()
    {
        return index;
    }

    /**
     * Byte offset of the field's first element from the start of a record, naturally aligned.
     *
     * @return the offset.
     */
    public int offset()
    {
        return offset;
    }

    /**
     * The descriptor form, e.g. {@code obs:float32[84,84]} or {@code action:int32[]}.
     *
     * @return the descriptor of this field.
     */
    public String descriptor()
    {
        return descriptor;
    }

    void checkType(final DType expected)
    {
        if (dtype != expected)
        {
            throw new IllegalArgumentException(
                "field " + name + " has dtype " + dtype.label() + ", not " + expected.label());
        }
    }

    void checkCount(final int actual)
    {
        if (actual != elementCount)
        {
            throw new IllegalArgumentException("field " + name + " has shape " + Arrays.toString(shape) +
                " (" + elementCount + " elements), given " + actual + " elements");
        }
    }

    void checkElement(final int element)
    {
        if (element < 0 || element >= elementCount)
        {
            throw new IndexOutOfBoundsException(
                "element=" + element + " out of range for field " + name + " of " + elementCount + " elements");
        }
    }

    @Override
    public String toString()
    {
        return descriptor() + "@" + offset;
    }
}
