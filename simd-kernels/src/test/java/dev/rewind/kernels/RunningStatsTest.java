package dev.rewind.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Welford statistics: against a two-pass computation, merge against a single pass, and standardisation.
 */
class RunningStatsTest
{
    private static final int FEATURES = 5;

    /** Rows with a large offset per feature, where a naive sum of squares would lose the variance. */
    private static float[] rows(final SplittableRandom random, final int count)
    {
        final float[] rows = new float[count * FEATURES];
        for (int r = 0; r < count; r++)
        {
            for (int j = 0; j < FEATURES; j++)
            {
                rows[r * FEATURES + j] = (float)(1000.0 * j + (j + 1) * (random.nextDouble() - 0.5));
            }
        }
        return rows;
    }

    @Test
    void shouldMatchTwoPassMeanAndVariance()
    {
        final float[] data = rows(new SplittableRandom(1), 1000);
        final RunningStats stats = new RunningStats(FEATURES);
        stats.addAll(data, 1000);
        assertEquals(1000, stats.count());
        for (int j = 0; j < FEATURES; j++)
        {
            double mean = 0.0;
            for (int r = 0; r < 1000; r++)
            {
                mean += data[r * FEATURES + j];
            }
            mean /= 1000;
            double m2 = 0.0;
            for (int r = 0; r < 1000; r++)
            {
                final double d = data[r * FEATURES + j] - mean;
                m2 += d * d;
            }
            // Welford in double: relative error a small multiple of n * 2^-53 of the magnitudes involved.
            assertEquals(mean, stats.mean(j), 1e-9 * Math.max(1.0, Math.abs(mean)));
            assertEquals(m2 / 1000, stats.variance(j), 1e-9 * (m2 / 1000) + 1e-12);
        }
    }

    @Test
    void shouldMergeLikeASinglePass()
    {
        final float[] data = rows(new SplittableRandom(2), 700);
        final RunningStats all = new RunningStats(FEATURES);
        all.addAll(data, 700);
        final RunningStats left = new RunningStats(FEATURES);
        final RunningStats right = new RunningStats(FEATURES);
        for (int r = 0; r < 700; r++)
        {
            (r < 300 ? left : right).add(data, r * FEATURES);
        }
        left.merge(right);
        left.merge(new RunningStats(FEATURES));
        assertEquals(700, left.count());
        for (int j = 0; j < FEATURES; j++)
        {
            assertEquals(all.mean(j), left.mean(j), 1e-9 * Math.max(1.0, Math.abs(all.mean(j))));
            assertEquals(all.variance(j), left.variance(j), 1e-9 * all.variance(j));
        }
        final RunningStats empty = new RunningStats(FEATURES);
        empty.merge(all);
        assertEquals(all.mean(3), empty.mean(3), 0.0);
        assertEquals(all.variance(3), empty.variance(3), 0.0);
        assertThrows(IllegalArgumentException.class, () -> all.merge(new RunningStats(FEATURES + 1)));
    }

    @Test
    void shouldStandardiseToZeroMeanUnitVarianceWithBothKernels()
    {
        final float[] data = rows(new SplittableRandom(3), 400);
        final RunningStats stats = new RunningStats(FEATURES);
        stats.addAll(data, 400);
        final float[] scalarOut = new float[data.length];
        final float[] vectorOut = new float[data.length];
        stats.standardise(Fixtures.SCALAR, data, 400, scalarOut);
        stats.standardise(Fixtures.VECTOR, data, 400, vectorOut);
        assertArrayEquals(scalarOut, vectorOut);
        for (int j = 0; j < FEATURES; j++)
        {
            double mean = 0.0;
            double square = 0.0;
            for (int r = 0; r < 400; r++)
            {
                mean += vectorOut[r * FEATURES + j];
                square += vectorOut[r * FEATURES + j] * vectorOut[r * FEATURES + j];
            }
            mean /= 400;
            // Offsets of 1000 j in float carry 2^-24 * 4000 ~ 2.4e-4 absolute per value, over deviations of
            // about (j + 1) / sqrt(12): standardised values are good to about 1e-3.
            assertEquals(0.0, mean, 2e-3);
            assertEquals(1.0, square / 400 - mean * mean, 5e-3);
        }
    }

    @Test
    void shouldMapConstantFeaturesToZero()
    {
        final RunningStats stats = new RunningStats(2);
        for (int i = 0; i < 10; i++)
        {
            stats.add(new float[] {3.0f, i}, 0);
        }
        final float[] out = new float[2];
        stats.standardise(Kernels.best(), new float[] {3.0f, 4.5f}, 1, out);
        assertEquals(0.0f, out[0], 0.0f);
        assertEquals(0.0f, out[1], 1e-6f);
    }
}
