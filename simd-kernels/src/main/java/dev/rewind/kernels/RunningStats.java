package dev.rewind.kernels;

/**
 * Running per-feature mean and variance of a stream of float rows (Welford's update, in double), mergeable with
 * another instance (Chan, Golub and LeVeque's pairwise formula), and applied to a batch through
 * {@link Kernels#standardise}. The DALAP reconstruction standardises states with it so that the PSAN similarity does
 * not depend on units.
 *
 * <p>Standardisation uses the population variance {@code M2 / count} and
 * {@code invStd[j] = 1 / sqrt(variance[j] + epsilon)}, so a constant feature maps to 0 instead of dividing by zero.
 * Before the first row the mean and variance are 0, so standardisation only multiplies by
 * {@code 1/sqrt(epsilon)}: add rows first.
 *
 * <p>Single writer: not thread-safe. {@link #standardise} refreshes a cached float copy of the mean and reciprocal
 * deviation only when rows were added since the last call, and allocates nothing.
 */
public final class RunningStats
{
    /** Default variance offset of the reciprocal deviation. */
    public static final double EPSILON_DEFAULT = 1e-8;

    private final int features;
    private final double epsilon;
    private final double[] mean;
    private final double[] m2;
    private final float[] meanCache;
    private final float[] invStdCache;
    private long count;
    private boolean cacheStale = true;

    /**
     * Creates empty statistics with {@link #EPSILON_DEFAULT}.
     *
     * @param features features per row, {@code >= 1}.
     * @throws IllegalArgumentException if {@code features < 1}.
     */
    public RunningStats(final int features)
    {
        this(features, EPSILON_DEFAULT);
    }

    /**
     * Creates empty statistics.
     *
     * @param features features per row, {@code >= 1}.
     * @param epsilon  variance offset in {@code invStd = 1 / sqrt(variance + epsilon)}, {@code > 0}.
     * @throws IllegalArgumentException if {@code features < 1} or {@code epsilon} is not finite and positive.
     */
    public RunningStats(final int features, final double epsilon)
    {
        Checks.positive("features", features);
        Checks.positive("epsilon", epsilon);
        this.features = features;
        this.epsilon = epsilon;
        this.mean = new double[features];
        this.m2 = new double[features];
        this.meanCache = new float[features];
        this.invStdCache = new float[features];
    }

    /**
     * Adds one row.
     *
     * @param row    the values.
     * @param offset index of the row's first feature.
     * @throws IllegalArgumentException if the row does not fit the array.
     */
    public void add(final float[] row, final int offset)
    {
        Checks.range("row", row.length, "offset", offset, features);
        final long n = ++count;
        for (int j = 0; j < features; j++)
        {
            final double x = row[offset + j];
            final double delta = x - mean[j];
            mean[j] += delta / n;
            m2[j] += delta * (x - mean[j]);
        }
        cacheStale = true;
    }

    /**
     * Adds consecutive rows.
     *
     * @param rows  {@code count x features} values.
     * @param count number of rows, {@code >= 0}.
     * @throws IllegalArgumentException if the rows do not fit the array.
     */
    public void addAll(final float[] rows, final int count)
    {
        Checks.nonNegative("count", count);
        Checks.fits("rows", rows.length, (long)count * features);
        for (int r = 0; r < count; r++)
        {
            add(rows, r * features);
        }
    }

    /**
     * Folds another instance's rows into this one, as if they had been added here.
     *
     * @param other statistics over the same features; unchanged.
     * @throws IllegalArgumentException if the feature counts differ.
     */
    public void merge(final RunningStats other)
    {
        if (other.features != features)
        {
            throw new IllegalArgumentException("feature counts differ: this=" + features + " other=" + other.features);
        }
        if (0 == other.count)
        {
            return;
        }
        final long na = count;
        final long nb = other.count;
        final double n = (double)na + nb;
        for (int j = 0; j < features; j++)
        {
            final double delta = other.mean[j] - mean[j];
            mean[j] += delta * (nb / n);
            m2[j] += other.m2[j] + delta * delta * ((double)na * nb / n);
        }
        count = na + nb;
        cacheStale = true;
    }

    /**
     * Forgets every row.
     */
    public void clear()
    {
        count = 0;
        java.util.Arrays.fill(mean, 0.0);
        java.util.Arrays.fill(m2, 0.0);
        cacheStale = true;
    }

    /**
     * Number of rows added (or merged).
     *
     * @return the count.
     */
    public long count()
    {
        return count;
    }

    /**
     * Features per row.
     *
     * @return the width.
     */
    public int features()
    {
        return features;
    }

    /**
     * Mean of one feature.
     *
     * @param feature the feature index.
     * @return its mean, 0 before any row.
     */
    public double mean(final int feature)
    {
        return mean[feature];
    }

    /**
     * Population variance of one feature, {@code M2 / count}.
     *
     * @param feature the feature index.
     * @return its variance, 0 before any row.
     */
    public double variance(final int feature)
    {
        return 0 == count ? 0.0 : m2[feature] / count;
    }

    /**
     * Standardises a batch with the current statistics: {@code out = (x - mean) / sqrt(variance + epsilon)}.
     *
     * @param kernels the kernels to run ({@link Kernels#best()} normally).
     * @param x       {@code rows x features} values.
     * @param rows    number of rows.
     * @param out     destination, {@code rows x features}; may be {@code x}.
     * @throws IllegalArgumentException if the arrays are too short.
     */
    public void standardise(final Kernels kernels, final float[] x, final int rows, final float[] out)
    {
        refreshCache();
        kernels.standardise(x, rows, features, meanCache, invStdCache, out);
    }

    /**
     * The float mean used by {@link #standardise}, refreshed if stale. For {@link Kernels#standardiseRows}.
     *
     * @return the cached per-feature mean (not a copy; do not modify).
     */
    public float[] meanForKernels()
    {
        refreshCache();
        return meanCache;
    }

    /**
     * The float reciprocal deviation used by {@link #standardise}, refreshed if stale.
     *
     * @return the cached per-feature {@code 1 / sqrt(variance + epsilon)} (not a copy; do not modify).
     */
    public float[] invStdForKernels()
    {
        refreshCache();
        return invStdCache;
    }

    private void refreshCache()
    {
        if (cacheStale)
        {
            for (int j = 0; j < features; j++)
            {
                meanCache[j] = (float)mean[j];
                invStdCache[j] = (float)(1.0 / Math.sqrt(variance(j) + epsilon));
            }
            cacheStale = false;
        }
    }
}
