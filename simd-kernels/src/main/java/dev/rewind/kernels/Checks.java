package dev.rewind.kernels;

/**
 * Argument checks shared by both kernel implementations, so that the scalar and vector kernels reject exactly the
 * same arguments with exactly the same messages. Each check is a few compares: the kernels run them on every call.
 * Element values (NaN in an input array, a non-positive mass, a negative tree mass) are never checked; the Javadoc of
 * {@link Kernels} says which contracts are the caller's.
 */
final class Checks
{
    /** Largest supported wide-tree fan-out. */
    static final int MAX_FANOUT = 64;

    private Checks()
    {
    }

    /**
     * Checks that {@code [offset, offset + count)} lies inside an array of {@code length} elements.
     *
     * @param arrayName name of the array parameter, for the message.
     * @param length    the array's length.
     * @param offsetName name of the offset parameter, for the message.
     * @param offset    first index.
     * @param count     number of elements.
     * @throws IllegalArgumentException naming the bad values.
     */
    static void range(
        final String arrayName, final int length, final String offsetName, final int offset, final int count)
    {
        if (count < 0 || offset < 0 || offset > length - count)
        {
            throw new IllegalArgumentException("range out of bounds: " + offsetName + "=" + offset + " n=" + count +
                " " + arrayName + ".length=" + length);
        }
    }

    /**
     * Checks that the first {@code count} elements fit an array.
     *
     * @param arrayName name of the array parameter.
     * @param length    the array's length.
     * @param count     number of elements used.
     * @throws IllegalArgumentException naming the bad values.
     */
    static void fits(final String arrayName, final int length, final long count)
    {
        if (count < 0 || count > length)
        {
            throw new IllegalArgumentException("array too short or count negative: " + arrayName + ".length=" +
                length + " needed=" + count);
        }
    }

    /**
     * Checks a count that must be at least one.
     *
     * @param name  parameter name.
     * @param value the count.
     * @throws IllegalArgumentException naming the bad value.
     */
    static void positive(final String name, final int value)
    {
        if (value < 1)
        {
            throw new IllegalArgumentException(name + " must be >= 1: " + name + "=" + value);
        }
    }

    /**
     * Checks a count that must not be negative.
     *
     * @param name  parameter name.
     * @param value the count.
     * @throws IllegalArgumentException naming the bad value.
     */
    static void nonNegative(final String name, final int value)
    {
        if (value < 0)
        {
            throw new IllegalArgumentException(name + " must be >= 0: " + name + "=" + value);
        }
    }

    /**
     * Checks a real parameter that must be finite and {@code >= 0}.
     *
     * @param name  parameter name.
     * @param value the value.
     * @throws IllegalArgumentException naming the bad value (also for NaN and infinity).
     */
    static void nonNegative(final String name, final double value)
    {
        if (!(value >= 0.0) || Double.isInfinite(value))
        {
            throw new IllegalArgumentException(name + " must be finite and >= 0: " + name + "=" + value);
        }
    }

    /**
     * Checks a real parameter that must be finite and {@code > 0}.
     *
     * @param name  parameter name.
     * @param value the value.
     * @throws IllegalArgumentException naming the bad value (also for NaN and infinity).
     */
    static void positive(final String name, final double value)
    {
        if (!(value > 0.0) || Double.isInfinite(value))
        {
            throw new IllegalArgumentException(name + " must be finite and > 0: " + name + "=" + value);
        }
    }

    /**
     * Checks a real parameter that must lie in {@code [0, 1]}.
     *
     * @param name  parameter name.
     * @param value the value.
     * @throws IllegalArgumentException naming the bad value (also for NaN).
     */
    static void unit(final String name, final double value)
    {
        if (!(value >= 0.0 && value <= 1.0))
        {
            throw new IllegalArgumentException(name + " must be in [0, 1]: " + name + "=" + value);
        }
    }

    /**
     * Checks a real parameter that must lie in {@code [0, 1)}.
     *
     * @param name  parameter name.
     * @param value the value.
     * @throws IllegalArgumentException naming the bad value (also for NaN).
     */
    static void unitOpen(final String name, final double value)
    {
        if (!(value >= 0.0 && value < 1.0))
        {
            throw new IllegalArgumentException(name + " must be in [0, 1): " + name + "=" + value);
        }
    }

    /**
     * Checks a wide-tree fan-out: a power of two in {@code [2, MAX_FANOUT]}.
     *
     * @param fanout the fan-out.
     * @throws IllegalArgumentException naming the bad value.
     */
    static void fanout(final int fanout)
    {
        if (fanout < 2 || fanout > MAX_FANOUT || 0 != (fanout & (fanout - 1)))
        {
            throw new IllegalArgumentException("fanout must be a power of two in [2, " + MAX_FANOUT + "]: fanout=" +
                fanout);
        }
    }

    /**
     * Checks that an array reference is present.
     *
     * @param name  parameter name.
     * @param array the reference.
     * @throws IllegalArgumentException if it is null.
     */
    static void notNull(final String name, final Object array)
    {
        if (null == array)
        {
            throw new IllegalArgumentException(name + " must not be null");
        }
    }
}
