package dev.rewind.engine.internal;

/**
 * Lock-free rate limiting between inserts and samples, with Reverb's semantics: sampling waits until the buffer
 * holds {@code minSizeToSample} records, and, with a samples-per-insert ratio, the difference
 * {@code diff = inserts * samplesPerInsert - samples} is kept in {@code [minDiff, maxDiff]} where
 * {@code minDiff = samplesPerInsert * minSizeToSample - errorBuffer} and
 * {@code maxDiff = samplesPerInsert * minSizeToSample + errorBuffer}. Samples count rows (a batch of 256 is 256
 * samples), inserts count rows.
 *
 * <p>Producers reserve their rows with a compare-and-set on the admitted-insert count; an add is admitted when its
 * first row fits (a multi-row add may overshoot {@code maxDiff} by its other rows) or while fewer than
 * {@code minSizeToSample} rows were admitted. Learners reserve their rows with a compare-and-set on the sample
 * count, judged against the inserts the writer has published (admitted rows still in the ingest ring cannot be
 * sampled yet). Nothing blocks here: callers spin, yield or park between attempts.
 *
 * <p>Progress: when producers are held back, {@code diff > maxDiff - samplesPerInsert}, so a batch of {@code n} can
 * be sampled once the writer has drained the ring if {@code maxDiff - samplesPerInsert - n >= minDiff}, that is
 * {@code 2 * errorBuffer >= n + samplesPerInsert}; {@link #checkBatch} refuses a batch for which that fails.
 */
public final class RateLimiter
{
    private final long minSizeToSample;
    private final boolean ratio;
    private final double samplesPerInsert;
    private final double errorBuffer;
    private final double minDiff;
    private final double maxDiff;
    private final PaddedCounter admitted = new PaddedCounter();
    private final PaddedCounter samples = new PaddedCounter();
    /** Published inserts that the ratio does not count: those stored at open beyond the minimum size. */
    private final long publishedBefore;

    /**
     * A limiter.
     *
     * @param minSizeToSample  records the buffer must hold before any sample, {@code >= 0} (0 or 1: no minimum).
     * @param samplesPerInsert target sampled rows per inserted row, {@code > 0}, or NaN for no ratio.
     * @param errorBuffer      allowed deviation of {@code diff} from its target, {@code >= max(1, samplesPerInsert)}
     *                         (ignored without a ratio).
     */
    public RateLimiter(final long minSizeToSample, final double samplesPerInsert, final double errorBuffer)
    {
        this(minSizeToSample, samplesPerInsert, errorBuffer, 0);
    }

    /**
     * A limiter for a buffer that already holds records (a reopened file): it carries on as a fresh buffer that has
     * just reached its minimum size, so learners neither wait for that many new inserts nor get the whole stored
     * history's worth of samples at once, and producers and learners count inserts from the same start.
     *
     * @param minSizeToSample  records the buffer must hold before any sample, {@code >= 0} (0 or 1: no minimum).
     * @param samplesPerInsert target sampled rows per inserted row, {@code > 0}, or NaN for no ratio.
     * @param errorBuffer      allowed deviation of {@code diff} from its target, {@code >= max(1, samplesPerInsert)}
     *                         (ignored without a ratio).
     * @param storedAtOpen     the write sequence the buffer was opened at.
     */
    public RateLimiter(
        final long minSizeToSample, final double samplesPerInsert, final double errorBuffer, final long storedAtOpen)
    {
        this.minSizeToSample = minSizeToSample;
        this.ratio = !Double.isNaN(samplesPerInsert);
        this.samplesPerInsert = samplesPerInsert;
        this.errorBuffer = errorBuffer;
        this.minDiff = ratio ? samplesPerInsert * minSizeToSample - errorBuffer : Double.NEGATIVE_INFINITY;
        this.maxDiff = ratio ? samplesPerInsert * minSizeToSample + errorBuffer : Double.POSITIVE_INFINITY;
        final long carried = Math.min(storedAtOpen, minSizeToSample);
        admitted.setRelease(carried);
        this.publishedBefore = storedAtOpen - carried;
    }

    /**
     * A limiter that never holds anyone back; it only counts samples.
     *
     * @return the limiter.
     */
    public static RateLimiter unlimited()
    {
        return new RateLimiter(0, Double.NaN, 0.0);
    }

    /**
     * Whether inserts are ever held back.
     *
     * @return true with a samples-per-insert ratio.
     */
    public boolean limitsInserts()
    {
        return ratio;
    }

    /**
     * Whether samples are ever held back.
     *
     * @return true with a minimum size above 1 or a ratio.
     */
    public boolean limitsSamples()
    {
        return ratio || minSizeToSample > 1;
    }

    /**
     * Checks that a batch size cannot deadlock against the producers.
     *
     * @param n rows per sample.
     * @throws IllegalArgumentException if {@code 2 * errorBuffer < n + samplesPerInsert}.
     */
    public void checkBatch(final int n)
    {
        if (ratio && 2.0 * errorBuffer < n + samplesPerInsert)
        {
            throw new IllegalArgumentException("batch of " + n + " rows can never be sampled under the rate limit: " +
                "need 2 * errorBuffer >= batchSize + samplesPerInsert, errorBuffer=" + errorBuffer +
                " samplesPerInsert=" + samplesPerInsert);
        }
    }

    /**
     * Producer: reserves {@code rows} inserts if the limiter admits them now.
     *
     * @param rows rows of the add.
     * @return true if admitted (undo with {@link #cancelInsert} if the add then fails).
     */
    public boolean tryAcquireInsert(final int rows)
    {
        if (!ratio)
        {
            return true;
        }
        final PaddedCounter admitted = this.admitted;
        while (true)
        {
            final long a = admitted.getVolatile();
            if (a >= minSizeToSample && (a + 1) * samplesPerInsert - samples.getVolatile() > maxDiff)
            {
                return false;
            }
            if (admitted.compareAndSetVolatile(a, a + rows))
            {
                return true;
            }
        }
    }

    /**
     * Producer: gives back a reservation whose add did not happen.
     *
     * @param rows rows reserved.
     */
    public void cancelInsert(final int rows)
    {
        if (ratio)
        {
            admitted.getAndAddVolatile(-rows);
        }
    }

    /**
     * Learner: reserves {@code n} samples if the limiter allows them now.
     *
     * @param published inserts published by the writer.
     * @param capacity  the buffer's capacity.
     * @param n         rows to sample.
     * @return true if allowed (and counted).
     */
    public boolean tryAcquireSample(final long published, final int capacity, final int n)
    {
        final PaddedCounter samples = this.samples;
        if (!limitsSamples())
        {
            samples.getAndAddVolatile(n);
            return true;
        }
        final long size = Math.min(published, capacity);
        if (size < minSizeToSample || size < n)
        {
            return false;
        }
        if (!ratio)
        {
            samples.getAndAddVolatile(n);
            return true;
        }
        while (true)
        {
            final long s = samples.getVolatile();
            if ((published - publishedBefore) * samplesPerInsert - (s + n) < minDiff)
            {
                return false;
            }
            if (samples.compareAndSetVolatile(s, s + n))
            {
                return true;
            }
        }
    }

    /**
     * Learner: gives back a reservation whose rows were not drawn after all.
     *
     * @param n rows reserved.
     */
    public void cancelSample(final int n)
    {
        samples.getAndAddVolatile(-n);
    }

    /**
     * Rows sampled so far.
     *
     * @return the sample count.
     */
    public long samples()
    {
        return samples.getVolatile();
    }

    /**
     * Rows admitted by {@link #tryAcquireInsert} so far (0 without a ratio).
     *
     * @return the admitted count.
     */
    public long admitted()
    {
        return admitted.getVolatile();
    }

    /**
     * The lower bound of {@code diff}.
     *
     * @return minDiff, -infinity without a ratio.
     */
    public double minDiff()
    {
        return minDiff;
    }

    /**
     * The upper bound of {@code diff}.
     *
     * @return maxDiff, +infinity without a ratio.
     */
    public double maxDiff()
    {
        return maxDiff;
    }

    /**
     * The configured ratio.
     *
     * @return samples per insert, NaN without a ratio.
     */
    public double samplesPerInsert()
    {
        return samplesPerInsert;
    }

    /**
     * The configured minimum size.
     *
     * @return records needed before sampling.
     */
    public long minSizeToSample()
    {
        return minSizeToSample;
    }
}
