package dev.rewind.engine.internal;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The limiter's decisions, worked by hand from Reverb's rule: {@code diff = inserts * spi - samples} kept in
 * {@code [minDiff, maxDiff]}, here {@code minSizeToSample = 100}, {@code spi = 2}, {@code errorBuffer = 10}, so
 * {@code minDiff = 190} and {@code maxDiff = 210}.
 */
class RateLimiterTest
{
    private static final int CAPACITY = 4096;

    /** Samples of one row granted until the first refusal. */
    private static int samplesGranted(final RateLimiter limiter, final long published)
    {
        int granted = 0;
        while (limiter.tryAcquireSample(published, CAPACITY, 1))
        {
            granted++;
        }
        return granted;
    }

    /** Inserts of one row admitted until the first refusal. */
    private static int insertsAdmitted(final RateLimiter limiter)
    {
        int admitted = 0;
        while (limiter.tryAcquireInsert(1))
        {
            admitted++;
        }
        return admitted;
    }

    @Test
    void shouldHoldAFreshBufferToItsRatio()
    {
        final RateLimiter limiter = new RateLimiter(100, 2.0, 10.0);
        assertFalse(limiter.tryAcquireSample(99, CAPACITY, 1), "below the minimum size");
        // Below the minimum every insert is admitted; then diff = 200 - 0 may rise to 210: 5 more.
        assertEquals(105, insertsAdmitted(limiter));
        // Published 105: diff = 210 - samples >= 190, so 20 samples.
        assertEquals(20, samplesGranted(limiter, 105));
        assertEquals(10, insertsAdmitted(limiter), "diff back to 190: inserts until (a + 1) * 2 - 20 > 210");
    }

    /**
     * A reopened file holding 1,000 records carries on as a fresh buffer just at its minimum size: learners get
     * what {@code minDiff} allows over that (10 samples), not 2,000 - 190, and producers are held to the ratio from
     * there.
     */
    @Test
    void shouldCarryOnAfterAReopenAsAFreshBufferAtItsMinimumSize()
    {
        final RateLimiter reopened = new RateLimiter(100, 2.0, 10.0, 1000);
        final RateLimiter fresh = new RateLimiter(100, 2.0, 10.0);
        assertEquals(100, insertsAdmitted(fresh) - 5, "fresh: to the minimum, and 5 beyond it");
        fresh.cancelInsert(5);
        assertEquals(10, samplesGranted(fresh, 100));
        assertEquals(10, samplesGranted(reopened, 1000));
        assertEquals(10, insertsAdmitted(fresh));
        assertEquals(10, insertsAdmitted(reopened));
        // After those 10 inserts are published, each side may sample 20 more.
        assertEquals(20, samplesGranted(fresh, 110));
        assertEquals(20, samplesGranted(reopened, 1010));
    }

    @Test
    void shouldCountFromWhatAReopenedBufferHeldWhenBelowTheMinimum()
    {
        final RateLimiter reopened = new RateLimiter(100, 2.0, 10.0, 40);
        assertFalse(reopened.tryAcquireSample(40, CAPACITY, 1), "40 records: below the minimum size");
        assertEquals(65, insertsAdmitted(reopened), "60 to reach the minimum, 5 beyond");
        assertEquals(20, samplesGranted(reopened, 105));
    }

    @Test
    void shouldGiveBackASampleThatWasNotDrawn()
    {
        final RateLimiter limiter = new RateLimiter(0, Double.NaN, 0.0);
        assertTrue(limiter.tryAcquireSample(10, CAPACITY, 4));
        limiter.cancelSample(4);
        assertEquals(0, limiter.samples());
    }
}
