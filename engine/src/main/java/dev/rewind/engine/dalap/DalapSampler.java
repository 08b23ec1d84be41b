package dev.rewind.engine.dalap;

import dev.rewind.engine.ReplayBuffer;
import dev.rewind.engine.SampleBatch;
import dev.rewind.kernels.Kernels;
import dev.rewind.kernels.PsanMeasure;
import dev.rewind.kernels.PsanWorkspace;

import java.util.random.RandomGenerator;

/**
 * DALAP's Double-Sampling and Parallel Self-Attention Network over a prioritized {@link ReplayBuffer} (a
 * reconstruction of DALAP from its published description). Each {@link #sampleDouble} call
 * <ol>
 *     <li>draws the prioritized minibatch (stratified, as {@link ReplayBuffer#sample} does) and, on the steps PSAN
 *     runs, a random-uniform minibatch of the same size from the same buffer ({@link ReplayBuffer#sampleUniform});</li>
 *     <li>turns both into feature rows with the {@link FeatureExtractor} and runs the two PSAN branches with shared
 *     weights ({@link Kernels#psanSimilarityPair}), giving the similarities {@code I_t} (uniform) and {@code I_p}
 *     (prioritized);</li>
 *     <li>folds the Similarity-Increment {@code D = I_p - I_t} into {@link DalapBeta}, and</li>
 *     <li>weights the prioritized rows with the fresh beta: the batch is drawn with beta 1, whose weights are
 *     {@code m_min / m_i}, and each is raised to beta, giving {@code (m_min / m_i)^beta = (N P(i))^-beta / max w}.</li>
 * </ol>
 * The uniform batch feeds PSAN only: train on {@link #sampleDouble}'s result and pass it to
 * {@link ReplayBuffer#updatePriorities}. PSAN runs every {@code psanInterval} calls (default 1); between runs beta is
 * held and no uniform batch is drawn. The time of the extra work (uniform draw, feature rows, PSAN, re-weighting) is
 * counted, so its cost per step can be reported next to the learner's.
 *
 * <p>Not thread-safe: call it from the buffer's writer thread (the learner of a single-writer buffer). Allocates
 * nothing per call.
 */
public final class DalapSampler
{
    /** Default number of calls between two PSAN runs. */
    public static final int PSAN_INTERVAL_DEFAULT = 1;
    /** Default reduction of the attention matrix: the off-diagonal mass. */
    public static final PsanMeasure MEASURE_DEFAULT = PsanMeasure.OFF_DIAGONAL;

    private final ReplayBuffer buffer;
    private final FeatureExtractor features;
    private final DalapBeta beta;
    private final int psanInterval;
    private final PsanMeasure measure;
    private final PsanWorkspace workspace;
    private final Kernels kernels;
    private final SampleBatch prioritized;
    private final SampleBatch uniform;
    private final float[] prioritizedFeatures;
    private final float[] uniformFeatures;
    private final double[] similarities = new double[2];

    private long steps;
    private long psanRuns;
    private long prioritizedNs;
    private long extraNs;
    private double uniformSimilarity = Double.NaN;
    private double prioritizedSimilarity = Double.NaN;

    private DalapSampler(final Builder builder)
    {
        this.buffer = builder.buffer;
        this.features = builder.features;
        this.beta = builder.beta;
        this.psanInterval = builder.psanInterval;
        this.measure = builder.measure;
        this.kernels = builder.kernels;
        final int batchSize = builder.batchSize;
        final int width = features.width();
        this.workspace = builder.projected > 0 ?
            PsanWorkspace.seededProjection(batchSize, width, builder.projected, builder.projectionSeed) :
            PsanWorkspace.identity(batchSize, width);
        this.prioritized = buffer.newBatch(batchSize);
        this.uniform = buffer.newBatch(batchSize);
        this.prioritizedFeatures = new float[batchSize * width];
        this.uniformFeatures = new float[batchSize * width];
    }

    /**
     * Starts configuring a sampler.
     *
     * @param buffer    a prioritized buffer.
     * @param batchSize rows per minibatch, in {@code [1, PsanWorkspace.MAX_DIMENSION]}.
     * @param features  how rows become feature rows.
     * @return a builder with the defaults.
     */
    public static Builder builder(final ReplayBuffer buffer, final int batchSize, final FeatureExtractor features)
    {
        return new Builder(buffer, batchSize, features);
    }

    /**
     * Draws the prioritized and (on PSAN steps) the uniform minibatch, updates beta and weights the prioritized
     * rows with it.
     *
     * @param rng the random source of both draws.
     * @return the prioritized batch (the sampler's own, reused by the next call), weighted with {@link #beta()}.
     * @throws IllegalArgumentException if the batch size exceeds the buffer's size.
     * @throws IllegalStateException    if the buffer is empty or closed.
     */
    public SampleBatch sampleDouble(final RandomGenerator rng)
    {
        final long start = System.nanoTime();
        buffer.sample(prioritized, 1.0, rng);
        final long drawn = System.nanoTime();
        if (0 == steps % psanInterval)
        {
            buffer.sampleUniform(uniform, rng);
            final int rows = prioritized.size();
            features.extract(uniform, uniformFeatures);
            features.extract(prioritized, prioritizedFeatures);
            kernels.psanSimilarityPair(uniformFeatures, prioritizedFeatures, rows, measure, workspace, similarities);
            uniformSimilarity = similarities[0];
            prioritizedSimilarity = similarities[1];
            beta.update(prioritizedSimilarity - uniformSimilarity);
            psanRuns++;
        }
        final double b = beta.beta();
        if (1.0 != b)
        {
            final double[] weights = prioritized.weights();
            for (int i = 0, n = prioritized.size(); i < n; i++)
            {
                weights[i] = Math.pow(weights[i], b);
            }
        }
        steps++;
        final long end = System.nanoTime();
        prioritizedNs += drawn - start;
        extraNs += end - drawn;
        return prioritized;
    }

    /**
     * The prioritized batch of the last call.
     *
     * @return the batch.
     */
    public SampleBatch prioritizedBatch()
    {
        return prioritized;
    }

    /**
     * The uniform batch of the last PSAN run (used only to feed PSAN).
     *
     * @return the batch.
     */
    public SampleBatch uniformBatch()
    {
        return uniform;
    }

    /**
     * The beta policy this sampler drives.
     *
     * @return the policy.
     */
    public DalapBeta betaPolicy()
    {
        return beta;
    }

    /**
     * The beta the last batch was weighted with.
     *
     * @return beta in {@code [betaMin, 1]}.
     */
    public double beta()
    {
        return beta.beta();
    }

    /**
     * {@code I_t}, the similarity of the last uniform batch.
     *
     * @return the similarity, NaN before the first PSAN run.
     */
    public double uniformSimilarity()
    {
        return uniformSimilarity;
    }

    /**
     * {@code I_p}, the similarity of the prioritized batch at the last PSAN run.
     *
     * @return the similarity, NaN before the first PSAN run.
     */
    public double prioritizedSimilarity()
    {
        return prioritizedSimilarity;
    }

    /**
     * Calls of {@link #sampleDouble} so far.
     *
     * @return the count.
     */
    public long steps()
    {
        return steps;
    }

    /**
     * PSAN runs so far.
     *
     * @return the count.
     */
    public long psanRuns()
    {
        return psanRuns;
    }

    /**
     * Wall time spent drawing the prioritized batches, the part plain PER would spend too.
     *
     * @return nanoseconds.
     */
    public long prioritizedNanos()
    {
        return prioritizedNs;
    }

    /**
     * Wall time of DALAP's extra work: uniform draws, feature rows, PSAN, beta and re-weighting.
     *
     * @return nanoseconds.
     */
    public long extraNanos()
    {
        return extraNs;
    }

    /**
     * DALAP's extra cost per call of {@link #sampleDouble}.
     *
     * @return nanoseconds per step, NaN before the first call.
     */
    public double extraNsPerStep()
    {
        return 0 == steps ? Double.NaN : (double)extraNs / steps;
    }

    /**
     * Configures a {@link DalapSampler}; every parameter has a default.
     */
    public static final class Builder
    {
        private final ReplayBuffer buffer;
        private final int batchSize;
        private final FeatureExtractor features;
        private DalapBeta beta = new DalapBeta();
        private int psanInterval = PSAN_INTERVAL_DEFAULT;
        private PsanMeasure measure = MEASURE_DEFAULT;
        private int projected;
        private long projectionSeed;
        private Kernels kernels = Kernels.best();

        private Builder(final ReplayBuffer buffer, final int batchSize, final FeatureExtractor features)
        {
            this.buffer = buffer;
            this.batchSize = batchSize;
            this.features = features;
        }

        /**
         * The beta policy (default {@code new DalapBeta()}: betaMin 0.4, smoothing 0.99, warm-up 100, unsigned).
         *
         * @param beta the policy, updated by the sampler.
         * @return this.
         */
        public Builder beta(final DalapBeta beta)
        {
            this.beta = beta;
            return this;
        }

        /**
         * Run PSAN every {@code k} calls (default {@link #PSAN_INTERVAL_DEFAULT}), trading freshness for cost.
         *
         * @param k calls between runs, positive.
         * @return this.
         */
        public Builder psanInterval(final int k)
        {
            this.psanInterval = k;
            return this;
        }

        /**
         * How an attention matrix becomes one similarity (default {@link #MEASURE_DEFAULT}).
         *
         * @param measure the measure.
         * @return this.
         */
        public Builder measure(final PsanMeasure measure)
        {
            this.measure = measure;
            return this;
        }

        /**
         * Use a fixed seeded random projection {@code Wq = Wk} to {@code dk} dimensions instead of the identity
         * (the default).
         *
         * @param dk   projected width, positive.
         * @param seed seed of the projection.
         * @return this.
         */
        public Builder randomProjection(final int dk, final long seed)
        {
            if (dk < 1)
            {
                throw new IllegalArgumentException("dk must be positive: dk=" + dk);
            }
            this.projected = dk;
            this.projectionSeed = seed;
            return this;
        }

        /**
         * The kernels that run PSAN (default {@link Kernels#best()}).
         *
         * @param kernels the kernels.
         * @return this.
         */
        public Builder kernels(final Kernels kernels)
        {
            this.kernels = kernels;
            return this;
        }

        /**
         * Checks the configuration and creates the sampler with its batches and workspace.
         *
         * @return the sampler.
         * @throws IllegalArgumentException on a missing or bad value, named in the message.
         */
        public DalapSampler build()
        {
            if (null == buffer || null == features || null == beta || null == measure || null == kernels)
            {
                throw new IllegalArgumentException("buffer, features, beta, measure and kernels are required");
            }
            if (!buffer.isPrioritized())
            {
                throw new IllegalArgumentException("DALAP needs a prioritized buffer");
            }
            if (batchSize < 1 || batchSize > PsanWorkspace.MAX_DIMENSION)
            {
                throw new IllegalArgumentException("batchSize must be in [1, " + PsanWorkspace.MAX_DIMENSION +
                    "]: batchSize=" + batchSize);
            }
            if (psanInterval < 1)
            {
                throw new IllegalArgumentException("psanInterval must be positive: psanInterval=" + psanInterval);
            }
            return new DalapSampler(this);
        }
    }
}
