package dev.rewind.engine;

import dev.rewind.engine.internal.PriorityTrees;
import dev.rewind.engine.internal.RateLimiter;
import dev.rewind.kernels.Kernels;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.nio.file.Path;

/**
 * Configures a {@link ReplayBuffer}. Every value is checked here, once; the hot path trusts it.
 */
public final class ReplayBufferBuilder
{
    /** Default priority exponent, as in cpprb and the PER paper's proportional variant. */
    public static final double ALPHA_DEFAULT = 0.6;
    /** Default offset added to priorities so that no transition has zero probability. */
    public static final double EPS_DEFAULT = 1e-4;
    /**
     * The largest capacity: slots are numbered by {@code int}, and the priority trees pad their leaves to a multiple of
     * the widest fan-out (64), which must still be an {@code int}.
     */
    public static final int MAX_CAPACITY = Integer.MAX_VALUE / 64 * 64;
    /** System property overriding the default priority-tree fan-out. */
    public static final String TREE_FANOUT_PROP_NAME = "rewind.tree.fanout";
    /** Default priority-tree fan-out: eight {@code long} children fill one 64-byte line (docs/PERFORMANCE.md). */
    public static final int TREE_FANOUT_DEFAULT = 8;

    /** System property overriding the default ingest ring length of a concurrent buffer. */
    public static final String INGEST_RING_LENGTH_PROP_NAME = "rewind.ingest.ring.length";
    /** Default ingest ring length: 4 MiB, about 60,000 small (64-byte) transitions in flight. */
    public static final int INGEST_RING_LENGTH_DEFAULT = 4 << 20;
    /** System property overriding the default update ring length of a concurrent buffer. */
    public static final String UPDATE_RING_LENGTH_PROP_NAME = "rewind.update.ring.length";
    /** Default update ring length: 1 MiB, about 50,000 queued priority updates. */
    public static final int UPDATE_RING_LENGTH_DEFAULT = 1 << 20;
    /** Smallest ring length accepted (Agrona's ring needs a power of two; smaller values are rounded up). */
    static final int RING_LENGTH_MIN = 1024;

    /** Priority modes as stored in the file header. */
    static final int MODE_UNIFORM = 0;
    static final int MODE_PER = 1;
    static final int MODE_LAP = 2;

    private Schema schema;
    private int capacity;
    private int priorityMode = MODE_UNIFORM;
    private double alpha = ALPHA_DEFAULT;
    private double eps = EPS_DEFAULT;
    private Path path;
    private WeightNormalization normalization = WeightNormalization.GLOBAL_MIN;
    private int fanout = Integer.getInteger(TREE_FANOUT_PROP_NAME, TREE_FANOUT_DEFAULT);
    private Kernels kernels = Kernels.best();
    private boolean inMemory;
    private int ingestRingLength = Integer.getInteger(INGEST_RING_LENGTH_PROP_NAME, INGEST_RING_LENGTH_DEFAULT);
    private int updateRingLength = Integer.getInteger(UPDATE_RING_LENGTH_PROP_NAME, UPDATE_RING_LENGTH_DEFAULT);
    private boolean embeddedWriter;
    private IdleStrategy writerIdleStrategy;
    private long minSizeToSample;
    private double samplesPerInsert = Double.NaN;
    private double errorBuffer;

    ReplayBufferBuilder()
    {
    }

    /**
     * The record schema (required).
     *
     * @param schema the schema.
     * @return this.
     */
    public ReplayBufferBuilder schema(final Schema schema)
    {
        this.schema = schema;
        return this;
    }

    /**
     * Most transitions held (required): any count from 1 to {@link #MAX_CAPACITY}, not only powers of two.
     *
     * @param capacity the capacity.
     * @return this.
     */
    public ReplayBufferBuilder capacity(final int capacity)
    {
        this.capacity = capacity;
        return this;
    }

    /**
     * Uniform sampling (the default).
     *
     * @return this.
     */
    public ReplayBufferBuilder uniform()
    {
        this.priorityMode = MODE_UNIFORM;
        return this;
    }

    /**
     * Proportional prioritized sampling with mass {@code (p + eps)^alpha}.
     *
     * @param alpha priority exponent, finite and {@code >= 0} (0 is uniform in effect).
     * @param eps   offset against zero priority, finite and {@code >= 0}.
     * @return this.
     */
    public ReplayBufferBuilder prioritized(final double alpha, final double eps)
    {
        this.priorityMode = MODE_PER;
        this.alpha = alpha;
        this.eps = eps;
        return this;
    }

    /**
     * Proportional prioritized sampling with the defaults {@link #ALPHA_DEFAULT} and {@link #EPS_DEFAULT}.
     *
     * @return this.
     */
    public ReplayBufferBuilder prioritized()
    {
        return prioritized(ALPHA_DEFAULT, EPS_DEFAULT);
    }

    /**
     * Loss-adjusted prioritized sampling (LAP, Fujimoto et al. 2020): mass {@code max(p, kappa)^alpha}.
     *
     * @param alpha priority exponent, finite and {@code >= 0}.
     * @param kappa priority floor, finite and {@code > 0} (the Huber threshold of the learner's loss).
     * @return this.
     */
    public ReplayBufferBuilder lapPrioritized(final double alpha, final double kappa)
    {
        this.priorityMode = MODE_LAP;
        this.alpha = alpha;
        this.eps = kappa;
        return this;
    }

    /**
     * Keeps the buffer in a file at {@code path}: created if absent, reopened (and checked against this
     * configuration) if present, kept on close. Without it the buffer lives in a temporary file removed on close.
     *
     * @param path the file.
     * @return this.
     */
    public ReplayBufferBuilder mapped(final Path path)
    {
        this.path = path;
        return this;
    }

    /**
     * How importance weights are normalised (default {@link WeightNormalization#GLOBAL_MIN}).
     *
     * @param normalization the normalisation.
     * @return this.
     */
    public ReplayBufferBuilder weightNormalization(final WeightNormalization normalization)
    {
        this.normalization = normalization;
        return this;
    }

    /**
     * Fan-out of the priority trees: a power of two in [2, 64] (default {@link #TREE_FANOUT_DEFAULT}).
     *
     * @param fanout children per node.
     * @return this.
     */
    public ReplayBufferBuilder treeFanout(final int fanout)
    {
        this.fanout = fanout;
        return this;
    }

    /**
     * The kernels to run (default {@link Kernels#best()}); tests pass {@link Kernels#scalar()} to compare.
     *
     * @param kernels the kernels.
     * @return this.
     */
    public ReplayBufferBuilder kernels(final Kernels kernels)
    {
        this.kernels = kernels;
        return this;
    }

    /**
     * Keeps the buffer in native memory instead of a file: nothing survives the process, and an unclosed buffer is
     * freed by the garbage collector. For tests and short-lived buffers; overrides {@link #mapped(Path)}.
     *
     * @return this.
     */
    public ReplayBufferBuilder inMemory()
    {
        this.inMemory = true;
        return this;
    }

    /**
     * Concurrent buffers: bytes of the ingest ring between producers and the writer (default
     * {@link #INGEST_RING_LENGTH_DEFAULT}, rounded up to a power of two, at least 1 KiB). One add carries at most an
     * eighth of it.
     *
     * @param bytes the ring length.
     * @return this.
     */
    public ReplayBufferBuilder ingestRingLength(final int bytes)
    {
        this.ingestRingLength = bytes;
        return this;
    }

    /**
     * Concurrent buffers: bytes of the ring carrying priority updates from learners to the writer (default
     * {@link #UPDATE_RING_LENGTH_DEFAULT}, rounded up to a power of two, at least 1 KiB); 20 bytes per update.
     *
     * @param bytes the ring length.
     * @return this.
     */
    public ReplayBufferBuilder updateRingLength(final int bytes)
    {
        this.updateRingLength = bytes;
        return this;
    }

    /**
     * Concurrent buffers: no writer thread; the application runs the writer by calling
     * {@link ConcurrentReplay#doWork()}, e.g. from its learner loop.
     *
     * @return this.
     */
    public ReplayBufferBuilder embeddedWriter()
    {
        this.embeddedWriter = true;
        return this;
    }

    /**
     * Concurrent buffers: how the writer agent's thread idles when both rings are empty (default
     * {@link BackoffIdleStrategy}: spin, yield, then park up to 1 ms). A {@code BusySpinIdleStrategy} gives the
     * lowest latency at the cost of a core.
     *
     * @param idleStrategy the idle strategy, used by the writer thread only.
     * @return this.
     */
    public ReplayBufferBuilder writerIdleStrategy(final IdleStrategy idleStrategy)
    {
        this.writerIdleStrategy = idleStrategy;
        return this;
    }

    /**
     * Concurrent buffers: no sample until the buffer holds {@code minSize} records (Reverb's {@code MinSize});
     * a sample then also waits until the buffer holds its batch size.
     *
     * @param minSize records, in {@code [0, capacity]}.
     * @return this.
     */
    public ReplayBufferBuilder minSizeToSample(final long minSize)
    {
        this.minSizeToSample = minSize;
        return this;
    }

    /**
     * Concurrent buffers: Reverb's {@code SampleToInsertRatio}. Sampled rows per inserted row are held at
     * {@code samplesPerInsert}: with {@code diff = inserts * samplesPerInsert - samples}, inserts wait while
     * {@code diff > samplesPerInsert * minSizeToSample + errorBuffer} and samples wait while they would take
     * {@code diff} below {@code samplesPerInsert * minSizeToSample - errorBuffer}. A batch of {@code n} rows needs
     * {@code 2 * errorBuffer >= n + samplesPerInsert}, or it could never be sampled (refused when sampling).
     *
     * @param samplesPerInsert target ratio, finite and {@code > 0}.
     * @param errorBuffer      allowed deviation, finite and {@code >= max(1, samplesPerInsert)}.
     * @return this.
     */
    public ReplayBufferBuilder samplesPerInsert(final double samplesPerInsert, final double errorBuffer)
    {
        this.samplesPerInsert = samplesPerInsert;
        this.errorBuffer = errorBuffer;
        return this;
    }

    /**
     * Checks the configuration, then creates or opens the buffer with a concurrent front end: producers on any
     * threads, learners on any threads, one writer (an agent thread, or the caller with {@link #embeddedWriter()}).
     * Reopening a file recovers it as {@link #build()} does.
     *
     * @return the buffer, its writer running (agent mode).
     * @throws IllegalArgumentException on a bad or missing value, named in the message.
     * @throws IllegalStateException    if an existing file does not match this configuration.
     */
    public ConcurrentReplay buildConcurrent()
    {
        if (minSizeToSample < 0 || minSizeToSample > capacity)
        {
            throw new IllegalArgumentException("minSizeToSample must be in [0, capacity]: minSizeToSample=" +
                minSizeToSample + " capacity=" + capacity);
        }
        final boolean ratio = !Double.isNaN(samplesPerInsert);
        if (ratio)
        {
            if (!Double.isFinite(samplesPerInsert) || samplesPerInsert <= 0.0)
            {
                throw new IllegalArgumentException("samplesPerInsert must be finite and > 0: samplesPerInsert=" +
                    samplesPerInsert);
            }
            if (!Double.isFinite(errorBuffer) || errorBuffer < Math.max(1.0, samplesPerInsert))
            {
                throw new IllegalArgumentException("errorBuffer must be finite and >= max(1, samplesPerInsert): " +
                    "errorBuffer=" + errorBuffer + " samplesPerInsert=" + samplesPerInsert);
            }
        }
        final int ingestLength = ringLength("ingestRingLength", ingestRingLength);
        final int updateLength = ringLength("updateRingLength", updateRingLength);
        final MappedReplayBuffer buffer = (MappedReplayBuffer)build();
        try
        {
            final RateLimiter limiter =
                new RateLimiter(minSizeToSample, samplesPerInsert, errorBuffer, buffer.writeSequence());
            final IdleStrategy idle = null == writerIdleStrategy ? new BackoffIdleStrategy() : writerIdleStrategy;
            return new ConcurrentReplayBuffer(
                buffer, kernels, normalization, limiter, ingestLength, updateLength, embeddedWriter, idle);
        }
        catch (final Throwable ex)
        {
            try
            {
                buffer.discard();
            }
            catch (final RuntimeException discarding)
            {
                ex.addSuppressed(discarding);
            }
            throw ex;
        }
    }

    private static int ringLength(final String name, final int bytes)
    {
        if (bytes < 1 || bytes > 1 << 30)
        {
            throw new IllegalArgumentException(name + " must be in [1, 2^30]: " + name + "=" + bytes);
        }
        return Math.max(RING_LENGTH_MIN, roundUpToPowerOfTwo(bytes));
    }

    private static int roundUpToPowerOfTwo(final int value)
    {
        return 1 == value ? 1 : Integer.highestOneBit(value - 1) << 1;
    }

    /**
     * Checks the configuration, then creates or opens the mapped file.
     *
     * @return the buffer.
     * @throws IllegalArgumentException on a bad or missing value, named in the message.
     * @throws IllegalStateException    if an existing file does not match this configuration.
     */
    public ReplayBuffer build()
    {
        if (null == schema)
        {
            throw new IllegalArgumentException("schema is required");
        }
        if (capacity < 1 || capacity > MAX_CAPACITY)
        {
            throw new IllegalArgumentException("capacity must be in [1, " + MAX_CAPACITY + "]: capacity=" + capacity);
        }
        if (!Double.isFinite(alpha) || alpha < 0.0)
        {
            throw new IllegalArgumentException("alpha must be finite and >= 0: alpha=" + alpha);
        }
        if (MODE_LAP == priorityMode)
        {
            if (!Double.isFinite(eps) || eps <= 0.0)
            {
                throw new IllegalArgumentException("kappa must be finite and > 0: kappa=" + eps);
            }
        }
        else if (!Double.isFinite(eps) || eps < 0.0)
        {
            throw new IllegalArgumentException("eps must be finite and >= 0: eps=" + eps);
        }
        PriorityTrees.checkFanout(fanout);
        if (null == normalization)
        {
            throw new IllegalArgumentException("weight normalization is null");
        }
        if (null == kernels)
        {
            throw new IllegalArgumentException("kernels is null");
        }
        final boolean uniform = MODE_UNIFORM == priorityMode;
        return new MappedReplayBuffer(
            schema, capacity, priorityMode, uniform ? 0.0 : alpha, uniform ? 0.0 : eps, uniform ? 0 : fanout,
            normalization, path, inMemory, kernels);
    }
}
