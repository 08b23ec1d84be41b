package dev.rewind.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The scalar twins: plain loops, the reference that {@link VectorKernels} is tested against and the fallback when
 * the vector module is missing or useless. Runs on any JVM.
 *
 * <p>Note to maintainers: where the vector kernel promises exact agreement, the loop here must perform the same
 * correctly rounded operations in the same order (fused multiply-adds through {@link Math#fma}, the same operand
 * order, no re-association). The static helpers are package-private so the vector kernels use the very same code for
 * their scalar tails and rare paths.
 */
public final class ScalarKernels implements Kernels
{
    /** The scalar kernels. */
    public static final ScalarKernels INSTANCE = new ScalarKernels("scalar (reference twins)");

    static final ValueLayout.OfDouble LE_DOUBLE =
        ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** The prefix of a child that does not exist in a fixed-point prefix tree. */
    static final long MISSING = Long.MIN_VALUE;

    private final String description;

    ScalarKernels(final String description)
    {
        this.description = description;
    }

    @Override
    public String description()
    {
        return description;
    }

    @Override
    public String toString()
    {
        return description;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Priority transforms and importance weights
    // ---------------------------------------------------------------------------------------------------------

    @Override
    public void perPriority(
        final double[] d, final int dOff, final double[] out, final int outOff, final int n, final double alpha,
        final double eps)
    {
        checkTransform(d, dOff, out, outOff, n, alpha);
        Checks.nonNegative("eps", eps);
        perPriorityLoop(d, dOff, out, outOff, 0, n, alpha, eps);
    }

    static void checkTransform(
        final double[] d, final int dOff, final double[] out, final int outOff, final int n, final double alpha)
    {
        Checks.range("d", d.length, "dOff", dOff, n);
        Checks.range("out", out.length, "outOff", outOff, n);
        Checks.nonNegative("alpha", alpha);
    }

    static void perPriorityLoop(
        final double[] d, final int dOff, final double[] out, final int outOff, final int from, final int to,
        final double alpha, final double eps)
    {
        for (int i = from; i < to; i++)
        {
            out[outOff + i] = perMass(d[dOff + i], alpha, eps);
        }
    }

    /**
     * The proportional PER mass of one TD error, the formula of {@link #perPriority}: {@code (|d| + eps)^alpha}.
     *
     * @param d     the TD error (its magnitude is used).
     * @param alpha the priority exponent.
     * @param eps   the offset that keeps a zero error sampleable.
     * @return the mass.
     */
    public static double perMass(final double d, final double alpha, final double eps)
    {
        return Math.pow(Math.abs(d) + eps, alpha);
    }

    @Override
    public void lapPriority(
        final double[] d, final int dOff, final double[] out, final int outOff, final int n, final double alpha,
        final double kappa)
    {
        checkTransform(d, dOff, out, outOff, n, alpha);
        Checks.positive("kappa", kappa);
        lapPriorityLoop(d, dOff, out, outOff, 0, n, alpha, kappa);
    }

    static void lapPriorityLoop(
        final double[] d, final int dOff, final double[] out, final int outOff, final int from, final int to,
        final double alpha, final double kappa)
    {
        for (int i = from; i < to; i++)
        {
            out[outOff + i] = lapMass(d[dOff + i], alpha, kappa);
        }
    }

    /**
     * The LAP mass of one TD error, the formula of {@link #lapPriority}: {@code max(|d|, kappa)^alpha}.
     *
     * @param d     the TD error (its magnitude is used).
     * @param alpha the priority exponent.
     * @param kappa the floor of the magnitude.
     * @return the mass.
     */
    public static double lapMass(final double d, final double alpha, final double kappa)
    {
        return Math.pow(Math.max(Math.abs(d), kappa), alpha);
    }

    @Override
    public void importanceWeights(
        final double[] mass, final double[] out, final int n, final double refMass, final double beta)
    {
        checkImportance(mass, out, n, refMass, beta);
        importanceLoop(mass, out, 0, n, refMass, -beta);
    }

    static void checkImportance(
        final double[] mass, final double[] out, final int n, final double refMass, final double beta)
    {
        Checks.fits("mass", mass.length, n);
        Checks.fits("out", out.length, n);
        Checks.positive("refMass", refMass);
        Checks.nonNegative("beta", beta);
    }

    static void importanceLoop(
        final double[] mass, final double[] out, final int from, final int to, final double refMass,
        final double negBeta)
    {
        for (int i = from; i < to; i++)
        {
            out[i] = Math.pow(mass[i] / refMass, negBeta);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reductions
    // ---------------------------------------------------------------------------------------------------------

    @Override
    public double min(final double[] values, final int n)
    {
        checkNonEmpty(values, n);
        double min = values[0];
        for (int i = 1; i < n; i++)
        {
            min = Math.min(min, values[i]);
        }
        return min;
    }

    static void checkNonEmpty(final double[] values, final int n)
    {
        Checks.positive("n", n);
        Checks.fits("values", values.length, n);
    }

    @Override
    public double max(final double[] values, final int n)
    {
        checkNonEmpty(values, n);
        double max = values[0];
        for (int i = 1; i < n; i++)
        {
            max = Math.max(max, values[i]);
        }
        return max;
    }

    @Override
    public double sum(final double[] values, final int n)
    {
        Checks.fits("values", values.length, n);
        double sum = 0.0;
        for (int i = 0; i < n; i++)
        {
            sum += values[i];
        }
        return sum;
    }

    @Override
    public double sum(final MemorySegment segment, final long offset, final int n)
    {
        Checks.nonNegative("n", n);
        double sum = 0.0;
        for (int i = 0; i < n; i++)
        {
            sum += segment.get(LE_DOUBLE, offset + ((long)i << 3));
        }
        return sum;
    }

    @Override
    public double min(final MemorySegment segment, final long offset, final int n)
    {
        Checks.positive("n", n);
        double min = segment.get(LE_DOUBLE, offset);
        for (int i = 1; i < n; i++)
        {
            min = Math.min(min, segment.get(LE_DOUBLE, offset + ((long)i << 3)));
        }
        return min;
    }

    @Override
    public double max(final MemorySegment segment, final long offset, final int n)
    {
        Checks.positive("n", n);
        double max = segment.get(LE_DOUBLE, offset);
        for (int i = 1; i < n; i++)
        {
            max = Math.max(max, segment.get(LE_DOUBLE, offset + ((long)i << 3)));
        }
        return max;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Fixed-point tree search and update
    // ---------------------------------------------------------------------------------------------------------

    /** Where {@link #touchDeepLevel} leaves what it loaded, so that the loads are not optimised away. */
    @SuppressWarnings("unused")
    private static long touchSink;

    /**
     * Before a batched descent searches one of the two deepest levels (the ones too large to stay in cache), loads the
     * first child of each target's node there and discards it. The search step is long, so the core keeps only a
     * few of its cache misses in flight; this short loop keeps many, and the search then finds the lines in cache.
     * Results do not change.
     */
    static void touchDeepLevel(
        final MemorySegment tree, final long levelOffset, final int level, final int depth, final int shift,
        final int[] nodes, final int n)
    {
        if (level < depth - 1 || n < 16)
        {
            return;
        }
        long sink = 0;
        for (int i = 0; i < n; i++)
        {
            sink ^= tree.get(LE_LONG, levelOffset + ((long)nodes[i] << shift << 3));
        }
        touchSink = sink;
    }

    @Override
    public void descendFixedPoint(
        final MemorySegment tree, final long[] levelOffsets, final int fanout, final long[] targets, final int n,
        final int[] outLeaf, final long[] outMass)
    {
        checkFixedPointDescend(levelOffsets, fanout, targets, n, outLeaf, outMass);
        final int depth = levelOffsets.length - 1;
        final int shift = Integer.numberOfTrailingZeros(fanout);
        for (int i = 0; i < n; i++)
        {
            outLeaf[i] = 0;
        }
        for (int level = 1; level < depth; level++)
        {
            final long levelOffset = levelOffsets[level];
            touchDeepLevel(tree, levelOffset, level, depth, shift, outLeaf, n);
            for (int i = 0; i < n; i++)
            {
                final int first = outLeaf[i] << shift;
                final long group = levelOffset + ((long)first << 3);
                final long target = targets[i];
                long before = 0;
                int chosen = 0;
                for (; chosen < fanout; chosen++)
                {
                    // MISSING never exceeds a target, so the scan runs past the padding into the overflow rule.
                    final long prefix = tree.get(LE_LONG, group + ((long)chosen << 3));
                    if (target < prefix)
                    {
                        break;
                    }
                    before = prefix;
                }
                if (chosen == fanout)
                {
                    chosen = fixedPointOverflowChild(tree, group, fanout);
                    targets[i] = Math.max(fixedPointOwnMass(tree, group, chosen) - 1, 0);
                }
                else
                {
                    targets[i] = target - before;
                }
                outLeaf[i] = first + chosen;
            }
        }
        final long leafOffset = levelOffsets[depth];
        touchDeepLevel(tree, leafOffset, depth, depth, shift, outLeaf, n);
        for (int i = 0; i < n; i++)
        {
            final int first = outLeaf[i] << shift;
            final long group = leafOffset + ((long)first << 3);
            final long target = targets[i];
            long running = 0;
            int chosen = 0;
            for (; chosen < fanout; chosen++)
            {
                running += tree.get(LE_LONG, group + ((long)chosen << 3));
                if (target < running)
                {
                    break;
                }
            }
            if (chosen == fanout)
            {
                chosen = lastPositiveLeaf(tree, group, fanout);
            }
            outLeaf[i] = first + chosen;
            outMass[i] = tree.get(LE_LONG, group + ((long)chosen << 3));
        }
    }

    /**
     * The overflow rule on the leaf level of a fixed-point tree: the last leaf of the group with positive mass, or
     * leaf 0 (which always exists) when none has.
     */
    static int lastPositiveLeaf(final MemorySegment tree, final long group, final int fanout)
    {
        for (int c = fanout - 1; c > 0; c--)
        {
            if (tree.get(LE_LONG, group + ((long)c << 3)) > 0)
            {
                return c;
            }
        }
        return 0;
    }

    /**
     * A child's own mass on an internal level of a fixed-point tree: its prefix minus its left sibling's (0 for a
     * missing child).
     */
    static long fixedPointOwnMass(final MemorySegment tree, final long group, final int child)
    {
        final long prefix = tree.get(LE_LONG, group + ((long)child << 3));
        if (MISSING == prefix)
        {
            return 0;
        }
        return 0 == child ? prefix : prefix - tree.get(LE_LONG, group + ((long)(child - 1) << 3));
    }

    /**
     * The overflow rule on an internal level of a fixed-point tree: the last existing child with positive own mass,
     * or child 0.
     */
    static int fixedPointOverflowChild(final MemorySegment tree, final long group, final int fanout)
    {
        for (int c = fanout - 1; c > 0; c--)
        {
            if (fixedPointOwnMass(tree, group, c) > 0)
            {
                return c;
            }
        }
        return 0;
    }

    static void checkFixedPointDescend(
        final long[] levelOffsets, final int fanout, final long[] targets, final int n, final int[] outLeaf,
        final long[] outMass)
    {
        Checks.fanout(fanout);
        if (levelOffsets.length < 2)
        {
            throw new IllegalArgumentException("a fixed-point tree has at least one level below the root: " +
                "levelOffsets.length=" + levelOffsets.length);
        }
        Checks.fits("targets", targets.length, n);
        Checks.fits("outLeaf", outLeaf.length, n);
        Checks.fits("outMass", outMass.length, n);
        for (int i = 0; i < n; i++)
        {
            if (targets[i] < 0)
            {
                throw new IllegalArgumentException("target must be >= 0: targets[" + i + "]=" + targets[i]);
            }
        }
    }

    @Override
    public void addToPrefixes(
        final MemorySegment tree, final long levelOffset, final int fanout, final int existing, final int[] nodes,
        final long[] deltas, final int count)
    {
        checkAddToPrefixes(fanout, existing, nodes, deltas, count);
        final int lastChild = fanout - 1;
        for (int k = 0; k < count; k++)
        {
            final int node = nodes[k];
            final int first = node & ~lastChild;
            final long group = levelOffset + ((long)first << 3);
            final long delta = deltas[k];
            final int end = Math.min(fanout, existing - first);
            for (int c = node & lastChild; c < end; c++)
            {
                final long at = group + ((long)c << 3);
                tree.set(LE_LONG, at, tree.get(LE_LONG, at) + delta);
            }
        }
    }

    static void checkAddToPrefixes(
        final int fanout, final int existing, final int[] nodes, final long[] deltas, final int count)
    {
        Checks.fanout(fanout);
        Checks.fits("nodes", nodes.length, count);
        Checks.fits("deltas", deltas.length, count);
        for (int k = 0; k < count; k++)
        {
            if (nodes[k] < 0 || nodes[k] >= existing)
            {
                throw new IllegalArgumentException("node outside the level: nodes[" + k + "]=" + nodes[k] +
                    " existing=" + existing);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // R2D2
    // ---------------------------------------------------------------------------------------------------------

    static void checkSequences(
        final double[] td, final int tdOff, final int sequences, final int length, final double eta,
        final double[] out, final int outOff)
    {
        Checks.nonNegative("sequences", sequences);
        Checks.positive("length", length);
        Checks.unit("eta", eta);
        final long total = (long)sequences * length;
        if (total > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("sequences * length too large: sequences=" + sequences + " length=" +
                length);
        }
        Checks.range("td", td.length, "tdOff", tdOff, (int)total);
        Checks.range("out", out.length, "outOff", outOff, sequences);
    }

    @Override
    public void sequencePriorities(
        final double[] td, final int tdOff, final int sequences, final int length, final double eta,
        final double[] out, final int outOff)
    {
        checkSequences(td, tdOff, sequences, length, eta, out, outOff);
        for (int s = 0; s < sequences; s++)
        {
            final int base = tdOff + s * length;
            double max = 0.0;
            double sum = 0.0;
            for (int t = 0; t < length; t++)
            {
                final double a = Math.abs(td[base + t]);
                max = Math.max(max, a);
                sum += a;
            }
            out[outOff + s] = mixSequence(eta, max, sum, length);
        }
    }

    static double mixSequence(final double eta, final double max, final double sum, final int length)
    {
        return eta * max + (1.0 - eta) * (sum / length);
    }

    static void checkRescale(
        final float[] x, final int xOff, final float[] out, final int outOff, final int n, final float eps)
    {
        Checks.range("x", x.length, "xOff", xOff, n);
        Checks.range("out", out.length, "outOff", outOff, n);
        Checks.nonNegative("eps", eps);
    }

    @Override
    public void valueRescale(
        final float[] x, final int xOff, final float[] out, final int outOff, final int n, final float eps)
    {
        checkRescale(x, xOff, out, outOff, n, eps);
        valueRescaleLoop(x, xOff, out, outOff, 0, n, eps);
    }

    static void valueRescaleLoop(
        final float[] x, final int xOff, final float[] out, final int outOff, final int from, final int to,
        final float eps)
    {
        for (int i = from; i < to; i++)
        {
            final float v = x[xOff + i];
            final float a = Math.abs(v);
            final float t = a / ((float)Math.sqrt(a + 1.0f) + 1.0f);
            out[outOff + i] = (v < 0.0f ? -t : t) + eps * v;
        }
    }

    @Override
    public void valueRescaleInverse(
        final float[] x, final int xOff, final float[] out, final int outOff, final int n, final float eps)
    {
        checkRescale(x, xOff, out, outOff, n, eps);
        valueRescaleInverseLoop(x, xOff, out, outOff, 0, n, eps);
    }

    static void valueRescaleInverseLoop(
        final float[] x, final int xOff, final float[] out, final int outOff, final int from, final int to,
        final float eps)
    {
        final float fourEps = 4.0f * eps;
        final float onePlusEps = 1.0f + eps;
        for (int i = from; i < to; i++)
        {
            final float v = x[xOff + i];
            final float a = Math.abs(v) + onePlusEps;
            final float y = (2.0f * a) / ((float)Math.sqrt(1.0f + fourEps * a) + 1.0f);
            final float r = (y - 1.0f) * (y + 1.0f);
            out[outOff + i] = v < 0.0f ? -r : r;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Standardisation
    // ---------------------------------------------------------------------------------------------------------

    static void checkStandardise(
        final int xLength, final int rows, final int features, final float[] mean, final float[] invStd,
        final float[] out)
    {
        Checks.nonNegative("rows", rows);
        Checks.positive("features", features);
        Checks.fits("x", xLength, (long)rows * features);
        Checks.fits("out", out.length, (long)rows * features);
        Checks.fits("mean", mean.length, features);
        Checks.fits("invStd", invStd.length, features);
    }

    @Override
    public void standardise(
        final float[] x, final int rows, final int features, final float[] mean, final float[] invStd,
        final float[] out)
    {
        checkStandardise(x.length, rows, features, mean, invStd, out);
        for (int r = 0; r < rows; r++)
        {
            final int base = r * features;
            for (int j = 0; j < features; j++)
            {
                out[base + j] = (x[base + j] - mean[j]) * invStd[j];
            }
        }
    }

    @Override
    public void standardiseRows(
        final MemorySegment segment, final long[] rowOffsets, final int rows, final int features,
        final float[] mean, final float[] invStd, final float[] out)
    {
        checkStandardise(Integer.MAX_VALUE, rows, features, mean, invStd, out);
        Checks.fits("rowOffsets", rowOffsets.length, rows);
        for (int r = 0; r < rows; r++)
        {
            final int base = r * features;
            final long rowOffset = rowOffsets[r];
            for (int j = 0; j < features; j++)
            {
                out[base + j] = (segment.get(LE_FLOAT, rowOffset + ((long)j << 2)) - mean[j]) * invStd[j];
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // PSAN
    // ---------------------------------------------------------------------------------------------------------

    static void checkPsan(final float[] x, final int rows, final PsanWorkspace ws)
    {
        Checks.notNull("ws", ws);
        Checks.notNull("x", x);
        if (rows < 1 || rows > ws.maxRows)
        {
            throw new IllegalArgumentException("rows must be in [1, " + ws.maxRows + "]: rows=" + rows);
        }
        Checks.fits("x", x.length, (long)rows * ws.features);
    }

    @Override
    public double psanSimilarity(final float[] x, final int rows, final PsanMeasure measure, final PsanWorkspace ws)
    {
        checkPsan(x, rows, ws);
        Checks.notNull("measure", measure);
        prepareQueriesAndKeys(x, rows, ws);
        return attentionRows(rows, measure, ws, false);
    }

    @Override
    public void psanSimilarityPair(
        final float[] uniform, final float[] prioritised, final int rows, final PsanMeasure measure,
        final PsanWorkspace ws, final double[] out)
    {
        checkPsan(uniform, rows, ws);
        checkPsan(prioritised, rows, ws);
        Checks.notNull("measure", measure);
        Checks.fits("out", out.length, 2);
        prepareQueriesAndKeys(uniform, rows, ws);
        out[0] = attentionRows(rows, measure, ws, false);
        prepareQueriesAndKeys(prioritised, rows, ws);
        out[1] = attentionRows(rows, measure, ws, false);
    }

    @Override
    public void psanAttention(final float[] x, final int rows, final PsanWorkspace ws)
    {
        checkPsan(x, rows, ws);
        prepareQueriesAndKeys(x, rows, ws);
        attentionRows(rows, PsanMeasure.OFF_DIAGONAL, ws, true);
        ws.attentionRows = rows;
    }

    /**
     * Fills {@code ws.queries} ({@code rows x dk}, already multiplied by {@code 1/sqrt(dk)}) and
     * {@code ws.keysTransposed} ({@code dk x rows}).
     */
    private static void prepareQueriesAndKeys(final float[] x, final int rows, final PsanWorkspace ws)
    {
        final int d = ws.features;
        final int dk = ws.projected;
        final float scale = ws.scale;
        final float[] q = ws.queries;
        final float[] kT = ws.keysTransposed;
        if (null == ws.wq)
        {
            for (int i = 0; i < rows; i++)
            {
                for (int t = 0; t < d; t++)
                {
                    q[i * dk + t] = x[i * d + t] * scale;
                    kT[t * rows + i] = x[i * d + t];
                }
            }
        }
        else
        {
            matmul(x, rows, d, ws.wq, dk, q);
            for (int i = 0; i < rows * dk; i++)
            {
                q[i] *= scale;
            }
            for (int i = 0; i < rows; i++)
            {
                for (int t = 0; t < dk; t++)
                {
                    float acc = 0.0f;
                    for (int k = 0; k < d; k++)
                    {
                        acc = Math.fma(x[i * d + k], ws.wk[k * dk + t], acc);
                    }
                    kT[t * rows + i] = acc;
                }
            }
        }
    }

    /**
     * {@code y = x w} for {@code x} {@code rows x in} and {@code w} {@code in x out}: each output a fused chain
     * over {@code k} from 0.
     */
    private static void matmul(final float[] x, final int rows, final int in, final float[] w, final int out,
        final float[] y)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < out; o++)
            {
                float acc = 0.0f;
                for (int k = 0; k < in; k++)
                {
                    acc = Math.fma(x[r * in + k], w[k * out + o], acc);
                }
                y[r * out + o] = acc;
            }
        }
    }

    /**
     * Scores, softmax and the chosen reduction, row by row; with {@code normalise} the matrix is left holding
     * {@code A}.
     */
    private static double attentionRows(
        final int rows, final PsanMeasure measure, final PsanWorkspace ws, final boolean normalise)
    {
        final int dk = ws.projected;
        final float[] q = ws.queries;
        final float[] kT = ws.keysTransposed;
        final float[] a = ws.matrix;
        final boolean entropy = PsanMeasure.ENTROPY == measure;
        double total = 0.0;
        for (int i = 0; i < rows; i++)
        {
            final int row = i * rows;
            final int qRow = i * dk;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < rows; j++)
            {
                float acc = 0.0f;
                for (int t = 0; t < dk; t++)
                {
                    acc = Math.fma(q[qRow + t], kT[t * rows + j], acc);
                }
                a[row + j] = acc;
                max = Math.max(max, acc);
            }
            float z = 0.0f;
            float weighted = 0.0f;
            for (int j = 0; j < rows; j++)
            {
                final float shifted = a[row + j] - max;
                final float e = (float)Math.exp(shifted);
                a[row + j] = e;
                z += e;
                weighted += e * shifted;
            }
            total += rowMeasure(entropy, a[row + i], z, weighted);
            if (normalise)
            {
                final float inv = 1.0f / z;
                for (int j = 0; j < rows; j++)
                {
                    a[row + j] *= inv;
                }
            }
        }
        return finishMeasure(entropy, total, rows);
    }

    /**
     * One row's contribution: {@code A_ii} for the off-diagonal measure, {@code H_i} for the entropy.
     */
    static double rowMeasure(final boolean entropy, final float diagonal, final float z, final float weighted)
    {
        return entropy ? Math.log(z) - (double)weighted / z : (double)diagonal / z;
    }

    static double finishMeasure(final boolean entropy, final double total, final int rows)
    {
        if (1 == rows)
        {
            return 0.0;
        }
        final double value = entropy ? total / rows / Math.log(rows) : 1.0 - total / rows;
        return Math.min(1.0, Math.max(0.0, value));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Sparse-attention metrics
    // ---------------------------------------------------------------------------------------------------------

    static void checkAttention(final double[] attention, final int rows, final int clusters)
    {
        Checks.nonNegative("rows", rows);
        Checks.positive("clusters", clusters);
        Checks.fits("attention", attention.length, (long)rows * clusters);
    }

    @Override
    public void confusion(final double[] attention, final int rows, final int clusters, final double[] out)
    {
        checkAttention(attention, rows, clusters);
        Checks.fits("out", out.length, rows);
        for (int t = 0; t < rows; t++)
        {
            out[t] = 1.0 / (clusters * sumOfSquares(attention, t * clusters, clusters));
        }
    }

    private static double sumOfSquares(final double[] a, final int from, final int n)
    {
        double sum = 0.0;
        for (int i = 0; i < n; i++)
        {
            sum += a[from + i] * a[from + i];
        }
        return sum;
    }

    @Override
    public void contribution(
        final double[] attention, final int rows, final int clusters, final double[] confusion, final double[] out)
    {
        checkAttention(attention, rows, clusters);
        Checks.positive("rows", rows);
        Checks.fits("confusion", confusion.length, rows);
        Checks.fits("out", out.length, clusters);
        for (int i = 0; i < clusters; i++)
        {
            double acc = 0.0;
            for (int t = 0; t < rows; t++)
            {
                acc = Math.fma(confusion[t], attention[t * clusters + i], acc);
            }
            out[i] = acc / rows;
        }
    }

    static void checkLoss(
        final double[] attention, final int rows, final int clusters, final double k1, final double k2,
        final double[] confusionOut, final double[] contributionOut, final double[] gradOut)
    {
        checkAttention(attention, rows, clusters);
        Checks.positive("rows", rows);
        Checks.fits("confusionOut", confusionOut.length, rows);
        Checks.fits("contributionOut", contributionOut.length, clusters);
        if (null != gradOut)
        {
            Checks.fits("gradOut", gradOut.length, (long)rows * clusters);
        }
        if (!Double.isFinite(k1) || !Double.isFinite(k2))
        {
            throw new IllegalArgumentException("k1 and k2 must be finite: k1=" + k1 + " k2=" + k2);
        }
    }

    @Override
    public double confusionContributionLoss(
        final double[] attention, final int rows, final int clusters, final double k1, final double k2,
        final double[] confusionOut, final double[] contributionOut, final double[] gradOut)
    {
        checkLoss(attention, rows, clusters, k1, k2, confusionOut, contributionOut, gradOut);
        confusion(attention, rows, clusters, confusionOut);
        contribution(attention, rows, clusters, confusionOut, contributionOut);
        final double r = sumOfSquares(contributionOut, 0, clusters);
        double logConfusion = 0.0;
        for (int t = 0; t < rows; t++)
        {
            logConfusion += Math.log(confusionOut[t]);
        }
        final double loss = k1 * (logConfusion / rows) + k2 * Math.log(r);
        if (null != gradOut)
        {
            for (int t = 0; t < rows; t++)
            {
                final int base = t * clusters;
                final double q = sumOfSquares(attention, base, clusters);
                double rhoDotA = 0.0;
                for (int i = 0; i < clusters; i++)
                {
                    rhoDotA = Math.fma(contributionOut[i], attention[base + i], rhoDotA);
                }
                final double c1 = -2.0 * k1 / (rows * q);
                final double c2 = 2.0 * k2 * confusionOut[t] / (rows * r);
                final double c3 = 2.0 * rhoDotA / q;
                for (int i = 0; i < clusters; i++)
                {
                    final double a = attention[base + i];
                    gradOut[base + i] = c1 * a + c2 * (contributionOut[i] - c3 * a);
                }
            }
        }
        return loss;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Dense helpers
    // ---------------------------------------------------------------------------------------------------------

    static void checkDense(
        final float[] x, final int batch, final int in, final float[] w, final int wOff, final int out,
        final Activation act, final float[] y)
    {
        Checks.nonNegative("batch", batch);
        Checks.positive("in", in);
        Checks.positive("out", out);
        Checks.notNull("act", act);
        Checks.fits("x", x.length, (long)batch * in);
        Checks.fits("y", y.length, (long)batch * out);
        checkLong("w", w.length, "wOff", wOff, (long)in * out);
    }

    static void checkLong(final String arrayName, final int length, final String offsetName, final int offset,
        final long count)
    {
        if (count > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("too many elements: " + arrayName + " needs " + count);
        }
        Checks.range(arrayName, length, offsetName, offset, (int)count);
    }

    @Override
    public void denseForward(
        final float[] x, final int batch, final int in, final float[] w, final int wOff, final float[] b,
        final int bOff, final int out, final Activation act, final float[] y)
    {
        checkDense(x, batch, in, w, wOff, out, act, y);
        Checks.range("b", b.length, "bOff", bOff, out);
        final boolean relu = Activation.RELU == act;
        for (int r = 0; r < batch; r++)
        {
            for (int o = 0; o < out; o++)
            {
                float acc = b[bOff + o];
                for (int k = 0; k < in; k++)
                {
                    acc = Math.fma(x[r * in + k], w[wOff + k * out + o], acc);
                }
                y[r * out + o] = relu ? Math.max(acc, 0.0f) : acc;
            }
        }
    }

    static void checkDenseBackward(
        final float[] x, final int batch, final int in, final float[] w, final int wOff, final int out,
        final Activation act, final float[] y, final float[] dy, final float[] dx, final float[] dw, final int dwOff,
        final float[] db, final int dbOff)
    {
        checkDense(x, batch, in, w, wOff, out, act, y);
        Checks.fits("dy", dy.length, (long)batch * out);
        if (null != dx)
        {
            Checks.fits("dx", dx.length, (long)batch * in);
        }
        checkLong("dw", dw.length, "dwOff", dwOff, (long)in * out);
        Checks.range("db", db.length, "dbOff", dbOff, out);
    }

    @Override
    public void denseBackward(
        final float[] x, final int batch, final int in, final float[] w, final int wOff, final int out,
        final Activation act, final float[] y, final float[] dy, final float[] dx, final float[] dw, final int dwOff,
        final float[] db, final int dbOff)
    {
        checkDenseBackward(x, batch, in, w, wOff, out, act, y, dy, dx, dw, dwOff, db, dbOff);
        if (Activation.RELU == act)
        {
            for (int i = 0; i < batch * out; i++)
            {
                dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
            }
        }
        for (int o = 0; o < out; o++)
        {
            float acc = 0.0f;
            for (int r = 0; r < batch; r++)
            {
                acc += dy[r * out + o];
            }
            db[dbOff + o] = acc;
        }
        for (int k = 0; k < in; k++)
        {
            for (int o = 0; o < out; o++)
            {
                float acc = 0.0f;
                for (int r = 0; r < batch; r++)
                {
                    acc = Math.fma(x[r * in + k], dy[r * out + o], acc);
                }
                dw[dwOff + k * out + o] = acc;
            }
        }
        if (null != dx)
        {
            for (int r = 0; r < batch; r++)
            {
                for (int k = 0; k < in; k++)
                {
                    float acc = 0.0f;
                    for (int o = 0; o < out; o++)
                    {
                        acc = Math.fma(dy[r * out + o], w[wOff + k * out + o], acc);
                    }
                    dx[r * in + k] = acc;
                }
            }
        }
    }

    static void checkAdam(
        final float[] params, final float[] grads, final float[] m, final float[] v, final int n,
        final float learningRate, final float beta1, final float beta2, final float epsilon, final long step)
    {
        Checks.fits("params", params.length, n);
        Checks.fits("grads", grads.length, n);
        Checks.fits("m", m.length, n);
        Checks.fits("v", v.length, n);
        Checks.positive("learningRate", learningRate);
        Checks.unitOpen("beta1", beta1);
        Checks.unitOpen("beta2", beta2);
        Checks.positive("epsilon", epsilon);
        if (step < 1)
        {
            throw new IllegalArgumentException("step must be >= 1: step=" + step);
        }
    }

    /**
     * {@code 1 - beta^step} in double, rounded once to float (never 0 for {@code beta < 1}, {@code step >= 1}).
     */
    static float biasCorrection(final float beta, final long step)
    {
        return (float)-Math.expm1(step * Math.log(beta));
    }

    @Override
    public void adamStep(
        final float[] params, final float[] grads, final float[] m, final float[] v, final int n,
        final float learningRate, final float beta1, final float beta2, final float epsilon, final long step)
    {
        checkAdam(params, grads, m, v, n, learningRate, beta1, beta2, epsilon, step);
        adamLoop(params, grads, m, v, 0, n, learningRate, beta1, beta2, epsilon, biasCorrection(beta1, step),
            biasCorrection(beta2, step));
    }

    static void adamLoop(
        final float[] params, final float[] grads, final float[] m, final float[] v, final int from, final int to,
        final float learningRate, final float beta1, final float beta2, final float epsilon, final float c1,
        final float c2)
    {
        final float oneMinusBeta1 = 1.0f - beta1;
        final float oneMinusBeta2 = 1.0f - beta2;
        for (int i = from; i < to; i++)
        {
            final float g = grads[i];
            final float mi = beta1 * m[i] + oneMinusBeta1 * g;
            final float vi = beta2 * v[i] + (oneMinusBeta2 * g) * g;
            m[i] = mi;
            v[i] = vi;
            params[i] -= (learningRate * (mi / c1)) / ((float)Math.sqrt(vi / c2) + epsilon);
        }
    }

    static void checkHuber(
        final float[] prediction, final float[] target, final float[] weights, final int n, final float kappa,
        final float[] grad)
    {
        Checks.positive("n", n);
        Checks.fits("prediction", prediction.length, n);
        Checks.fits("target", target.length, n);
        if (null != weights)
        {
            Checks.fits("weights", weights.length, n);
        }
        if (null != grad)
        {
            Checks.fits("grad", grad.length, n);
        }
        Checks.positive("kappa", kappa);
    }

    @Override
    public float huberLoss(
        final float[] prediction, final float[] target, final float[] weights, final int n, final float kappa,
        final float[] grad)
    {
        checkHuber(prediction, target, weights, n, kappa, grad);
        return huberLoop(prediction, target, weights, 0, n, kappa, grad, 1.0f / n) / n;
    }

    /**
     * The weighted Huber terms of {@code [from, to)}, summed left to right; writes their gradients.
     */
    static float huberLoop(
        final float[] prediction, final float[] target, final float[] weights, final int from, final int to,
        final float kappa, final float[] grad, final float invN)
    {
        final float halfKappa = 0.5f * kappa;
        float sum = 0.0f;
        for (int i = from; i < to; i++)
        {
            final float e = prediction[i] - target[i];
            final float a = Math.abs(e);
            final float w = null == weights ? 1.0f : weights[i];
            final float h = a <= kappa ? (0.5f * e) * e : kappa * (a - halfKappa);
            sum += w * h;
            if (null != grad)
            {
                grad[i] = (w * Math.min(Math.max(e, -kappa), kappa)) * invN;
            }
        }
        return sum;
    }

    @Override
    public void argmaxRows(final float[] x, final int rows, final int cols, final int[] out)
    {
        checkArgmax(x, rows, cols, out);
        argmaxLoop(x, rows, cols, out);
    }

    static void checkArgmax(final float[] x, final int rows, final int cols, final int[] out)
    {
        Checks.nonNegative("rows", rows);
        Checks.positive("cols", cols);
        Checks.fits("x", x.length, (long)rows * cols);
        Checks.fits("out", out.length, rows);
    }

    static void argmaxLoop(final float[] x, final int rows, final int cols, final int[] out)
    {
        for (int r = 0; r < rows; r++)
        {
            final int base = r * cols;
            int best = 0;
            float bestValue = Float.NEGATIVE_INFINITY;
            boolean found = false;
            for (int c = 0; c < cols; c++)
            {
                final float value = x[base + c];
                if (value > bestValue || (!found && value == value))
                {
                    bestValue = value;
                    best = c;
                    found = true;
                }
            }
            out[r] = best;
        }
    }
}
