package dev.rewind.examples;

/**
 * A small, reseedable pseudo-random generator: SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom
 * number generators", OOPSLA 2014), the same mixing function {@link java.util.SplittableRandom} uses.
 * <p>
 * Each instance owns its 64-bit state, so there is no global state: two generators built from the same seed produce
 * the same stream. Unlike {@code SplittableRandom} it can be reseeded in place, so an environment's
 * {@code reset(seed)} allocates nothing. Not thread safe; not for cryptographic use.
 */
public final class SplitMix64
{
    /** Odd increment added to the state before each output: 2^64 divided by the golden ratio. */
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    /** 2^-53: turns the top 53 bits of a long into a double in [0, 1). */
    private static final double DOUBLE_UNIT = 0x1.0p-53;

    private long state;

    /**
     * Creates a generator whose stream is fully determined by {@code seed}.
     *
     * @param seed any 64-bit value.
     */
    public SplitMix64(final long seed)
    {
        state = seed;
    }

    /**
     * Restarts the stream as if this generator had just been built with {@code seed}.
     *
     * @param seed any 64-bit value.
     */
    public void reseed(final long seed)
    {
        state = seed;
    }

    /**
     * Next 64 uniformly distributed bits.
     *
     * @return the next value of the stream.
     */
    public long nextLong()
    {
        long z = (state += GOLDEN_GAMMA);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Uniform double in [0, 1) with 53 random bits.
     *
     * @return the next double of the stream.
     */
    public double nextDouble()
    {
        return (nextLong() >>> 11) * DOUBLE_UNIT;
    }

    /**
     * Uniform double in [low, high).
     *
     * @param low  inclusive lower bound.
     * @param high exclusive upper bound, greater than {@code low}.
     * @return {@code low + (high - low) * u} for a uniform {@code u} in [0, 1).
     */
    public double nextDouble(final double low, final double high)
    {
        return low + (high - low) * nextDouble();
    }

    /**
     * Uniform int in [0, bound) without modulo bias (Lemire's multiply-and-reject method).
     *
     * @param bound exclusive upper bound, positive.
     * @return the next int of the stream in [0, bound).
     * @throws IllegalArgumentException if {@code bound} is not positive.
     */
    public int nextInt(final int bound)
    {
        if (bound <= 0)
        {
            throw new IllegalArgumentException("bound must be positive: bound=" + bound);
        }
        long m = (nextLong() >>> 32) * bound;
        long low = m & 0xFFFF_FFFFL;
        if (low < bound)
        {
            final long threshold = (0x1_0000_0000L - bound) % bound;
            while (low < threshold)
            {
                m = (nextLong() >>> 32) * bound;
                low = m & 0xFFFF_FFFFL;
            }
        }
        return (int)(m >>> 32);
    }
}
