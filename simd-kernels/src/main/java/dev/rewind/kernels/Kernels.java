package dev.rewind.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The numeric kernels of a replay step. Two implementations exist: a vector one on
 * {@code jdk.incubator.vector} and its scalar twin, which is the reference the vector one is tested against.
 * Obtain the best available with {@link #best()}; it falls back to {@link #scalar()} (and says why, once) when the
 * vector module is missing or gives no speed-up on this platform.
 *
 * <h2>Wide-tree layout (used by {@link #descend})</h2>
 * A k-ary tree of {@code double} node masses stored level after level in one {@link MemorySegment}, root level
 * first. Level {@code l} holds {@code fanout^l} nodes starting at byte {@code levelOffsets[l]}, 8-byte aligned;
 * node {@code j} of level {@code l} has its children at nodes {@code j * fanout .. j * fanout + fanout - 1} of level
 * {@code l + 1}. The last level ({@code depth}) holds the leaves; a node's mass is the sum of its children's
 * masses. Padding leaves have mass zero.
 */
public interface Kernels
{
    /**
     * Proportional-PER priority transform: {@code out[i] = (|d[i]| + eps)^alpha}.
     *
     * @param d      source values (TD errors or raw priorities).
     * @param dOff   first index read from {@code d}.
     * @param out    destination.
     * @param outOff first index written in {@code out}.
     * @param n      number of values.
     * @param alpha  exponent, {@code >= 0}.
     * @param eps    offset added to {@code |d|}, {@code >= 0}.
     */
    void perPriority(double[] d, int dOff, double[] out, int outOff, int n, double alpha, double eps);

    /**
     * Loss-adjusted priority transform (LAP): {@code out[i] = max(|d[i]|, kappa)^alpha}.
     *
     * @param d      source values.
     * @param dOff   first index read from {@code d}.
     * @param out    destination.
     * @param outOff first index written in {@code out}.
     * @param n      number of values.
     * @param alpha  exponent, {@code >= 0}.
     * @param kappa  floor applied to {@code |d|}, {@code > 0}.
     */
    void lapPriority(double[] d, int dOff, double[] out, int outOff, int n, double alpha, double kappa);

    /**
     * Importance weights normalised by a reference mass: {@code out[i] = (mass[i] / refMass)^-beta}.
     * With {@code refMass} the global minimum leaf mass this is PER's {@code (N P(i))^-beta / max_j (N P(j))^-beta};
     * with the batch's minimum mass it is the batch-max normalisation.
     *
     * @param mass    sampled leaf masses ({@code p^alpha}), each {@code > 0}.
     * @param out     destination weights.
     * @param n       number of values.
     * @param refMass reference mass, {@code > 0}.
     * @param beta    importance exponent, {@code >= 0}.
     */
    void importanceWeights(double[] mass, double[] out, int n, double refMass, double beta);

    /**
     * The smallest value of {@code values[0..n)}.
     *
     * @param values values to scan.
     * @param n      number of values, {@code >= 1}.
     * @return the minimum.
     */
    double min(double[] values, int n);

    /**
     * Finds the child of one wide-tree node that a target mass falls into: the smallest {@code c} with
     * {@code target < sum(children[0..c])}. When rounding leaves {@code target >= sum(children)}, the last child
     * with positive mass is chosen. A zero-mass child is never chosen while some child has positive mass.
     *
     * @param tree       segment holding the children.
     * @param nodeOffset byte offset of the first child.
     * @param fanout     number of children, a power of two.
     * @param target     target mass, {@code >= 0}.
     * @return the child index in {@code [0, fanout)}.
     */
    int childIndex(MemorySegment tree, long nodeOffset, int fanout, double target);

    /**
     * Descends many targets through a wide tree (layout in the class comment) level by level, so that the memory
     * loads of different targets overlap. Each target follows the rule of {@link #childIndex} at every level.
     *
     * @param tree         the tree.
     * @param levelOffsets byte offset of each level, {@code depth + 1} entries.
     * @param fanout       children per node, a power of two.
     * @param targets      target masses in {@code [0, root mass)}; overwritten with scratch values.
     * @param n            number of targets.
     * @param outLeaf      receives each target's leaf index (node index within the last level).
     * @param outMass      receives each chosen leaf's mass.
     */
    void descend(MemorySegment tree, long[] levelOffsets, int fanout, double[] targets, int n, int[] outLeaf,
        double[] outMass);

    /**
     * The best kernels this JVM can run.
     *
     * @return the vector kernels when {@code jdk.incubator.vector} is available and useful, else the scalar twins.
     */
    static Kernels best()
    {
        return KernelProvider.BEST;
    }

    /**
     * The scalar twins, the reference every vector kernel is held to.
     *
     * @return the scalar kernels.
     */
    static Kernels scalar()
    {
        return ScalarKernels.INSTANCE;
    }
}
