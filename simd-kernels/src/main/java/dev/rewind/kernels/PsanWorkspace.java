package dev.rewind.kernels;

import java.util.SplittableRandom;

/**
 * The state of one Parallel Self-Attention Network (PSAN, DALAP reconstruction): the projection weights shared by
 * both branches and the scratch the kernels need, so that a learner's steady state allocates nothing.
 *
 * <p>A branch maps a batch {@code X} ({@code B x d}, row-major) to the row-softmax attention
 * {@code A = softmax_rows(Q K^T / sqrt(dk))} with {@code Q = X Wq} and {@code K = X Wk} ({@code Wq}, {@code Wk}:
 * {@code d x dk}, row-major), or {@code Q = K = X} and {@code dk = d} for the identity projection (the default).
 * See {@link Kernels#psanSimilarity}, {@link Kernels#psanSimilarityPair} and {@link Kernels#psanAttention}.
 *
 * <p>Not thread-safe: one workspace per thread. The scratch holds a {@code maxRows x maxRows} float matrix
 * (1 MiB at 512 rows).
 *
 * <p>Note to maintainers: the kernels read the package-private fields directly; {@link #attentionRows} records the
 * batch size of the last {@link Kernels#psanAttention} call so {@link #attention()} can be read back.
 */
public final class PsanWorkspace
{
    /** Largest batch, feature or projection size a workspace accepts (the matrix must fit an array). */
    public static final int MAX_DIMENSION = 4096;

    final int maxRows;
    final int features;
    final int projected;
    final float[] wq;
    final float[] wk;
    final float scale;
    final float[] queries;
    final float[] keys;
    final float[] keysTransposed;
    final float[] matrix;
    int attentionRows;

    private PsanWorkspace(
        final int maxRows, final int features, final int projected, final float[] wq, final float[] wk)
    {
        checkDimension("maxRows", maxRows);
        checkDimension("features", features);
        checkDimension("projected", projected);
        this.maxRows = maxRows;
        this.features = features;
        this.projected = projected;
        this.wq = wq;
        this.wk = wk;
        this.scale = (float)(1.0 / Math.sqrt(projected));
        this.queries = new float[maxRows * projected];
        this.keys = null == wk ? null : new float[maxRows * projected];
        this.keysTransposed = new float[projected * maxRows];
        this.matrix = new float[maxRows * maxRows];
    }

    /**
     * A workspace for the identity projection: {@code Q = K = X}, {@code dk = d}.
     *
     * @param maxRows  largest batch ({@code B}) it will be used with, in {@code [1, MAX_DIMENSION]}.
     * @param features features per row ({@code d}), in {@code [1, MAX_DIMENSION]}.
     * @return the workspace.
     * @throws IllegalArgumentException naming a bad size.
     */
    public static PsanWorkspace identity(final int maxRows, final int features)
    {
        return new PsanWorkspace(maxRows, features, features, null, null);
    }

    /**
     * A workspace with explicit projections, shared by both branches of the pair.
     *
     * @param maxRows   largest batch ({@code B}), in {@code [1, MAX_DIMENSION]}.
     * @param features  features per row ({@code d}), in {@code [1, MAX_DIMENSION]}.
     * @param projected projected width ({@code dk}), in {@code [1, MAX_DIMENSION]}.
     * @param wq        query projection, {@code d x dk} row-major; copied.
     * @param wk        key projection, {@code d x dk} row-major; copied.
     * @return the workspace.
     * @throws IllegalArgumentException naming a bad size or a too-short array.
     */
    public static PsanWorkspace projected(
        final int maxRows, final int features, final int projected, final float[] wq, final float[] wk)
    {
        Checks.notNull("wq", wq);
        Checks.notNull("wk", wk);
        checkDimension("features", features);
        checkDimension("projected", projected);
        if (wq.length != features * projected || wk.length != features * projected)
        {
            throw new IllegalArgumentException("projections must be features x projected: features=" + features +
                " projected=" + projected + " wq.length=" + wq.length + " wk.length=" + wk.length);
        }
        return new PsanWorkspace(maxRows, features, projected, wq.clone(), wk.clone());
    }

    /**
     * A workspace with a fixed seeded random projection {@code P} used for both queries and keys
     * ({@code Wq = Wk = P}), entries drawn from {@code N(0, 1/dk)} so that {@code (xP).(yP)} estimates
     * {@code x.y}. The same seed gives the same projection on every JVM.
     *
     * @param maxRows   largest batch ({@code B}), in {@code [1, MAX_DIMENSION]}.
     * @param features  features per row ({@code d}), in {@code [1, MAX_DIMENSION]}.
     * @param projected projected width ({@code dk}), in {@code [1, MAX_DIMENSION]}.
     * @param seed      seed of the projection.
     * @return the workspace.
     * @throws IllegalArgumentException naming a bad size.
     */
    public static PsanWorkspace seededProjection(
        final int maxRows, final int features, final int projected, final long seed)
    {
        checkDimension("features", features);
        checkDimension("projected", projected);
        final SplittableRandom random = new SplittableRandom(seed);
        final float[] p = new float[features * projected];
        final double deviation = 1.0 / Math.sqrt(projected);
        for (int i = 0; i < p.length; i++)
        {
            p[i] = (float)(gaussian(random) * deviation);
        }
        return new PsanWorkspace(maxRows, features, projected, p, p);
    }

    private static double gaussian(final SplittableRandom random)
    {
        // Box-Muller on doubles from a fixed generator: reproducible across JVMs, unlike Random.nextGaussian.
        final double u = 1.0 - random.nextDouble();
        final double v = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2.0 * Math.PI * v);
    }

    private static void checkDimension(final String name, final int value)
    {
        if (value < 1 || value > MAX_DIMENSION)
        {
            throw new IllegalArgumentException(name + " must be in [1, " + MAX_DIMENSION + "]: " + name + "=" +
                value);
        }
    }

    /**
     * Largest batch this workspace accepts.
     *
     * @return {@code maxRows}.
     */
    public int maxRows()
    {
        return maxRows;
    }

    /**
     * Features per input row.
     *
     * @return {@code d}.
     */
    public int features()
    {
        return features;
    }

    /**
     * Width of the projected queries and keys.
     *
     * @return {@code dk} ({@code d} for the identity projection).
     */
    public int projected()
    {
        return projected;
    }

    /**
     * Whether queries and keys are the rows themselves.
     *
     * @return true for {@link #identity}.
     */
    public boolean isIdentity()
    {
        return null == wq;
    }

    /**
     * The attention matrix written by the last {@link Kernels#psanAttention} call: {@link #attentionRows()} rows of
     * {@link #attentionRows()} floats, row-major from index 0. Other kernels overwrite it with scratch values.
     *
     * @return the backing array (not a copy).
     */
    public float[] attention()
    {
        return matrix;
    }

    /**
     * Batch size of the last {@link Kernels#psanAttention} call.
     *
     * @return {@code B}, 0 before the first call.
     */
    public int attentionRows()
    {
        return attentionRows;
    }
}
