package dev.rewind.jmh.kernels;

/**
 * Checks used by the benchmarks' {@code @Setup} methods: vector and scalar results must agree before anything is
 * timed.
 */
final class Agreement
{
    private Agreement()
    {
    }

    static void close(final String what, final double expected, final double actual, final double tolerance)
    {
        if (!(Math.abs(expected - actual) <= tolerance))
        {
            throw new AssertionError(what + ": vector " + actual + " vs scalar " + expected + " (tolerance " +
                tolerance + ")");
        }
    }

    static void relative(final String what, final double[] expected, final double[] actual, final int n,
        final double ulps)
    {
        for (int i = 0; i < n; i++)
        {
            close(what + "[" + i + "]", expected[i], actual[i], ulps * Math.ulp(expected[i]));
        }
    }

    static void exact(final String what, final float[] expected, final float[] actual, final int n)
    {
        for (int i = 0; i < n; i++)
        {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i]))
            {
                throw new AssertionError(what + "[" + i + "]: vector " + actual[i] + " vs scalar " + expected[i]);
            }
        }
    }

    static void exact(final String what, final int[] expected, final int[] actual, final int n)
    {
        for (int i = 0; i < n; i++)
        {
            if (expected[i] != actual[i])
            {
                throw new AssertionError(what + "[" + i + "]: vector " + actual[i] + " vs scalar " + expected[i]);
            }
        }
    }

    static double gamma(final int n, final double u)
    {
        return n * u / (1.0 - n * u);
    }
}
