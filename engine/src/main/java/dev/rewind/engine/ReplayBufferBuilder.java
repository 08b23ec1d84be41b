package dev.rewind.engine;

import dev.rewind.engine.internal.PriorityTrees;
import dev.rewind.kernels.Kernels;

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
    /** System property overriding the default priority-tree fan-out. */
    public static final String TREE_FANOUT_PROP_NAME = "rewind.tree.fanout";
    /** Default priority-tree fan-out: eight doubles fill one 64-byte cache line (see docs/PERFORMANCE.md). */
    public static final int TREE_FANOUT_DEFAULT = 8;

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
     * Most transitions held (required): any positive count, not only powers of two.
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
        if (capacity < 1)
        {
            throw new IllegalArgumentException("capacity must be positive: capacity=" + capacity);
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
            normalization, path, kernels);
    }
}
