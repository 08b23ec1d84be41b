package dev.rewind.engine;

/**
 * Element type of a schema field. Each element is stored little-endian at its natural alignment.
 */
public enum DType
{
    /** 32-bit IEEE 754 float. */
    FLOAT32("float32", 4),
    /** 64-bit IEEE 754 double. */
    FLOAT64("float64", 8),
    /** 32-bit signed integer. */
    INT32("int32", 4),
    /** 64-bit signed integer. */
    INT64("int64", 8),
    /** 8-bit signed integer. */
    INT8("int8", 1),
    /** 8-bit unsigned integer (pixels), read back as {@code 0..255}. */
    UINT8("uint8", 1),
    /** Boolean stored as one byte, 0 or 1. */
    BOOL("bool", 1);

    private final String label;
    private final int byteSize;

    DType(final String label, final int byteSize)
    {
        this.label = label;
        this.byteSize = byteSize;
    }

    /**
     * Size of one element, which is also its alignment.
     *
     * @return bytes per element.
     */
    public int byteSize()
    {
        return byteSize;
    }

    /**
     * The name used in schema descriptors, e.g. {@code float32}.
     *
     * @return the descriptor label.
     */
    public String label()
    {
        return label;
    }

    /**
     * Parses a descriptor label.
     *
     * @param label a label such as {@code uint8}.
     * @return the matching type.
     * @throws IllegalArgumentException if no type has that label.
     */
    public static DType fromLabel(final String label)
    {
        for (final DType type : values())
        {
            if (type.label.equals(label))
            {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown dtype: " + label);
    }
}
