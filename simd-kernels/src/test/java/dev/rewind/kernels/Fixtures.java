package dev.rewind.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * Shared test data and the rounding constants every tolerance is derived from.
 */
final class Fixtures
{
    /** Awkward sizes: below one vector, odd, one short of a power of two, and beyond a page of doubles. */
    static final int[] SIZES = {1, 7, 13, 255, 1023, 4099};

    /** Unit roundoff of double: every correctly rounded double operation has relative error at most this. */
    static final double U_DOUBLE = 0x1p-53;

    /** Unit roundoff of float. */
    static final double U_FLOAT = 0x1p-24;

    static final Kernels SCALAR = ScalarKernels.INSTANCE;
    static final Kernels VECTOR = new VectorKernels();

    private Fixtures()
    {
    }

    /**
     * Higham's gamma_n = n u / (1 - n u): the relative bound on a sum of n terms in any association order, with
     * respect to the sum of absolute values.
     */
    static double gamma(final int n, final double u)
    {
        return n * u / (1.0 - n * u);
    }

    static double[] randomDoubles(final SplittableRandom random, final int n, final double scale)
    {
        final double[] values = new double[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = (random.nextDouble() * 2.0 - 1.0) * scale;
        }
        return values;
    }

    static float[] randomFloats(final SplittableRandom random, final int n, final double scale)
    {
        final float[] values = new float[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = (float)((random.nextDouble() * 2.0 - 1.0) * scale);
        }
        return values;
    }

    static float[] gaussianFloats(final SplittableRandom random, final int n, final double deviation)
    {
        final float[] values = new float[n];
        for (int i = 0; i < n; i++)
        {
            final double u = 1.0 - random.nextDouble();
            final double v = random.nextDouble();
            values[i] = (float)(deviation * Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2.0 * Math.PI * v));
        }
        return values;
    }

    static MemorySegment segmentOf(final Arena arena, final double[] values)
    {
        final MemorySegment segment = arena.allocate((long)values.length * Double.BYTES + 8, 8);
        for (int i = 0; i < values.length; i++)
        {
            segment.set(ScalarKernels.LE_DOUBLE, (long)i * Double.BYTES, values[i]);
        }
        return segment;
    }
}
