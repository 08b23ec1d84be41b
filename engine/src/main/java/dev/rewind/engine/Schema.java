package dev.rewind.engine;

import dev.rewind.engine.internal.RecordDescriptor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The named, typed, shaped fields of a transition, and the fixed record layout they are stored in.
 *
 * <p>Every record starts with the engine's header ({@link RecordDescriptor}: commit word, flags), then the fields in
 * declaration order, each at the next offset that is a multiple of its element size (natural alignment); the record
 * length is rounded up to a multiple of 8 so that every record's header stays 8-byte aligned.
 * {@link #layoutDiagram()} draws the result.
 *
 * <pre>{@code
 * Schema schema = Schema.builder()
 *     .float32("obs", 4).int32("action").float32("reward").float32("next_obs", 4).bool("done")
 *     .build();
 * }</pre>
 */
public final class Schema
{
    private final List<Field> fields;
    private final Map<String, Field> byName;
    private final int recordLength;
    /** Built once: {@link #equals} runs on the hot path when a caller's schema is an equal copy. */
    private final String descriptor;

    private Schema(final List<Field> fields, final int recordLength)
    {
        this.fields = Collections.unmodifiableList(fields);
        this.byName = new HashMap<>();
        for (final Field field : fields)
        {
            byName.put(field.name(), field);
        }
        this.recordLength = recordLength;
        final StringBuilder sb = new StringBuilder();
        for (final Field field : fields)
        {
            if (!sb.isEmpty())
            {
                sb.append(';');
            }
            sb.append(field.descriptor());
        }
        this.descriptor = sb.toString();
    }

    /**
     * Starts a schema.
     *
     * @return a builder with no fields.
     */
    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * Parses the form produced by {@link #descriptor()}.
     *
     * @param descriptor e.g. {@code obs:float32[4];action:int32[]}.
     * @return the schema.
     * @throws IllegalArgumentException if the text is not a schema descriptor.
     */
    public static Schema parse(final String descriptor)
    {
        final Builder builder = builder();
        if (descriptor.isEmpty())
        {
            return builder.build();
        }
        for (final String part : descriptor.split(";"))
        {
            final int colon = part.indexOf(':');
            final int open = part.indexOf('[');
            if (colon < 1 || open < colon || !part.endsWith("]"))
            {
                throw new IllegalArgumentException("bad field descriptor: " + part);
            }
            final String dims = part.substring(open + 1, part.length() - 1);
            final int[] shape;
            if (dims.isEmpty())
            {
                shape = new int[0];
            }
            else
            {
                final String[] tokens = dims.split(",");
                shape = new int[tokens.length];
                for (int i = 0; i < tokens.length; i++)
                {
                    shape[i] = Integer.parseInt(tokens[i].trim());
                }
            }
            builder.field(part.substring(0, colon), DType.fromLabel(part.substring(colon + 1, open)), shape);
        }
        return builder.build();
    }

    /**
     * Looks a field up by name. Do this once, outside the hot path.
     *
     * @param name the field name.
     * @return the field.
     * @throws IllegalArgumentException if there is no such field.
     */
    public Field field(final String name)
    {
        final Field field = byName.get(name);
        if (null == field)
        {
            throw new IllegalArgumentException("no field named '" + name + "' in schema " + descriptor());
        }
        return field;
    }

    /**
     * Whether a field belongs to this schema (or to an equal one: same name, dtype, shape and offset).
     *
     * @param field the field.
     * @return true if accessors of this schema's records may use it.
     */
    public boolean owns(final Field field)
    {
        final int index = field.index();
        if (index >= fields.size())
        {
            return false;
        }
        final Field own = fields.get(index);
        return own == field || (own.offset() == field.offset() && own.descriptor().equals(field.descriptor()));
    }

    /**
     * The fields in declaration order.
     *
     * @return an unmodifiable list.
     */
    public List<Field> fields()
    {
        return fields;
    }

    /**
     * Bytes per record, header included, a multiple of 8.
     *
     * @return the record length.
     */
    public int recordLength()
    {
        return recordLength;
    }

    /**
     * A stable text form, stored in a mapped file's header and compared on reopen.
     *
     * @return fields as {@code name:dtype[shape]} joined by {@code ;}.
     */
    public String descriptor()
    {
        return descriptor;
    }

    /**
     * Draws the record layout: one line per region with its byte range, padding included.
     *
     * @return a multi-line diagram.
     */
    public String layoutDiagram()
    {
        final StringBuilder sb = new StringBuilder();
        sb.append(String.format("record: %d bytes%n", recordLength));
        sb.append(String.format("  [%6d, %6d) commit word (int64: generation, or BUSY while written)%n",
            RecordDescriptor.COMMIT_OFFSET, RecordDescriptor.COMMIT_OFFSET + 8));
        sb.append(String.format("  [%6d, %6d) flags (int32: bit 0 episode end)%n",
            RecordDescriptor.FLAGS_OFFSET, RecordDescriptor.FLAGS_OFFSET + 4));
        sb.append(String.format("  [%6d, %6d) reserved%n",
            RecordDescriptor.RESERVED_OFFSET, RecordDescriptor.HEADER_LENGTH));
        int cursor = RecordDescriptor.HEADER_LENGTH;
        for (final Field field : fields)
        {
            if (field.offset() > cursor)
            {
                sb.append(String.format("  [%6d, %6d) padding%n", cursor, field.offset()));
            }
            sb.append(String.format("  [%6d, %6d) %s%n", field.offset(), field.offset() + field.length(),
                field.descriptor()));
            cursor = field.offset() + field.length();
        }
        if (recordLength > cursor)
        {
            sb.append(String.format("  [%6d, %6d) padding%n", cursor, recordLength));
        }
        return sb.toString();
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof Schema other && descriptor().equals(other.descriptor());
    }

    @Override
    public int hashCode()
    {
        return descriptor().hashCode();
    }

    @Override
    public String toString()
    {
        return descriptor();
    }

    /**
     * Collects fields in order; {@link #build()} lays them out.
     */
    public static final class Builder
    {
        private final List<String> names = new ArrayList<>();
        private final List<DType> types = new ArrayList<>();
        private final List<int[]> shapes = new ArrayList<>();

        private Builder()
        {
        }

        /**
         * Adds a field.
         *
         * @param name  a unique name of letters, digits, {@code _}, {@code -} or {@code .}.
         * @param dtype the element type.
         * @param shape the dimensions, each positive; none for a scalar.
         * @return this builder.
         * @throws IllegalArgumentException on a duplicate or malformed name, or a non-positive dimension.
         */
        public Builder field(final String name, final DType dtype, final int... shape)
        {
            if (null == name || !name.matches("[A-Za-z0-9_.\\-]+"))
            {
                throw new IllegalArgumentException("field name must be letters, digits, '_', '-' or '.': " + name);
            }
            if (names.contains(name))
            {
                throw new IllegalArgumentException("duplicate field name: " + name);
            }
            if (null == dtype)
            {
                throw new IllegalArgumentException("dtype is null for field " + name);
            }
            long count = 1;
            for (final int dim : shape)
            {
                if (dim < 1)
                {
                    throw new IllegalArgumentException("field " + name + " has a non-positive dimension: " + dim);
                }
                count *= dim;
                if (count * dtype.byteSize() > Integer.MAX_VALUE / 2)
                {
                    throw new IllegalArgumentException("field " + name + " is too large");
                }
            }
            names.add(name);
            types.add(dtype);
            shapes.add(shape.clone());
            return this;
        }

        /**
         * Adds a float32 field.
         *
         * @param name  field name.
         * @param shape dimensions; none for a scalar.
         * @return this builder.
         */
        public Builder float32(final String name, final int... shape)
        {
            return field(name, DType.FLOAT32, shape);
        }

        /**
         * Adds a float64 field.
         *
         * @param name  field name.
         * @param shape dimensions; none for a scalar.
         * @return this builder.
         */
        public Builder float64(final String name, final int... shape)
        {
            return field(name, DType.FLOAT64, shape);
        }

        /**
         * Adds an int32 field.
         *
         * @param name  field name.
         * @param shape dimensions; none for a scalar.
         * @return this builder.
         */
        public Builder int32(final String name, final int... shape)
        {
            return field(name, DType.INT32, shape);
        }

        /**
         * Adds an int64 field.
         *
         * @param name  field name.
         * @param shape dimensions; none for a scalar.
         * @return this builder.
         */
        public Builder int64(final String name, final int... shape)
        {
            return field(name, DType.INT64, shape);
        }

        /**
         * Adds an int8 field.
         *
         * @param name  field name.
         * @param shape dimensions; none for a scalar.
         * @return this builder.
         */
        public Builder int8(final String name, final int... shape)
        {
            return field(name, DType.INT8, shape);
        }

        /**
         * Adds a uint8 field (pixels).
         *
         * @param name  field name.
         * @param shape dimensions; none for a scalar.
         * @return this builder.
         */
        public Builder uint8(final String name, final int... shape)
        {
            return field(name, DType.UINT8, shape);
        }

        /**
         * Adds a bool field.
         *
         * @param name  field name.
         * @param shape dimensions; none for a scalar.
         * @return this builder.
         */
        public Builder bool(final String name, final int... shape)
        {
            return field(name, DType.BOOL, shape);
        }

        /**
         * Lays the fields out.
         *
         * @return the schema.
         * @throws IllegalArgumentException if there are no fields.
         */
        public Schema build()
        {
            if (names.isEmpty())
            {
                throw new IllegalArgumentException("a schema needs at least one field");
            }
            final List<Field> fields = new ArrayList<>(names.size());
            long offset = RecordDescriptor.HEADER_LENGTH;
            for (int i = 0; i < names.size(); i++)
            {
                final DType dtype = types.get(i);
                offset = align(offset, dtype.byteSize());
                final Field field = new Field(names.get(i), dtype, shapes.get(i), i, (int)offset);
                fields.add(field);
                offset += field.length();
                if (offset > Integer.MAX_VALUE / 2)
                {
                    throw new IllegalArgumentException("record too large: " + offset + " bytes");
                }
            }
            return new Schema(fields, (int)align(offset, RecordDescriptor.RECORD_ALIGNMENT));
        }

        private static long align(final long value, final int alignment)
        {
            return (value + alignment - 1) & -alignment;
        }
    }
}
