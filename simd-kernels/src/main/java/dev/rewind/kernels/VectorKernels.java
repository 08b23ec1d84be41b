package dev.rewind.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static dev.rewind.kernels.ScalarKernels.LE_DOUBLE;
import static dev.rewind.kernels.ScalarKernels.LE_LONG;
import static dev.rewind.kernels.ScalarKernels.MISSING;

/**
 * The kernels on {@code jdk.incubator.vector}, with the preferred species of this CPU (never a fixed lane count):
 * 8 doubles and 16 floats with AVX-512, 4 and 8 with AVX2. Loops run over {@code loopBound} and finish with a masked
 * or scalar tail; long reductions keep several accumulators. Load only after checking that the module is present
 * (see {@link KernelProvider}); tests and benchmarks may construct it directly.
 *
 * <p>Note to maintainers: every method validates its arguments through the same {@code ScalarKernels.check...}
 * helpers as the twin, and reuses the twin's static loops for scalar tails and rare paths, so the two reject the same
 * arguments and agree wherever the Javadoc of {@link Kernels} promises exact agreement. Keep fused multiply-adds
 * ({@code a.fma(b, c)}) exactly where the twin has {@link Math#fma}, and plain {@code mul}/{@code add} where it has
 * {@code *}/{@code +}. Species live in static final fields only.
 */
public final class VectorKernels implements Kernels
{
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;
    private static final int DL = D.length();
    private static final int LL = L.length();
    /** A fixed-point descent of at least this many sorted targets merges them into the top levels. */
    private static final int MERGE_MIN_TARGETS = 32;
    /** Merge at a level only while it has at most one group per this many targets. */
    private static final int MERGE_TARGETS_PER_GROUP = 8;
    private static final int FL = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    // In-register inclusive prefix sum (Hillis-Steele): step s adds lane i - s into lane i for i >= s.
    private static final VectorShuffle<Long> LONG_SHIFT_1 = VectorShuffle.fromOp(L, i -> i >= 1 ? i - 1 : i);
    private static final VectorShuffle<Long> LONG_SHIFT_2 = VectorShuffle.fromOp(L, i -> i >= 2 ? i - 2 : i);
    private static final VectorShuffle<Long> LONG_SHIFT_4 = VectorShuffle.fromOp(L, i -> i >= 4 ? i - 4 : i);
    private static final VectorShuffle<Long> LONG_SHIFT_8 = VectorShuffle.fromOp(L, i -> i >= 8 ? i - 8 : i);
    private static final VectorShuffle<Long> LONG_SHIFT_16 = VectorShuffle.fromOp(L, i -> i >= 16 ? i - 16 : i);
    private static final VectorMask<Long> LONG_FROM_1 = L.indexInRange(-1, LL - 1);
    private static final VectorMask<Long> LONG_FROM_2 = L.indexInRange(-2, LL - 2);
    private static final VectorMask<Long> LONG_FROM_4 = L.indexInRange(-4, LL - 4);
    private static final VectorMask<Long> LONG_FROM_8 = L.indexInRange(-8, LL - 8);
    private static final VectorMask<Long> LONG_FROM_16 = L.indexInRange(-16, LL - 16);
    /** Every lane of a vector of longs: the merge's groups fill whole vectors. */
    private static final VectorMask<Long> ALL_LANES = L.maskAll(true);

    /**
     * Whether {@code DoubleVector} pow and the max of longs compile to vector code. On x86-64, JDK 25 compiles both at
     * 512 bits (AVX-512) only: at 256 bits ({@code -XX:UseAVX=2}, AVX2's width) POW ran the vector API's Java
     * fallback, slower than {@link Math#pow} and allocating about 40 bytes per element, and so did a max of longs
     * (AVX2 has no such instruction) (docs/DECISIONS.md). Where it is false the kernels that raise to a power run
     * their scalar twin's loop, and the tree merge takes a group's largest prefix with scalar loads.
     */
    private static final boolean WIDE_OPS = D.vectorBitSize() >= 512 || !KernelProvider.x86();

    private final String description = "vector (DoubleVector " + DL + " lanes, FloatVector " + FL + " lanes, " +
        F.vectorBitSize() + "-bit" + (WIDE_OPS ? "" : ", scalar pow") + ")";

    /**
     * Creates the vector kernels. Callers normally use {@link Kernels#best()}.
     */
    public VectorKernels()
    {
    }

    /**
     * Lanes of the preferred float species, for {@link KernelProvider}'s usefulness check.
     *
     * @return the lane count.
     */
    static int preferredFloatLanes()
    {
        return FL;
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
        ScalarKernels.checkTransform(d, dOff, out, outOff, n, alpha);
        Checks.nonNegative("eps", eps);
        final int bound = WIDE_OPS ? D.loopBound(n) : 0;
        int i = 0;
        for (; i < bound; i += DL)
        {
            DoubleVector.fromArray(D, d, dOff + i)
                .lanewise(VectorOperators.ABS)
                .add(eps)
                .lanewise(VectorOperators.POW, alpha)
                .intoArray(out, outOff + i);
        }
        ScalarKernels.perPriorityLoop(d, dOff, out, outOff, i, n, alpha, eps);
    }

    @Override
    public void lapPriority(
        final double[] d, final int dOff, final double[] out, final int outOff, final int n, final double alpha,
        final double kappa)
    {
        ScalarKernels.checkTransform(d, dOff, out, outOff, n, alpha);
        Checks.positive("kappa", kappa);
        final int bound = WIDE_OPS ? D.loopBound(n) : 0;
        int i = 0;
        for (; i < bound; i += DL)
        {
            DoubleVector.fromArray(D, d, dOff + i)
                .lanewise(VectorOperators.ABS)
                .max(kappa)
                .lanewise(VectorOperators.POW, alpha)
                .intoArray(out, outOff + i);
        }
        ScalarKernels.lapPriorityLoop(d, dOff, out, outOff, i, n, alpha, kappa);
    }

    @Override
    public void importanceWeights(
        final double[] mass, final double[] out, final int n, final double refMass, final double beta)
    {
        ScalarKernels.checkImportance(mass, out, n, refMass, beta);
        final double negBeta = -beta;
        final int bound = WIDE_OPS ? D.loopBound(n) : 0;
        int i = 0;
        for (; i < bound; i += DL)
        {
            DoubleVector.fromArray(D, mass, i)
                .div(refMass)
                .lanewise(VectorOperators.POW, negBeta)
                .intoArray(out, i);
        }
        ScalarKernels.importanceLoop(mass, out, i, n, refMass, negBeta);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reductions
    // ---------------------------------------------------------------------------------------------------------

    @Override
    public double min(final double[] values, final int n)
    {
        ScalarKernels.checkNonEmpty(values, n);
        return extremum(values, n, true);
    }

    @Override
    public double max(final double[] values, final int n)
    {
        ScalarKernels.checkNonEmpty(values, n);
        return extremum(values, n, false);
    }

    /**
     * Min or max with Java's semantics. Java's {@code Math.min} on vectors is a long multi-instruction sequence (NaN
     * and signed-zero fix-ups), so the loop keeps the better lane by one compare and one blend over eight independent
     * chains, and a guard stands beside them: fused multiply-adds of pairs of vectors into running sums, NaN if any
     * value was NaN (or, harmlessly, if an infinity met a zero or infinities of both signs met). When the guard is
     * NaN, or the answer is a zero (whose sign Java's rule fixes), the scalar twin answers instead, so the result is
     * always the scalar one, bit for bit. Min and max differ only in the order of the operands of one constant
     * operator ({@code v < a} keeps minima, {@code a < v} maxima): an operator that C2 cannot prove constant is not
     * intrinsified, and the call then boxes vectors (it did, 96 bytes per call, when the operator came from an
     * argument). The compare is written out at each use: as a two-line helper it boxed in this method (464 bytes per
     * call, 55 ns against 23 at 256 values), though not in the segment form.
     */
    private static double extremum(final double[] values, final int n, final boolean isMin)
    {
        final int bound4 = n & -(4 * DL);
        final int bound = D.loopBound(n);
        if (bound4 == 0)
        {
            return isMin ? ScalarKernels.INSTANCE.min(values, n) : ScalarKernels.INSTANCE.max(values, n);
        }
        DoubleVector a0 = DoubleVector.fromArray(D, values, 0);
        DoubleVector a1 = DoubleVector.fromArray(D, values, DL);
        DoubleVector a2 = DoubleVector.fromArray(D, values, 2 * DL);
        DoubleVector a3 = DoubleVector.fromArray(D, values, 3 * DL);
        DoubleVector guard = a0.add(a1).add(a2.add(a3));
        int i = 4 * DL;
        final int bound8 = 8 * DL <= n ? n & -(8 * DL) : 0;
        if (bound8 > 0)
        {
            DoubleVector a4 = DoubleVector.fromArray(D, values, 4 * DL);
            DoubleVector a5 = DoubleVector.fromArray(D, values, 5 * DL);
            DoubleVector a6 = DoubleVector.fromArray(D, values, 6 * DL);
            DoubleVector a7 = DoubleVector.fromArray(D, values, 7 * DL);
            DoubleVector guard1 = a4.add(a5).add(a6.add(a7));
            DoubleVector guard2 = DoubleVector.zero(D);
            DoubleVector guard3 = DoubleVector.zero(D);
            for (i = 8 * DL; i < bound8; i += 8 * DL)
            {
                final DoubleVector v0 = DoubleVector.fromArray(D, values, i);
                final DoubleVector v1 = DoubleVector.fromArray(D, values, i + DL);
                final DoubleVector v2 = DoubleVector.fromArray(D, values, i + 2 * DL);
                final DoubleVector v3 = DoubleVector.fromArray(D, values, i + 3 * DL);
                final DoubleVector v4 = DoubleVector.fromArray(D, values, i + 4 * DL);
                final DoubleVector v5 = DoubleVector.fromArray(D, values, i + 5 * DL);
                final DoubleVector v6 = DoubleVector.fromArray(D, values, i + 6 * DL);
                final DoubleVector v7 = DoubleVector.fromArray(D, values, i + 7 * DL);
                a0 = a0.blend(v0, isMin ? v0.compare(VectorOperators.LT, a0) : a0.compare(VectorOperators.LT, v0));
                a1 = a1.blend(v1, isMin ? v1.compare(VectorOperators.LT, a1) : a1.compare(VectorOperators.LT, v1));
                a2 = a2.blend(v2, isMin ? v2.compare(VectorOperators.LT, a2) : a2.compare(VectorOperators.LT, v2));
                a3 = a3.blend(v3, isMin ? v3.compare(VectorOperators.LT, a3) : a3.compare(VectorOperators.LT, v3));
                a4 = a4.blend(v4, isMin ? v4.compare(VectorOperators.LT, a4) : a4.compare(VectorOperators.LT, v4));
                a5 = a5.blend(v5, isMin ? v5.compare(VectorOperators.LT, a5) : a5.compare(VectorOperators.LT, v5));
                a6 = a6.blend(v6, isMin ? v6.compare(VectorOperators.LT, a6) : a6.compare(VectorOperators.LT, v6));
                a7 = a7.blend(v7, isMin ? v7.compare(VectorOperators.LT, a7) : a7.compare(VectorOperators.LT, v7));
                guard = v0.fma(v1, guard);
                guard1 = v2.fma(v3, guard1);
                guard2 = v4.fma(v5, guard2);
                guard3 = v6.fma(v7, guard3);
            }
            a0 = a0.blend(a4, isMin ? a4.compare(VectorOperators.LT, a0) : a0.compare(VectorOperators.LT, a4));
            a1 = a1.blend(a5, isMin ? a5.compare(VectorOperators.LT, a1) : a1.compare(VectorOperators.LT, a5));
            a2 = a2.blend(a6, isMin ? a6.compare(VectorOperators.LT, a2) : a2.compare(VectorOperators.LT, a6));
            a3 = a3.blend(a7, isMin ? a7.compare(VectorOperators.LT, a3) : a3.compare(VectorOperators.LT, a7));
            guard = guard.add(guard1).add(guard2.add(guard3));
        }
        for (; i < bound; i += DL)
        {
            final DoubleVector v = DoubleVector.fromArray(D, values, i);
            a0 = a0.blend(v, isMin ? v.compare(VectorOperators.LT, a0) : a0.compare(VectorOperators.LT, v));
            guard = guard.add(v);
        }
        // The fold stays inline here and in the segment form: passed to a shared helper, the accumulators were
        // boxed (864 bytes per call, 4x slower at 256 values under JMH -prof gc).
        a0 = a0.blend(a1, isMin ? a1.compare(VectorOperators.LT, a0) : a0.compare(VectorOperators.LT, a1));
        a2 = a2.blend(a3, isMin ? a3.compare(VectorOperators.LT, a2) : a2.compare(VectorOperators.LT, a3));
        a0 = a0.blend(a2, isMin ? a2.compare(VectorOperators.LT, a0) : a0.compare(VectorOperators.LT, a2));
        double result = isMin ? a0.reduceLanes(VectorOperators.MIN) : a0.reduceLanes(VectorOperators.MAX);
        double tail = 0.0;
        for (; i < n; i++)
        {
            final double v = values[i];
            result = isMin ? Math.min(result, v) : Math.max(result, v);
            tail += v;
        }
        // tail != tail rather than Double.isNaN: C2 left that call out of line in this large method.
        if (guard.test(VectorOperators.IS_NAN).anyTrue() || tail != tail || 0.0 == result)
        {
            return isMin ? ScalarKernels.INSTANCE.min(values, n) : ScalarKernels.INSTANCE.max(values, n);
        }
        return result;
    }

    /**
     * Below this many values the reductions run the scalar loop: a horizontal reduction costs more than the few
     * vector adds it would replace (measured at 13 values: 6 ns vector, 3 ns scalar).
     */
    private static final int SHORT_RUN = 2 * DL;

    @Override
    public double sum(final double[] values, final int n)
    {
        if (n < SHORT_RUN)
        {
            return ScalarKernels.INSTANCE.sum(values, n);
        }
        Checks.fits("values", values.length, n);
        final int bound4 = n & -(4 * DL);
        DoubleVector a0 = DoubleVector.zero(D);
        DoubleVector a1 = DoubleVector.zero(D);
        DoubleVector a2 = DoubleVector.zero(D);
        DoubleVector a3 = DoubleVector.zero(D);
        int i = 0;
        for (; i < bound4; i += 4 * DL)
        {
            a0 = a0.add(DoubleVector.fromArray(D, values, i));
            a1 = a1.add(DoubleVector.fromArray(D, values, i + DL));
            a2 = a2.add(DoubleVector.fromArray(D, values, i + 2 * DL));
            a3 = a3.add(DoubleVector.fromArray(D, values, i + 3 * DL));
        }
        for (; i < D.loopBound(n); i += DL)
        {
            a0 = a0.add(DoubleVector.fromArray(D, values, i));
        }
        double sum = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++)
        {
            sum += values[i];
        }
        return sum;
    }

    @Override
    public double sum(final MemorySegment segment, final long offset, final int n)
    {
        if (n < SHORT_RUN)
        {
            return ScalarKernels.INSTANCE.sum(segment, offset, n);
        }
        final int bound4 = n & -(4 * DL);
        DoubleVector a0 = DoubleVector.zero(D);
        DoubleVector a1 = DoubleVector.zero(D);
        DoubleVector a2 = DoubleVector.zero(D);
        DoubleVector a3 = DoubleVector.zero(D);
        int i = 0;
        for (; i < bound4; i += 4 * DL)
        {
            final long at = offset + ((long)i << 3);
            a0 = a0.add(DoubleVector.fromMemorySegment(D, segment, at, LE));
            a1 = a1.add(DoubleVector.fromMemorySegment(D, segment, at + 8L * DL, LE));
            a2 = a2.add(DoubleVector.fromMemorySegment(D, segment, at + 16L * DL, LE));
            a3 = a3.add(DoubleVector.fromMemorySegment(D, segment, at + 24L * DL, LE));
        }
        for (; i < D.loopBound(n); i += DL)
        {
            a0 = a0.add(DoubleVector.fromMemorySegment(D, segment, offset + ((long)i << 3), LE));
        }
        double sum = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++)
        {
            sum += segment.get(LE_DOUBLE, offset + ((long)i << 3));
        }
        return sum;
    }

    @Override
    public double min(final MemorySegment segment, final long offset, final int n)
    {
        if (n < SHORT_RUN)
        {
            return ScalarKernels.INSTANCE.min(segment, offset, n);
        }
        return extremum(segment, offset, n, true);
    }

    @Override
    public double max(final MemorySegment segment, final long offset, final int n)
    {
        if (n < SHORT_RUN)
        {
            return ScalarKernels.INSTANCE.max(segment, offset, n);
        }
        return extremum(segment, offset, n, false);
    }

    /**
     * {@link #extremum(double[], int, boolean)} over a segment, with four chains (eight took 40 ns at 256 values
     * against 28 ns with four) that start from the first value, so that every vector load sits in the loop, which
     * steps a byte offset (a little faster than an element index).
     */
    private static double extremum(
        final MemorySegment segment, final long offset, final int n, final boolean isMin)
    {
        final int bound4 = n & -(4 * DL);
        final int bound = D.loopBound(n);
        if (bound4 == 0)
        {
            return isMin ? ScalarKernels.INSTANCE.min(segment, offset, n) :
                ScalarKernels.INSTANCE.max(segment, offset, n);
        }
        final long stride = (long)DL << 3;
        DoubleVector a0 = DoubleVector.broadcast(D, segment.get(LE_DOUBLE, offset));
        DoubleVector a1 = a0;
        DoubleVector a2 = a0;
        DoubleVector a3 = a0;
        DoubleVector guard = DoubleVector.zero(D);
        DoubleVector guard1 = guard;
        final long end4 = offset + ((long)bound4 << 3);
        long at = offset;
        for (; at < end4; at += 4 * stride)
        {
            final DoubleVector v0 = DoubleVector.fromMemorySegment(D, segment, at, LE);
            final DoubleVector v1 = DoubleVector.fromMemorySegment(D, segment, at + stride, LE);
            final DoubleVector v2 = DoubleVector.fromMemorySegment(D, segment, at + 2 * stride, LE);
            final DoubleVector v3 = DoubleVector.fromMemorySegment(D, segment, at + 3 * stride, LE);
            a0 = a0.blend(v0, isMin ? v0.compare(VectorOperators.LT, a0) : a0.compare(VectorOperators.LT, v0));
            a1 = a1.blend(v1, isMin ? v1.compare(VectorOperators.LT, a1) : a1.compare(VectorOperators.LT, v1));
            a2 = a2.blend(v2, isMin ? v2.compare(VectorOperators.LT, a2) : a2.compare(VectorOperators.LT, v2));
            a3 = a3.blend(v3, isMin ? v3.compare(VectorOperators.LT, a3) : a3.compare(VectorOperators.LT, v3));
            guard = v0.fma(v1, guard);
            guard1 = v2.fma(v3, guard1);
        }
        guard = guard.add(guard1);
        int i = bound4;
        for (; i < bound; i += DL)
        {
            final DoubleVector v = DoubleVector.fromMemorySegment(D, segment, offset + ((long)i << 3), LE);
            a0 = a0.blend(v, isMin ? v.compare(VectorOperators.LT, a0) : a0.compare(VectorOperators.LT, v));
            guard = guard.add(v);
        }
        a0 = a0.blend(a1, isMin ? a1.compare(VectorOperators.LT, a0) : a0.compare(VectorOperators.LT, a1));
        a2 = a2.blend(a3, isMin ? a3.compare(VectorOperators.LT, a2) : a2.compare(VectorOperators.LT, a3));
        a0 = a0.blend(a2, isMin ? a2.compare(VectorOperators.LT, a0) : a0.compare(VectorOperators.LT, a2));
        double result = isMin ? a0.reduceLanes(VectorOperators.MIN) : a0.reduceLanes(VectorOperators.MAX);
        double tail = 0.0;
        for (; i < n; i++)
        {
            final double v = segment.get(LE_DOUBLE, offset + ((long)i << 3));
            result = isMin ? Math.min(result, v) : Math.max(result, v);
            tail += v;
        }
        if (guard.test(VectorOperators.IS_NAN).anyTrue() || tail != tail || 0.0 == result)
        {
            return isMin ? ScalarKernels.INSTANCE.min(segment, offset, n) :
                ScalarKernels.INSTANCE.max(segment, offset, n);
        }
        return result;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Fixed-point tree search and update
    // ---------------------------------------------------------------------------------------------------------

    @Override
    public void descendFixedPoint(
        final MemorySegment tree, final long[] levelOffsets, final int fanout, final long[] targets, final int n,
        final int[] outLeaf, final long[] outMass)
    {
        ScalarKernels.checkFixedPointDescend(levelOffsets, fanout, targets, n, outLeaf, outMass);
        final int depth = levelOffsets.length - 1;
        final int shift = Integer.numberOfTrailingZeros(fanout);
        for (int i = 0; i < n; i++)
        {
            outLeaf[i] = 0;
        }
        int level = 1;
        if (fanout >= LL && n >= MERGE_MIN_TARGETS && depth > 2 && ascending(targets, n))
        {
            level = mergeTopLevels(tree, levelOffsets, fanout, targets, n, outLeaf);
        }
        // Level by level: the steps of one level for all targets are independent, so their loads overlap.
        for (; level < depth; level++)
        {
            final long levelOffset = levelOffsets[level];
            ScalarKernels.touchDeepLevel(tree, levelOffset, level, depth, shift, outLeaf, n);
            fixedPointLevel(tree, levelOffset, fanout, shift, targets, n, outLeaf);
        }
        final long leafOffset = levelOffsets[depth];
        ScalarKernels.touchDeepLevel(tree, leafOffset, depth, depth, shift, outLeaf, n);
        fixedPointLeaves(tree, leafOffset, fanout, shift, targets, n, outLeaf, outMass);
    }

    /**
     * Sorted targets (a stratified sample's) skip the top levels: the groups of one level, in order, with the
     * running total of the groups before each, are merged with the targets. The first level with more than one
     * group per {@link #MERGE_TARGETS_PER_GROUP} targets ends the walk down; the level above it is merged: each
     * target lands in the group whose running range holds it, then takes one ordinary step within the group. On a
     * consistent tree this is exactly the choice the levels above would have made (a node's mass is its children
     * group's total, and zero-mass groups hold no range), with the same integer remainder. Only for a fan-out of at
     * least one vector.
     *
     * @return the first level still to descend.
     */
    private static int mergeTopLevels(
        final MemorySegment tree, final long[] levelOffsets, final int fanout, final long[] targets, final int n,
        final int[] outLeaf)
    {
        final int depth = levelOffsets.length - 1;
        // Level 1 is one group (the root's children); each level's group count is the level above's node count.
        int level = 1;
        int groups = 1;
        int nodes = existingNodes(tree, levelOffsets[1], fanout, 1);
        while (level + 1 < depth && (long)nodes * MERGE_TARGETS_PER_GROUP <= n)
        {
            level++;
            groups = nodes;
            nodes = existingNodes(tree, levelOffsets[level], fanout, groups);
        }
        if (level == 1)
        {
            return 1;
        }
        final long levelOffset = levelOffsets[level];
        final int lastChild = fanout - 1;
        long base = 0;
        int i = 0;
        for (int g = 0; g < groups && i < n; g++)
        {
            final long group = levelOffset + ((long)g * fanout << 3);
            // The group's total: its largest prefix (padding is Long.MIN_VALUE), robust to a racing writer.
            final long end = base + largestPrefix(tree, group, fanout);
            for (; i < n && targets[i] < end; i++)
            {
                final long remainder = targets[i] - base;
                // Some prefix exceeds the remainder (the largest did), unless a racing writer lowered it since.
                final int chosen = Long.numberOfTrailingZeros(childrenAbove(tree, group, fanout, ALL_LANES, remainder));
                if (chosen < fanout)
                {
                    final long previous = tree.get(LE_LONG, group + ((long)((chosen - 1) & lastChild) << 3));
                    final long first0 = (long)((chosen - 1) >> 31);
                    // Read again since the compare, as in fixedPointLevel: never a negative target.
                    targets[i] = Math.max(remainder - (previous & ~first0), 0L);
                    outLeaf[i] = g * fanout + chosen;
                }
                else
                {
                    fixedPointOverflow(tree, group, g * fanout, fanout, targets, outLeaf, i);
                }
            }
            base = end;
        }
        if (i < n)
        {
            // Targets at or beyond the total (given so, or a racing writer lowered it): the overflow rule, from the
            // top, ends at the last node of this level with mass, on its last unit.
            int g = groups - 1;
            while (g > 0 && largestPrefix(tree, levelOffset + ((long)g * fanout << 3), fanout) <= 0)
            {
                g--;
            }
            final long group = levelOffset + ((long)g * fanout << 3);
            final int chosen = ScalarKernels.fixedPointOverflowChild(tree, group, fanout);
            final long last = Math.max(ScalarKernels.fixedPointOwnMass(tree, group, chosen) - 1, 0);
            for (; i < n; i++)
            {
                targets[i] = last;
                outLeaf[i] = g * fanout + chosen;
            }
        }
        return level + 1;
    }

    /**
     * The nodes that exist on a level of {@code groups} groups: its prefixes that are not the padding mark.
     */
    private static int existingNodes(final MemorySegment tree, final long levelOffset, final int fanout,
        final int groups)
    {
        final int lanes = groups * fanout;
        int count = 0;
        for (int base = 0; base < lanes; base += LL)
        {
            count += LongVector.fromMemorySegment(L, tree, levelOffset + ((long)base << 3), LE)
                .compare(VectorOperators.NE, MISSING).trueCount();
        }
        return count;
    }

    /**
     * The largest prefix of a group: its total, or less under a racing writer. A vector max where it compiles to
     * instructions ({@link #WIDE_OPS}); scalar loads otherwise, where the vector API's fallback allocated on every
     * call.
     */
    private static long largestPrefix(final MemorySegment tree, final long group, final int fanout)
    {
        if (WIDE_OPS && fanout >= LL)
        {
            LongVector largest = LongVector.fromMemorySegment(L, tree, group, LE);
            for (int base = LL; base < fanout; base += LL)
            {
                largest = largest.max(LongVector.fromMemorySegment(L, tree, group + ((long)base << 3), LE));
            }
            return largest.reduceLanes(VectorOperators.MAX);
        }
        long largest = Long.MIN_VALUE;
        for (int c = 0; c < fanout; c++)
        {
            largest = Math.max(largest, tree.get(LE_LONG, group + ((long)c << 3)));
        }
        return largest;
    }

    private static boolean ascending(final long[] targets, final int n)
    {
        boolean ascending = true;
        for (int i = 1; i < n; i++)
        {
            ascending &= targets[i - 1] <= targets[i];
        }
        return ascending;
    }

    /**
     * Which children of a group of an internal level have a prefix above the target: bit {@code c} for child
     * {@code c}, one compare per vector of the group. The padding mark never exceeds a target, and the lanes after a
     * group narrower than a vector are not loaded ({@code live}, the group's lanes, masks them: they read as 0, below
     * no target). The prefixes rise on a quiet tree, so the lowest bit set is the child that holds the target, and
     * none is set when the target is at or beyond the group's total. One and two vectors are written out: C2 kept a
     * loop over the vectors as a loop, about a tenth slower at two (a throwaway timing).
     */
    private static long childrenAbove(
        final MemorySegment tree, final long group, final int fanout, final VectorMask<Long> live, final long target)
    {
        if (fanout == LL)
        {
            return LongVector.fromMemorySegment(L, tree, group, LE).compare(VectorOperators.GT, target).toLong();
        }
        if (fanout == 2 * LL)
        {
            final long low = LongVector.fromMemorySegment(L, tree, group, LE)
                .compare(VectorOperators.GT, target).toLong();
            final long high = LongVector.fromMemorySegment(L, tree, group + ((long)LL << 3), LE)
                .compare(VectorOperators.GT, target).toLong();
            return low | high << LL;
        }
        if (fanout < LL)
        {
            return LongVector.fromMemorySegment(L, tree, group, LE, live).compare(VectorOperators.GT, target).toLong();
        }
        long above = 0;
        for (int base = 0; base < fanout; base += LL)
        {
            above |= LongVector.fromMemorySegment(L, tree, group + ((long)base << 3), LE)
                .compare(VectorOperators.GT, target).toLong() << base;
        }
        return above;
    }

    /**
     * One internal fixed-point level: the compares of {@link #childrenAbove} and a count of trailing zeros choose the
     * child (no lane is extracted at a data-dependent index), and the prefix before it is one scalar load from the
     * line just loaded, kept or dropped by a mask rather than a branch (C2 compiled a select to a branch on the
     * first child, mispredicted one step in eight; docs/DECISIONS.md). On a quiet tree the children before the
     * chosen one hold prefixes {@code <=} the target; a racing writer can raise the one read again, so the remainder
     * is clamped at 0.
     */
    private static void fixedPointLevel(
        final MemorySegment tree, final long levelOffset, final int fanout, final int shift, final long[] targets,
        final int n, final int[] outLeaf)
    {
        final int lastChild = fanout - 1;
        final VectorMask<Long> live = L.indexInRange(0, Math.min(fanout, LL));
        for (int i = 0; i < n; i++)
        {
            final int first = outLeaf[i] << shift;
            final long group = levelOffset + ((long)first << 3);
            final long target = targets[i];
            // 64 when no bit is set: at least the fan-out, the overflow rule.
            final int chosen = Long.numberOfTrailingZeros(childrenAbove(tree, group, fanout, live, target));
            if (chosen < fanout)
            {
                final long previous = tree.get(LE_LONG, group + ((long)((chosen - 1) & lastChild) << 3));
                // All ones for child 0 (chosen - 1 is negative), else 0: an and, where a select compiled to a branch.
                final long first0 = (long)((chosen - 1) >> 31);
                // The prefix before is read again: a writer may have raised it since the compare. Never carry a
                // negative target (it would take child 0 all the way down, even a leaf without mass).
                targets[i] = Math.max(target - (previous & ~first0), 0L);
                outLeaf[i] = first + chosen;
            }
            else
            {
                fixedPointOverflow(tree, group, first, fanout, targets, outLeaf, i);
            }
        }
    }

    /**
     * Which leaves of a group have a running sum (of the group's masses up to and including theirs) above the
     * target: bit {@code c} for leaf {@code c}. The sums are in-register prefix sums, carried from vector to
     * vector; the lanes after a group narrower than a vector are not loaded ({@code live} masks them: they add 0).
     * Masses are {@code >= 0}, so the sums rise and the lowest bit set is the leaf that holds the target.
     */
    private static long leavesAbove(
        final MemorySegment tree, final long group, final int fanout, final VectorMask<Long> live, final long target)
    {
        if (fanout == LL)
        {
            return inclusiveScan(LongVector.fromMemorySegment(L, tree, group, LE))
                .compare(VectorOperators.GT, target).toLong();
        }
        if (fanout == 2 * LL)
        {
            final LongVector low = inclusiveScan(LongVector.fromMemorySegment(L, tree, group, LE));
            final LongVector high = inclusiveScan(LongVector.fromMemorySegment(L, tree, group + ((long)LL << 3), LE))
                .add(low.lane(LL - 1));
            return low.compare(VectorOperators.GT, target).toLong()
                | high.compare(VectorOperators.GT, target).toLong() << LL;
        }
        if (fanout < LL)
        {
            return inclusiveScan(LongVector.fromMemorySegment(L, tree, group, LE, live))
                .compare(VectorOperators.GT, target).toLong();
        }
        long above = 0;
        long carried = 0;
        for (int base = 0; base < fanout; base += LL)
        {
            final LongVector running =
                inclusiveScan(LongVector.fromMemorySegment(L, tree, group + ((long)base << 3), LE)).add(carried);
            above |= running.compare(VectorOperators.GT, target).toLong() << base;
            carried = running.lane(LL - 1);
        }
        return above;
    }

    /**
     * The leaf level of a fixed-point descent: the first leaf of the group whose running sum exceeds the target
     * ({@link #leavesAbove}); none does only for a target at or beyond the group's total, and then the overflow rule
     * takes the last leaf with positive mass.
     */
    private static void fixedPointLeaves(
        final MemorySegment tree, final long leafOffset, final int fanout, final int shift, final long[] targets,
        final int n, final int[] outLeaf, final long[] outMass)
    {
        final VectorMask<Long> live = L.indexInRange(0, Math.min(fanout, LL));
        for (int i = 0; i < n; i++)
        {
            final int first = outLeaf[i] << shift;
            final long group = leafOffset + ((long)first << 3);
            int chosen = Long.numberOfTrailingZeros(leavesAbove(tree, group, fanout, live, targets[i]));
            if (chosen >= fanout)
            {
                chosen = ScalarKernels.lastPositiveLeaf(tree, group, fanout);
            }
            outLeaf[i] = first + chosen;
            outMass[i] = tree.get(LE_LONG, group + ((long)chosen << 3));
        }
    }

    /**
     * In-register inclusive prefix sum of longs (Hillis-Steele): step {@code s} adds lane {@code i - s} into lane
     * {@code i} for {@code i >= s}.
     */
    private static LongVector inclusiveScan(final LongVector v)
    {
        LongVector s = v.add(v.rearrange(LONG_SHIFT_1), LONG_FROM_1);
        if (LL > 2)
        {
            s = s.add(s.rearrange(LONG_SHIFT_2), LONG_FROM_2);
        }
        if (LL > 4)
        {
            s = s.add(s.rearrange(LONG_SHIFT_4), LONG_FROM_4);
        }
        // Wider vectors than this machine's (Arm SVE allows up to 32 long lanes); LL is a constant, so C2 drops these.
        if (LL > 8)
        {
            s = s.add(s.rearrange(LONG_SHIFT_8), LONG_FROM_8);
        }
        if (LL > 16)
        {
            s = s.add(s.rearrange(LONG_SHIFT_16), LONG_FROM_16);
        }
        return s;
    }

    private static void fixedPointOverflow(
        final MemorySegment tree, final long group, final int first, final int fanout, final long[] targets,
        final int[] outLeaf, final int i)
    {
        final int chosen = ScalarKernels.fixedPointOverflowChild(tree, group, fanout);
        targets[i] = Math.max(ScalarKernels.fixedPointOwnMass(tree, group, chosen) - 1, 0);
        outLeaf[i] = first + chosen;
    }

    @Override
    public void addToPrefixes(
        final MemorySegment tree, final long levelOffset, final int fanout, final int existing, final int[] nodes,
        final long[] deltas, final int count)
    {
        ScalarKernels.checkAddToPrefixes(fanout, existing, nodes, deltas, count);
        if (fanout < LL)
        {
            ScalarKernels.INSTANCE.addToPrefixes(tree, levelOffset, fanout, existing, nodes, deltas, count);
            return;
        }
        final int lastChild = fanout - 1;
        final LongVector iota = LongVector.zero(L).addIndex(1);
        if (fanout == LL)
        {
            // One vector per group: no loop over a group's vectors (C2 kept one, strip-mined, per entry).
            final int fullGroups = existing & ~lastChild;
            for (int k = 0; k < count; k++)
            {
                final int node = nodes[k];
                final int first = node & ~lastChild;
                final long group = levelOffset + ((long)first << 3);
                VectorMask<Long> lanes = iota.compare(VectorOperators.GE, node & lastChild);
                if (first >= fullGroups)
                {
                    lanes = lanes.and(iota.compare(VectorOperators.LT, existing - first));
                }
                LongVector.fromMemorySegment(L, tree, group, LE).add(deltas[k], lanes)
                    .intoMemorySegment(tree, group, LE);
            }
            return;
        }
        if (fanout == 2 * LL)
        {
            // Two vectors per group, both added to with a mask each (the low one's empty when the node is in the
            // high half): no branch on which half holds the node, which would mispredict half the time.
            final int fullGroups = existing & ~lastChild;
            for (int k = 0; k < count; k++)
            {
                final int node = nodes[k];
                final int first = node & ~lastChild;
                final int from = node & lastChild;
                final long low = levelOffset + ((long)first << 3);
                final long high = low + ((long)LL << 3);
                final long delta = deltas[k];
                VectorMask<Long> lowLanes = iota.compare(VectorOperators.GE, from);
                VectorMask<Long> highLanes = iota.compare(VectorOperators.GE, from - LL);
                if (first >= fullGroups)
                {
                    lowLanes = lowLanes.and(iota.compare(VectorOperators.LT, existing - first));
                    highLanes = highLanes.and(iota.compare(VectorOperators.LT, existing - first - LL));
                }
                LongVector.fromMemorySegment(L, tree, low, LE).add(delta, lowLanes).intoMemorySegment(tree, low, LE);
                LongVector.fromMemorySegment(L, tree, high, LE).add(delta, highLanes)
                    .intoMemorySegment(tree, high, LE);
            }
            return;
        }
        for (int k = 0; k < count; k++)
        {
            final int node = nodes[k];
            final int first = node & ~lastChild;
            final long group = levelOffset + ((long)first << 3);
            final long delta = deltas[k];
            final int from = node & lastChild;
            final int end = existing - first;
            // Vectors before the node's own hold no lane to change.
            for (int base = from & -LL; base < fanout; base += LL)
            {
                // The node's lane and its later existing siblings get the delta; a whole-vector load and store
                // (the group fills whole vectors) writes every other lane back unchanged, which only this writer
                // thread could have changed: readers see each lane either way. A masked store checked so much
                // more that it cost three times as much.
                VectorMask<Long> lanes = iota.compare(VectorOperators.GE, from - base);
                if (end < fanout)
                {
                    // The level's last group: its padding lanes keep their mark.
                    lanes = lanes.and(iota.compare(VectorOperators.LT, end - base));
                }
                final long at = group + ((long)base << 3);
                LongVector.fromMemorySegment(L, tree, at, LE).add(delta, lanes).intoMemorySegment(tree, at, LE);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // R2D2
    // ---------------------------------------------------------------------------------------------------------

    @Override
    public void sequencePriorities(
        final double[] td, final int tdOff, final int sequences, final int length, final double eta,
        final double[] out, final int outOff)
    {
        ScalarKernels.checkSequences(td, tdOff, sequences, length, eta, out, outOff);
        final int bound2 = length & -(2 * DL);
        final int bound = D.loopBound(length);
        for (int s = 0; s < sequences; s++)
        {
            final int base = tdOff + s * length;
            DoubleVector max0 = DoubleVector.zero(D);
            DoubleVector max1 = DoubleVector.zero(D);
            DoubleVector sum0 = DoubleVector.zero(D);
            DoubleVector sum1 = DoubleVector.zero(D);
            int t = 0;
            for (; t < bound2; t += 2 * DL)
            {
                final DoubleVector a = DoubleVector.fromArray(D, td, base + t).lanewise(VectorOperators.ABS);
                final DoubleVector b = DoubleVector.fromArray(D, td, base + t + DL).lanewise(VectorOperators.ABS);
                max0 = max0.max(a);
                max1 = max1.max(b);
                sum0 = sum0.add(a);
                sum1 = sum1.add(b);
            }
            for (; t < bound; t += DL)
            {
                final DoubleVector a = DoubleVector.fromArray(D, td, base + t).lanewise(VectorOperators.ABS);
                max0 = max0.max(a);
                sum0 = sum0.add(a);
            }
            double max = max0.max(max1).reduceLanes(VectorOperators.MAX);
            double sum = sum0.add(sum1).reduceLanes(VectorOperators.ADD);
            for (; t < length; t++)
            {
                final double a = Math.abs(td[base + t]);
                max = Math.max(max, a);
                sum += a;
            }
            out[outOff + s] = ScalarKernels.mixSequence(eta, max, sum, length);
        }
    }

    @Override
    public void valueRescale(
        final float[] x, final int xOff, final float[] out, final int outOff, final int n, final float eps)
    {
        ScalarKernels.checkRescale(x, xOff, out, outOff, n, eps);
        final int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += FL)
        {
            final FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            final FloatVector a = v.abs();
            final FloatVector t = a.div(a.add(1.0f).sqrt().add(1.0f));
            t.neg().blend(t, v.compare(VectorOperators.GE, 0.0f))
                .add(v.mul(eps))
                .intoArray(out, outOff + i);
        }
        ScalarKernels.valueRescaleLoop(x, xOff, out, outOff, i, n, eps);
    }

    @Override
    public void valueRescaleInverse(
        final float[] x, final int xOff, final float[] out, final int outOff, final int n, final float eps)
    {
        ScalarKernels.checkRescale(x, xOff, out, outOff, n, eps);
        final float fourEps = 4.0f * eps;
        final float onePlusEps = 1.0f + eps;
        final int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += FL)
        {
            final FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            final FloatVector a = v.abs().add(onePlusEps);
            final FloatVector y = a.mul(2.0f).div(a.mul(fourEps).add(1.0f).sqrt().add(1.0f));
            final FloatVector r = y.sub(1.0f).mul(y.add(1.0f));
            r.neg().blend(r, v.compare(VectorOperators.GE, 0.0f)).intoArray(out, outOff + i);
        }
        ScalarKernels.valueRescaleInverseLoop(x, xOff, out, outOff, i, n, eps);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Standardisation
    // ---------------------------------------------------------------------------------------------------------

    @Override
    public void standardise(
        final float[] x, final int rows, final int features, final float[] mean, final float[] invStd,
        final float[] out)
    {
        ScalarKernels.checkStandardise(x.length, rows, features, mean, invStd, out);
        final int bound = F.loopBound(features);
        final VectorMask<Float> tail = F.indexInRange(bound, features);
        if (features <= FL)
        {
            // A row fits one vector: load the statistics once, then one (masked) load and store per row.
            final VectorMask<Float> row = F.indexInRange(0, features);
            final FloatVector m = FloatVector.fromArray(F, mean, 0, row);
            final FloatVector s = FloatVector.fromArray(F, invStd, 0, row);
            for (int r = 0; r < rows; r++)
            {
                final int base = r * features;
                FloatVector.fromArray(F, x, base, row).sub(m).mul(s).intoArray(out, base, row);
            }
            return;
        }
        for (int r = 0; r < rows; r++)
        {
            final int base = r * features;
            int j = 0;
            for (; j < bound; j += FL)
            {
                FloatVector.fromArray(F, x, base + j)
                    .sub(FloatVector.fromArray(F, mean, j))
                    .mul(FloatVector.fromArray(F, invStd, j))
                    .intoArray(out, base + j);
            }
            if (j < features)
            {
                FloatVector.fromArray(F, x, base + j, tail)
                    .sub(FloatVector.fromArray(F, mean, j, tail))
                    .mul(FloatVector.fromArray(F, invStd, j, tail))
                    .intoArray(out, base + j, tail);
            }
        }
    }

    @Override
    public void standardiseRows(
        final MemorySegment segment, final long[] rowOffsets, final int rows, final int features,
        final float[] mean, final float[] invStd, final float[] out)
    {
        ScalarKernels.checkStandardise(Integer.MAX_VALUE, rows, features, mean, invStd, out);
        Checks.fits("rowOffsets", rowOffsets.length, rows);
        final int bound = F.loopBound(features);
        final VectorMask<Float> tail = F.indexInRange(bound, features);
        for (int r = 0; r < rows; r++)
        {
            final int base = r * features;
            final long rowOffset = rowOffsets[r];
            int j = 0;
            for (; j < bound; j += FL)
            {
                FloatVector.fromMemorySegment(F, segment, rowOffset + ((long)j << 2), LE)
                    .sub(FloatVector.fromArray(F, mean, j))
                    .mul(FloatVector.fromArray(F, invStd, j))
                    .intoArray(out, base + j);
            }
            if (j < features)
            {
                FloatVector.fromMemorySegment(F, segment, rowOffset + ((long)j << 2), LE, tail)
                    .sub(FloatVector.fromArray(F, mean, j, tail))
                    .mul(FloatVector.fromArray(F, invStd, j, tail))
                    .intoArray(out, base + j, tail);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // PSAN
    // ---------------------------------------------------------------------------------------------------------

    @Override
    public double psanSimilarity(final float[] x, final int rows, final PsanMeasure measure, final PsanWorkspace ws)
    {
        ScalarKernels.checkPsan(x, rows, ws);
        Checks.notNull("measure", measure);
        prepareQueriesAndKeys(x, rows, ws);
        return attentionRows(rows, measure, ws, false);
    }

    @Override
    public void psanSimilarityPair(
        final float[] uniform, final float[] prioritised, final int rows, final PsanMeasure measure,
        final PsanWorkspace ws, final double[] out)
    {
        ScalarKernels.checkPsan(uniform, rows, ws);
        ScalarKernels.checkPsan(prioritised, rows, ws);
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
        ScalarKernels.checkPsan(x, rows, ws);
        prepareQueriesAndKeys(x, rows, ws);
        attentionRows(rows, PsanMeasure.OFF_DIAGONAL, ws, true);
        ws.attentionRows = rows;
    }

    private static void prepareQueriesAndKeys(final float[] x, final int rows, final PsanWorkspace ws)
    {
        final int d = ws.features;
        final int dk = ws.projected;
        final float scale = ws.scale;
        final float[] q = ws.queries;
        final float[] kT = ws.keysTransposed;
        if (null == ws.wq)
        {
            scaleInto(x, rows * d, scale, q);
            transpose(x, rows, d, kT);
        }
        else
        {
            matmul(x, rows, d, ws.wq, 0, null, 0, dk, false, q);
            scaleInto(q, rows * dk, scale, q);
            matmul(x, rows, d, ws.wk, 0, null, 0, dk, false, ws.keys);
            transpose(ws.keys, rows, dk, kT);
        }
    }

    private static void scaleInto(final float[] src, final int n, final float scale, final float[] dst)
    {
        final int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += FL)
        {
            FloatVector.fromArray(F, src, i).mul(scale).intoArray(dst, i);
        }
        for (; i < n; i++)
        {
            dst[i] = src[i] * scale;
        }
    }

    private static void transpose(final float[] src, final int rows, final int cols, final float[] dst)
    {
        for (int i = 0; i < rows; i++)
        {
            for (int t = 0; t < cols; t++)
            {
                dst[t * rows + i] = src[i * cols + t];
            }
        }
    }

    private static double attentionRows(
        final int rows, final PsanMeasure measure, final PsanWorkspace ws, final boolean normalise)
    {
        final int dk = ws.projected;
        final float[] q = ws.queries;
        final float[] kT = ws.keysTransposed;
        final float[] a = ws.matrix;
        final boolean entropy = PsanMeasure.ENTROPY == measure;
        final int bound = F.loopBound(rows);
        final int bound4 = rows & -(4 * FL);
        final VectorMask<Float> tail = F.indexInRange(bound, rows);
        double total = 0.0;
        for (int i = 0; i < rows; i++)
        {
            final int row = i * rows;
            final int qRow = i * dk;
            // Scores: four column blocks at a time, each the twin's fused chain over t.
            FloatVector max = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            int j = 0;
            for (; j < bound4; j += 4 * FL)
            {
                FloatVector s0 = FloatVector.zero(F);
                FloatVector s1 = FloatVector.zero(F);
                FloatVector s2 = FloatVector.zero(F);
                FloatVector s3 = FloatVector.zero(F);
                for (int t = 0; t < dk; t++)
                {
                    final FloatVector qt = FloatVector.broadcast(F, q[qRow + t]);
                    final int k = t * rows + j;
                    s0 = FloatVector.fromArray(F, kT, k).fma(qt, s0);
                    s1 = FloatVector.fromArray(F, kT, k + FL).fma(qt, s1);
                    s2 = FloatVector.fromArray(F, kT, k + 2 * FL).fma(qt, s2);
                    s3 = FloatVector.fromArray(F, kT, k + 3 * FL).fma(qt, s3);
                }
                s0.intoArray(a, row + j);
                s1.intoArray(a, row + j + FL);
                s2.intoArray(a, row + j + 2 * FL);
                s3.intoArray(a, row + j + 3 * FL);
                max = max.max(s0.max(s1)).max(s2.max(s3));
            }
            for (; j < bound; j += FL)
            {
                FloatVector s = FloatVector.zero(F);
                for (int t = 0; t < dk; t++)
                {
                    s = FloatVector.fromArray(F, kT, t * rows + j).fma(FloatVector.broadcast(F, q[qRow + t]), s);
                }
                s.intoArray(a, row + j);
                max = max.max(s);
            }
            if (j < rows)
            {
                FloatVector s = FloatVector.zero(F);
                for (int t = 0; t < dk; t++)
                {
                    s = FloatVector.fromArray(F, kT, t * rows + j, tail).fma(FloatVector.broadcast(F, q[qRow + t]), s);
                }
                s.intoArray(a, row + j, tail);
                max = max.max(s.blend(Float.NEGATIVE_INFINITY, tail.not()));
            }
            final float m = max.reduceLanes(VectorOperators.MAX);

            // exp(s - m), its sum and, for the entropy, sum of e (s - m); two accumulators each.
            FloatVector z0 = FloatVector.zero(F);
            FloatVector z1 = FloatVector.zero(F);
            FloatVector w0 = FloatVector.zero(F);
            FloatVector w1 = FloatVector.zero(F);
            j = 0;
            final int bound2 = rows & -(2 * FL);
            for (; j < bound2; j += 2 * FL)
            {
                final FloatVector t0 = FloatVector.fromArray(F, a, row + j).sub(m);
                final FloatVector t1 = FloatVector.fromArray(F, a, row + j + FL).sub(m);
                final FloatVector e0 = t0.lanewise(VectorOperators.EXP);
                final FloatVector e1 = t1.lanewise(VectorOperators.EXP);
                e0.intoArray(a, row + j);
                e1.intoArray(a, row + j + FL);
                z0 = z0.add(e0);
                z1 = z1.add(e1);
                if (entropy)
                {
                    w0 = w0.add(e0.mul(t0));
                    w1 = w1.add(e1.mul(t1));
                }
            }
            for (; j < bound; j += FL)
            {
                final FloatVector t0 = FloatVector.fromArray(F, a, row + j).sub(m);
                final FloatVector e0 = t0.lanewise(VectorOperators.EXP);
                e0.intoArray(a, row + j);
                z0 = z0.add(e0);
                if (entropy)
                {
                    w0 = w0.add(e0.mul(t0));
                }
            }
            if (j < rows)
            {
                final FloatVector t0 = FloatVector.fromArray(F, a, row + j, tail).sub(m);
                final FloatVector e0 = t0.lanewise(VectorOperators.EXP, tail).blend(0.0f, tail.not());
                e0.intoArray(a, row + j, tail);
                z0 = z0.add(e0);
                if (entropy)
                {
                    w0 = w0.add(e0.mul(t0.blend(0.0f, tail.not())));
                }
            }
            final float z = z0.add(z1).reduceLanes(VectorOperators.ADD);
            final float weighted = entropy ? w0.add(w1).reduceLanes(VectorOperators.ADD) : 0.0f;
            total += ScalarKernels.rowMeasure(entropy, a[row + i], z, weighted);
            if (normalise)
            {
                final float inv = 1.0f / z;
                j = 0;
                for (; j < bound; j += FL)
                {
                    FloatVector.fromArray(F, a, row + j).mul(inv).intoArray(a, row + j);
                }
                for (; j < rows; j++)
                {
                    a[row + j] *= inv;
                }
            }
        }
        return ScalarKernels.finishMeasure(entropy, total, rows);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Sparse-attention metrics
    // ---------------------------------------------------------------------------------------------------------

    /**
     * Rows of fewer modes than lanes run the scalar loops: with one partial vector per row, the masked loads and the
     * per-row reductions cost more than they save (measured: twice slower at 7 modes with 8 lanes).
     */
    private static final Kernels SHORT_ROWS = ScalarKernels.INSTANCE;

    /**
     * Sum of squares of {@code a[from .. from + n)} with one vector accumulator and a masked tail.
     */
    private static double sumOfSquares(final double[] a, final int from, final int n)
    {
        final int bound = D.loopBound(n);
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (; i < bound; i += DL)
        {
            final DoubleVector v = DoubleVector.fromArray(D, a, from + i);
            acc = v.fma(v, acc);
        }
        if (i < n)
        {
            final DoubleVector v = DoubleVector.fromArray(D, a, from + i, D.indexInRange(i, n));
            acc = v.fma(v, acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static double dot(final double[] a, final int aFrom, final double[] b, final int bFrom, final int n)
    {
        final int bound = D.loopBound(n);
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (; i < bound; i += DL)
        {
            acc = DoubleVector.fromArray(D, a, aFrom + i).fma(DoubleVector.fromArray(D, b, bFrom + i), acc);
        }
        if (i < n)
        {
            final VectorMask<Double> m = D.indexInRange(i, n);
            acc = DoubleVector.fromArray(D, a, aFrom + i, m).fma(DoubleVector.fromArray(D, b, bFrom + i, m), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void confusion(final double[] attention, final int rows, final int clusters, final double[] out)
    {
        if (clusters < DL)
        {
            SHORT_ROWS.confusion(attention, rows, clusters, out);
            return;
        }
        ScalarKernels.checkAttention(attention, rows, clusters);
        Checks.fits("out", out.length, rows);
        for (int t = 0; t < rows; t++)
        {
            out[t] = 1.0 / (clusters * sumOfSquares(attention, t * clusters, clusters));
        }
    }

    @Override
    public void contribution(
        final double[] attention, final int rows, final int clusters, final double[] confusion, final double[] out)
    {
        if (clusters < DL)
        {
            SHORT_ROWS.contribution(attention, rows, clusters, confusion, out);
            return;
        }
        ScalarKernels.checkAttention(attention, rows, clusters);
        Checks.positive("rows", rows);
        Checks.fits("confusion", confusion.length, rows);
        Checks.fits("out", out.length, clusters);
        contributionUnchecked(attention, rows, clusters, confusion, out);
    }

    private static void contributionUnchecked(
        final double[] attention, final int rows, final int clusters, final double[] confusion, final double[] out)
    {
        int i = 0;
        for (; i < clusters; i += DL)
        {
            final VectorMask<Double> m = D.indexInRange(i, clusters);
            DoubleVector acc = DoubleVector.zero(D);
            for (int t = 0; t < rows; t++)
            {
                acc = DoubleVector.fromArray(D, attention, t * clusters + i, m)
                    .fma(DoubleVector.broadcast(D, confusion[t]), acc);
            }
            acc.div(rows).intoArray(out, i, m);
        }
    }

    @Override
    public double confusionContributionLoss(
        final double[] attention, final int rows, final int clusters, final double k1, final double k2,
        final double[] confusionOut, final double[] contributionOut, final double[] gradOut)
    {
        if (clusters < DL)
        {
            return SHORT_ROWS.confusionContributionLoss(attention, rows, clusters, k1, k2, confusionOut,
                contributionOut, gradOut);
        }
        ScalarKernels.checkLoss(attention, rows, clusters, k1, k2, confusionOut, contributionOut, gradOut);
        for (int t = 0; t < rows; t++)
        {
            confusionOut[t] = 1.0 / (clusters * sumOfSquares(attention, t * clusters, clusters));
        }
        contributionUnchecked(attention, rows, clusters, confusionOut, contributionOut);
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
                final double rhoDotA = dot(contributionOut, 0, attention, base, clusters);
                final double c1 = -2.0 * k1 / (rows * q);
                final double c2 = 2.0 * k2 * confusionOut[t] / (rows * r);
                final double c3 = 2.0 * rhoDotA / q;
                for (int i = 0; i < clusters; i += DL)
                {
                    final VectorMask<Double> m = D.indexInRange(i, clusters);
                    final DoubleVector a = DoubleVector.fromArray(D, attention, base + i, m);
                    final DoubleVector rho = DoubleVector.fromArray(D, contributionOut, i, m);
                    a.mul(c1).add(rho.sub(a.mul(c3)).mul(c2)).intoArray(gradOut, base + i, m);
                }
            }
        }
        return loss;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Dense helpers
    // ---------------------------------------------------------------------------------------------------------

    @Override
    public void denseForward(
        final float[] x, final int batch, final int in, final float[] w, final int wOff, final float[] b,
        final int bOff, final int out, final Activation act, final float[] y)
    {
        ScalarKernels.checkDense(x, batch, in, w, wOff, out, act, y);
        Checks.range("b", b.length, "bOff", bOff, out);
        matmul(x, batch, in, w, wOff, b, bOff, out, Activation.RELU == act, y);
    }

    /**
     * {@code y[r, o] = act(bias[o] + sum_k x[r, k] w[k, o])} as the twin's fused chain over {@code k}; a null
     * {@code b} starts the chain at 0. Vectorised over outputs, four output blocks at a time, masked tail.
     */
    private static void matmul(
        final float[] x, final int batch, final int in, final float[] w, final int wOff, final float[] b,
        final int bOff, final int out, final boolean relu, final float[] y)
    {
        final int bound = F.loopBound(out);
        final int bound4 = out & -(4 * FL);
        final VectorMask<Float> tail = F.indexInRange(bound, out);
        for (int r = 0; r < batch; r++)
        {
            final int xRow = r * in;
            final int yRow = r * out;
            int o = 0;
            for (; o < bound4; o += 4 * FL)
            {
                FloatVector a0 = start(b, bOff + o);
                FloatVector a1 = start(b, bOff + o + FL);
                FloatVector a2 = start(b, bOff + o + 2 * FL);
                FloatVector a3 = start(b, bOff + o + 3 * FL);
                for (int k = 0; k < in; k++)
                {
                    final FloatVector xk = FloatVector.broadcast(F, x[xRow + k]);
                    final int wk = wOff + k * out + o;
                    a0 = FloatVector.fromArray(F, w, wk).fma(xk, a0);
                    a1 = FloatVector.fromArray(F, w, wk + FL).fma(xk, a1);
                    a2 = FloatVector.fromArray(F, w, wk + 2 * FL).fma(xk, a2);
                    a3 = FloatVector.fromArray(F, w, wk + 3 * FL).fma(xk, a3);
                }
                activate(a0, relu).intoArray(y, yRow + o);
                activate(a1, relu).intoArray(y, yRow + o + FL);
                activate(a2, relu).intoArray(y, yRow + o + 2 * FL);
                activate(a3, relu).intoArray(y, yRow + o + 3 * FL);
            }
            for (; o < bound; o += FL)
            {
                FloatVector acc = start(b, bOff + o);
                for (int k = 0; k < in; k++)
                {
                    acc = FloatVector.fromArray(F, w, wOff + k * out + o)
                        .fma(FloatVector.broadcast(F, x[xRow + k]), acc);
                }
                activate(acc, relu).intoArray(y, yRow + o);
            }
            if (o < out)
            {
                FloatVector acc = null == b ? FloatVector.zero(F) : FloatVector.fromArray(F, b, bOff + o, tail);
                for (int k = 0; k < in; k++)
                {
                    acc = FloatVector.fromArray(F, w, wOff + k * out + o, tail)
                        .fma(FloatVector.broadcast(F, x[xRow + k]), acc);
                }
                activate(acc, relu).intoArray(y, yRow + o, tail);
            }
        }
    }

    private static FloatVector start(final float[] b, final int at)
    {
        return null == b ? FloatVector.zero(F) : FloatVector.fromArray(F, b, at);
    }

    private static FloatVector activate(final FloatVector z, final boolean relu)
    {
        return relu ? z.max(0.0f) : z;
    }

    @Override
    public void denseBackward(
        final float[] x, final int batch, final int in, final float[] w, final int wOff, final int out,
        final Activation act, final float[] y, final float[] dy, final float[] dx, final float[] dw, final int dwOff,
        final float[] db, final int dbOff)
    {
        ScalarKernels.checkDenseBackward(x, batch, in, w, wOff, out, act, y, dy, dx, dw, dwOff, db, dbOff);
        final int bound = F.loopBound(out);
        final VectorMask<Float> tail = F.indexInRange(bound, out);
        if (Activation.RELU == act)
        {
            final int n = batch * out;
            int i = 0;
            for (; i < F.loopBound(n); i += FL)
            {
                final VectorMask<Float> active = FloatVector.fromArray(F, y, i).compare(VectorOperators.GT, 0.0f);
                FloatVector.zero(F).blend(FloatVector.fromArray(F, dy, i), active).intoArray(dy, i);
            }
            for (; i < n; i++)
            {
                dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
            }
        }
        // db[o] = sum_r dz[r, o], left to right over r as the twin.
        int o = 0;
        for (; o < bound; o += FL)
        {
            FloatVector acc = FloatVector.zero(F);
            for (int r = 0; r < batch; r++)
            {
                acc = acc.add(FloatVector.fromArray(F, dy, r * out + o));
            }
            acc.intoArray(db, dbOff + o);
        }
        if (o < out)
        {
            FloatVector acc = FloatVector.zero(F);
            for (int r = 0; r < batch; r++)
            {
                acc = acc.add(FloatVector.fromArray(F, dy, r * out + o, tail));
            }
            acc.intoArray(db, dbOff + o, tail);
        }
        // dw[k, o] = sum_r x[r, k] dz[r, o], the twin's fused chain over r.
        final int bound4 = out & -(4 * FL);
        for (int k = 0; k < in; k++)
        {
            final int dwRow = dwOff + k * out;
            o = 0;
            for (; o < bound4; o += 4 * FL)
            {
                FloatVector a0 = FloatVector.zero(F);
                FloatVector a1 = FloatVector.zero(F);
                FloatVector a2 = FloatVector.zero(F);
                FloatVector a3 = FloatVector.zero(F);
                for (int r = 0; r < batch; r++)
                {
                    final FloatVector xk = FloatVector.broadcast(F, x[r * in + k]);
                    final int at = r * out + o;
                    a0 = FloatVector.fromArray(F, dy, at).fma(xk, a0);
                    a1 = FloatVector.fromArray(F, dy, at + FL).fma(xk, a1);
                    a2 = FloatVector.fromArray(F, dy, at + 2 * FL).fma(xk, a2);
                    a3 = FloatVector.fromArray(F, dy, at + 3 * FL).fma(xk, a3);
                }
                a0.intoArray(dw, dwRow + o);
                a1.intoArray(dw, dwRow + o + FL);
                a2.intoArray(dw, dwRow + o + 2 * FL);
                a3.intoArray(dw, dwRow + o + 3 * FL);
            }
            for (; o < bound; o += FL)
            {
                FloatVector acc = FloatVector.zero(F);
                for (int r = 0; r < batch; r++)
                {
                    acc = FloatVector.fromArray(F, dy, r * out + o).fma(FloatVector.broadcast(F, x[r * in + k]), acc);
                }
                acc.intoArray(dw, dwRow + o);
            }
            if (o < out)
            {
                FloatVector acc = FloatVector.zero(F);
                for (int r = 0; r < batch; r++)
                {
                    acc = FloatVector.fromArray(F, dy, r * out + o, tail)
                        .fma(FloatVector.broadcast(F, x[r * in + k]), acc);
                }
                acc.intoArray(dw, dwRow + o, tail);
            }
        }
        // dx[r, k] = dz[r, :] . w[k, :], a dot product per element.
        if (null != dx)
        {
            for (int r = 0; r < batch; r++)
            {
                final int dyRow = r * out;
                for (int k = 0; k < in; k++)
                {
                    final int wRow = wOff + k * out;
                    FloatVector acc = FloatVector.zero(F);
                    o = 0;
                    for (; o < bound; o += FL)
                    {
                        acc = FloatVector.fromArray(F, dy, dyRow + o).fma(FloatVector.fromArray(F, w, wRow + o), acc);
                    }
                    if (o < out)
                    {
                        acc = FloatVector.fromArray(F, dy, dyRow + o, tail)
                            .fma(FloatVector.fromArray(F, w, wRow + o, tail), acc);
                    }
                    dx[r * in + k] = acc.reduceLanes(VectorOperators.ADD);
                }
            }
        }
    }

    @Override
    public void adamStep(
        final float[] params, final float[] grads, final float[] m, final float[] v, final int n,
        final float learningRate, final float beta1, final float beta2, final float epsilon, final long step)
    {
        ScalarKernels.checkAdam(params, grads, m, v, n, learningRate, beta1, beta2, epsilon, step);
        final float c1 = ScalarKernels.biasCorrection(beta1, step);
        final float c2 = ScalarKernels.biasCorrection(beta2, step);
        final float oneMinusBeta1 = 1.0f - beta1;
        final float oneMinusBeta2 = 1.0f - beta2;
        final int bound = F.loopBound(n);
        int i = 0;
        for (; i < bound; i += FL)
        {
            final FloatVector g = FloatVector.fromArray(F, grads, i);
            final FloatVector mi = FloatVector.fromArray(F, m, i).mul(beta1).add(g.mul(oneMinusBeta1));
            final FloatVector vi = FloatVector.fromArray(F, v, i).mul(beta2).add(g.mul(oneMinusBeta2).mul(g));
            mi.intoArray(m, i);
            vi.intoArray(v, i);
            final FloatVector update = mi.div(c1).mul(learningRate).div(vi.div(c2).sqrt().add(epsilon));
            FloatVector.fromArray(F, params, i).sub(update).intoArray(params, i);
        }
        ScalarKernels.adamLoop(params, grads, m, v, i, n, learningRate, beta1, beta2, epsilon, c1, c2);
    }

    @Override
    public float huberLoss(
        final float[] prediction, final float[] target, final float[] weights, final int n, final float kappa,
        final float[] grad)
    {
        ScalarKernels.checkHuber(prediction, target, weights, n, kappa, grad);
        final float invN = 1.0f / n;
        final float halfKappa = 0.5f * kappa;
        final int bound = F.loopBound(n);
        FloatVector sum = FloatVector.zero(F);
        int i = 0;
        for (; i < bound; i += FL)
        {
            final FloatVector e = FloatVector.fromArray(F, prediction, i).sub(FloatVector.fromArray(F, target, i));
            final FloatVector a = e.abs();
            final FloatVector w = null == weights ?
                FloatVector.broadcast(F, 1.0f) : FloatVector.fromArray(F, weights, i);
            final FloatVector quadratic = e.mul(0.5f).mul(e);
            final FloatVector linear = a.sub(halfKappa).mul(kappa);
            final FloatVector h = linear.blend(quadratic, a.compare(VectorOperators.LE, kappa));
            sum = sum.add(w.mul(h));
            if (null != grad)
            {
                w.mul(e.max(-kappa).min(kappa)).mul(invN).intoArray(grad, i);
            }
        }
        final float tailSum = ScalarKernels.huberLoop(prediction, target, weights, i, n, kappa, grad, invN);
        return (sum.reduceLanes(VectorOperators.ADD) + tailSum) / n;
    }

    /**
     * The scalar loop: Q-value rows are a handful of actions wide, too short for lanes to pay, and the first-index
     * and NaN rules are simplest left to right.
     */
    @Override
    public void argmaxRows(final float[] x, final int rows, final int cols, final int[] out)
    {
        ScalarKernels.checkArgmax(x, rows, cols, out);
        ScalarKernels.argmaxLoop(x, rows, cols, out);
    }
}
