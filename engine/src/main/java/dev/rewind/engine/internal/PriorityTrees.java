package dev.rewind.engine.internal;

import dev.rewind.kernels.Kernels;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static dev.rewind.engine.internal.RecordDescriptor.DOUBLE;

/**
 * A wide (k-ary) sum tree and min tree over slot priority masses, stored off-heap in a region of a mapped segment.
 *
 * <p>Shape: level {@code depth} of the sum tree holds the leaves, one per slot, padded up to a multiple of the
 * fan-out; every level above holds one node per group of {@code fanout} children, again padded to a multiple of the
 * fan-out, up to the root at level 0. Node {@code j} of a level has its children at {@code j * fanout ..} of the level
 * below, so a node's children are contiguous: with fan-out 8 they share one 64-byte cache line. Each level starts on a
 * cache line. The min tree has the same internal levels; its bottom level (depth - 1) takes the minimum of the sum
 * tree's leaves directly, so the leaf masses are stored once. Each internal level below the root (1 .. depth - 1) also
 * has a prefix array: beside every node, the running sum of its group of siblings up to and including it, so that the
 * descent of a sample compares its target against a node's children's prefixes instead of summing them (see {@link
 * Kernels#descendWithPrefixes}); a padding node's prefix is NaN, so that no descent chooses it. The leaf level
 * has none: it is scanned, which saves 8 bytes per slot.
 *
 * <p>Unset leaves: a slot never written (and padding beyond the capacity) holds {@code -0.0}. It adds like
 * {@code +0.0} in every sum, and the min tree skips it, so the global minimum is that of the stored records only. A
 * real mass is never {@code -0.0}: the mutators store {@code mass + 0.0}, and {@link #leaf} returns {@code +0.0}.
 *
 * <p>Note to maintainers: a sum node is always recomputed from its children (never adjusted by a delta), so the
 * sums cannot drift: a subtree whose leaves are all zero has mass exactly zero, and every stored sum is the
 * floating-point sum of the current children, in one fixed order every time, left to right (so a rebuild reproduces
 * it, and a node's sum is the last prefix of its children's group).
 * A min node is exactly the minimum of its children; an update walks up only while the node's value changes (a new
 * mass below the node, or the old minimum replaced by a larger mass), which is one compare for most updates. Single
 * writer: only the writer thread calls the mutators.
 */
public final class PriorityTrees
{
    /** Levels with at most this many nodes deduplicate a batch's recomputations with a bitset. */
    private static final int DEDUP_LEVEL_NODES = 4096;
    /** The bits of {@code -0.0}, the mark of an unset leaf. */
    private static final long UNSET_BITS = Double.doubleToRawLongBits(-0.0);
    /** Trees with at least this many leaves (1 MiB of them, beyond a core's L2) get {@link #touchPaths} first. */
    private static final int TOUCH_LEAVES = 1 << 17;

    /** Where {@link #touchPaths} leaves what it loaded, so that the loads are not optimised away. */
    @SuppressWarnings("unused")
    private static long touchSink;

    private final MemorySegment segment;
    private final Kernels kernels;
    private final int fanout;
    private final int fanoutShift;
    private final int depth;
    private final long[] sumLevelOffsets;
    private final long[] minLevelOffsets;
    /** Per internal level (1 .. depth - 1), each node's running sum within its group; 0 for the other levels. */
    private final long[] prefixLevelOffsets;
    private final int[] levelNodes;
    private final int[] usedNodes;
    private final long regionLength;
    private final long[][] dirty;
    private int[] nodeScratch = new int[256];
    private int[] distinctScratch = new int[256];
    private final int[] single = new int[1];

    /**
     * Lays out the trees for a capacity; does not touch memory.
     *
     * @param segment      the mapped segment holding the region.
     * @param regionOffset byte offset of the region, cache-line aligned.
     * @param capacity     number of leaves in use, at least 1.
     * @param fanout       children per node, a power of two from 2 to 64.
     * @param kernels      the kernels that take minima of node children and search the sum tree.
     */
    public PriorityTrees(
        final MemorySegment segment, final long regionOffset, final int capacity, final int fanout,
        final Kernels kernels)
    {
        checkFanout(fanout);
        this.segment = segment;
        this.kernels = kernels;
        this.fanout = fanout;
        this.fanoutShift = Integer.numberOfTrailingZeros(fanout);
        final int[] nodes = levelNodeCounts(capacity, fanout);
        this.levelNodes = nodes;
        this.depth = nodes.length - 1;
        // Nodes with at least one real child; the rest of a level is padding that stays 0 (sum) and +inf (min).
        this.usedNodes = new int[nodes.length];
        usedNodes[depth] = capacity;
        for (int l = depth - 1; l >= 0; l--)
        {
            usedNodes[l] = (usedNodes[l + 1] + fanout - 1) / fanout;
        }
        this.dirty = new long[nodes.length][];
        for (int l = 0; l < depth; l++)
        {
            if (usedNodes[l] <= DEDUP_LEVEL_NODES)
            {
                dirty[l] = new long[(usedNodes[l] + 63) >>> 6];
            }
        }
        this.sumLevelOffsets = new long[nodes.length];
        this.minLevelOffsets = new long[depth];
        long offset = regionOffset;
        for (int l = 0; l < nodes.length; l++)
        {
            sumLevelOffsets[l] = offset;
            offset = alignToCacheLine(offset + (long)nodes[l] * Double.BYTES);
        }
        for (int l = 0; l < depth; l++)
        {
            minLevelOffsets[l] = offset;
            offset = alignToCacheLine(offset + (long)nodes[l] * Double.BYTES);
        }
        this.prefixLevelOffsets = new long[nodes.length];
        for (int l = 1; l < depth; l++)
        {
            prefixLevelOffsets[l] = offset;
            offset = alignToCacheLine(offset + (long)nodes[l] * Double.BYTES);
        }
        this.regionLength = offset - regionOffset;
    }

    /**
     * Bytes the trees need for a capacity and fan-out.
     *
     * @param capacity leaves in use.
     * @param fanout   children per node.
     * @return the region length, a multiple of the cache line.
     */
    public static long regionLength(final int capacity, final int fanout)
    {
        checkFanout(fanout);
        final int[] nodes = levelNodeCounts(capacity, fanout);
        long length = 0;
        final int depth = nodes.length - 1;
        for (int l = 0; l <= depth; l++)
        {
            // Sum levels 0..depth, min levels 0..depth-1, prefix levels 1..depth-1.
            final long levelLength = alignToCacheLine((long)nodes[l] * Double.BYTES);
            length += levelLength * (1 + (l < depth ? 1 : 0) + (l > 0 && l < depth ? 1 : 0));
        }
        return length;
    }

    /**
     * Checks a fan-out.
     *
     * @param fanout the candidate.
     * @throws IllegalArgumentException unless a power of two in [2, 64].
     */
    public static void checkFanout(final int fanout)
    {
        if (fanout < 2 || fanout > 64 || Integer.bitCount(fanout) != 1)
        {
            throw new IllegalArgumentException("fanout must be a power of two in [2, 64]: fanout=" + fanout);
        }
    }

    private static int[] levelNodeCounts(final int capacity, final int fanout)
    {
        final List<Integer> counts = new ArrayList<>();
        int n = roundUp(capacity, fanout);
        counts.add(n);
        while (n > fanout)
        {
            n = roundUp(n / fanout, fanout);
            counts.add(n);
        }
        counts.add(1);
        final int[] result = new int[counts.size()];
        for (int i = 0; i < result.length; i++)
        {
            result[i] = counts.get(result.length - 1 - i);
        }
        return result;
    }

    private static int roundUp(final int value, final int multiple)
    {
        return (int)(((long)value + multiple - 1) / multiple * multiple);
    }

    private static long alignToCacheLine(final long offset)
    {
        return (offset + FileHeaderDescriptor.CACHE_LINE_LENGTH - 1) & -FileHeaderDescriptor.CACHE_LINE_LENGTH;
    }

    /**
     * Writes empty trees: every leaf unset ({@code -0.0}), every internal sum 0, every min +infinity.
     */
    public void clear()
    {
        for (int l = 0; l < depth; l++)
        {
            segment.asSlice(sumLevelOffsets[l], (long)levelNodes[l] * Double.BYTES).fill((byte)0);
            if (l > 0)
            {
                // Prefixes: 0 for the nodes that exist (their sums are 0), NaN (padding) for the rest.
                final long prefixBase = prefixLevelOffsets[l];
                for (int j = 0; j < levelNodes[l]; j++)
                {
                    segment.set(DOUBLE, prefixBase + ((long)j << 3),
                        j < usedNodes[l] ? 0.0 : Double.NaN);
                }
            }
            final long base = minLevelOffsets[l];
            for (int j = 0; j < levelNodes[l]; j++)
            {
                segment.set(DOUBLE, base + ((long)j << 3), Double.POSITIVE_INFINITY);
            }
        }
        final long leafBase = sumLevelOffsets[depth];
        for (int j = 0; j < levelNodes[depth]; j++)
        {
            segment.set(DOUBLE, leafBase + ((long)j << 3), -0.0);
        }
    }

    /**
     * Recomputes every internal node from the leaves, bottom up (after a reopen, whatever a crash left behind).
     */
    public void rebuild()
    {
        for (int l = depth - 1; l >= 0; l--)
        {
            for (int j = 0; j < usedNodes[l]; j++)
            {
                recomputeSum(l, j);
                segment.set(DOUBLE, minLevelOffsets[l] + ((long)j << 3), childMin(l, j));
            }
        }
    }

    /**
     * Sets one leaf and updates its ancestors.
     *
     * @param leaf the slot.
     * @param mass the new mass, finite and {@code >= 0}.
     */
    public void set(final int leaf, final double mass)
    {
        final long at = sumLevelOffsets[depth] + ((long)leaf << 3);
        final double old = segment.get(DOUBLE, at);
        final double stored = mass + 0.0;
        segment.set(DOUBLE, at, stored);
        updateMin(leaf, old, stored);
        int node = leaf;
        for (int l = depth - 1; l >= 0; l--)
        {
            node >>>= fanoutShift;
            recomputeSum(l, node);
        }
    }

    /**
     * Sets many leaves, then recomputes their sum-tree ancestors level by level: the cache misses of different
     * leaves' paths overlap instead of forming one chain per leaf, and each node of the small upper levels is
     * recomputed once however many of the leaves lie below it. A leaf named twice takes its last mass.
     *
     * @param leaves slots.
     * @param masses their new masses, finite and {@code >= 0}.
     * @param n      number of entries.
     */
    public void setAll(final int[] leaves, final double[] masses, final int n)
    {
        if (n <= 0)
        {
            return;
        }
        final MemorySegment segment = this.segment;
        final long leafBase = sumLevelOffsets[depth];
        if (nodeScratch.length < n)
        {
            nodeScratch = new int[n];
            distinctScratch = new int[n];
        }
        final int[] nodes = nodeScratch;
        if (depth > 0 && levelNodes[depth] >= TOUCH_LEAVES)
        {
            touchPaths(leaves, n);
        }
        boolean ascending = true;
        int previous = -1;
        for (int i = 0; i < n; i++)
        {
            final int leaf = leaves[i];
            final long at = leafBase + ((long)leaf << 3);
            final double old = segment.get(DOUBLE, at);
            final double stored = masses[i] + 0.0;
            segment.set(DOUBLE, at, stored);
            // In entry order, so that a leaf named twice leaves the min tree as its last mass says.
            updateMin(leaf, old, stored);
            nodes[i] = leaf;
            ascending &= leaf >= previous;
            previous = leaf;
        }
        // Level l is recomputed only after every node of level l + 1 below it: parents read final children.
        int count = n;
        for (int l = depth - 1; l >= 0; l--)
        {
            final long[] bits = dirty[l];
            if (ascending)
            {
                // Ascending leaves (a stratified sample's) give ascending parents: a node repeats only next to
                // itself, so each is recomputed once and the list shrinks as the levels narrow.
                // Compacted without a branch first: in the upper levels whether a node repeats is irregular, and a
                // branch on it mispredicted often enough to cost more than the sums.
                int distinct = 0;
                int last = -1;
                for (int i = 0; i < count; i++)
                {
                    final int node = nodes[i] >>> fanoutShift;
                    nodes[distinct] = node;
                    distinct += node != last ? 1 : 0;
                    last = node;
                }
                recomputeSums(l, nodes, distinct);
                count = distinct;
            }
            else if (null == bits)
            {
                for (int i = 0; i < count; i++)
                {
                    nodes[i] >>>= fanoutShift;
                }
                recomputeSums(l, nodes, count);
            }
            else
            {
                for (int i = 0; i < count; i++)
                {
                    final int node = nodes[i] >>> fanoutShift;
                    nodes[i] = node;
                    bits[node >>> 6] |= 1L << node;
                }
                final int[] distinct = distinctScratch;
                int k = 0;
                for (int w = 0; w < bits.length; w++)
                {
                    long word = bits[w];
                    while (0 != word)
                    {
                        distinct[k++] = (w << 6) + Long.numberOfTrailingZeros(word);
                        word &= word - 1;
                    }
                    bits[w] = 0;
                }
                recomputeSums(l, distinct, k);
            }
        }
    }

    /**
     * Loads, and discards, the lines that the loops of {@link #setAll} will touch first for each leaf: the leaf, its
     * min-tree parent, its sum-tree parent and that parent's prefix. In a large tree these are cache misses, and the
     * leaf loop branches on each loaded value (the min tree's early exit), so it keeps only a few misses in flight;
     * this loop has no such branch, so the core keeps many in flight, and the loops that follow find their lines in
     * cache.
     */
    private void touchPaths(final int[] leaves, final int n)
    {
        final MemorySegment segment = this.segment;
        final long leafBase = sumLevelOffsets[depth];
        final long sumParentBase = sumLevelOffsets[depth - 1];
        final long minParentBase = minLevelOffsets[depth - 1];
        // The parent's prefix line; a level-0 parent has none, and its sum line stands in.
        final long prefixParentBase = depth > 1 ? prefixLevelOffsets[depth - 1] : sumParentBase;
        long sink = 0;
        for (int i = 0; i < n; i++)
        {
            final int leaf = leaves[i];
            final long parent = (long)(leaf >>> fanoutShift) << 3;
            sink ^= Double.doubleToRawLongBits(segment.get(DOUBLE, leafBase + ((long)leaf << 3))) ^
                Double.doubleToRawLongBits(segment.get(DOUBLE, sumParentBase + parent)) ^
                Double.doubleToRawLongBits(segment.get(DOUBLE, minParentBase + parent)) ^
                Double.doubleToRawLongBits(segment.get(DOUBLE, prefixParentBase + parent));
        }
        touchSink = sink;
    }

    /**
     * Sets the leaves {@code [from, to)} to one mass and recomputes their sum-tree ancestors once each.
     *
     * @param from first slot.
     * @param to   one past the last slot.
     * @param mass the new mass.
     */
    public void setRange(final int from, final int to, final double mass)
    {
        if (from >= to)
        {
            return;
        }
        final MemorySegment segment = this.segment;
        final long leafBase = sumLevelOffsets[depth];
        final double stored = mass + 0.0;
        for (int leaf = from; leaf < to; leaf++)
        {
            final long at = leafBase + ((long)leaf << 3);
            final double old = segment.get(DOUBLE, at);
            segment.set(DOUBLE, at, stored);
            updateMin(leaf, old, stored);
        }
        int first = from;
        int last = to - 1;
        for (int l = depth - 1; l >= 0; l--)
        {
            first >>>= fanoutShift;
            last >>>= fanoutShift;
            for (int node = first; node <= last; node++)
            {
                recomputeSum(l, node);
            }
        }
    }

    /**
     * Restores the min tree above a leaf whose mass went from {@code old} to {@code mass} (the leaf is already
     * stored). Each ancestor held the minimum of its children before the change, so it changes only if the new mass
     * is below it, or if it was the old mass and the mass grew (then it is recomputed); the walk stops at the first
     * ancestor that keeps its value.
     */
    private void updateMin(final int leaf, final double old, final double mass)
    {
        double before = minKey(old);
        double after = mass;
        int node = leaf;
        for (int l = depth - 1; l >= 0; l--)
        {
            node >>>= fanoutShift;
            final long at = minLevelOffsets[l] + ((long)node << 3);
            final double current = segment.get(DOUBLE, at);
            final double updated;
            if (after < current)
            {
                updated = after;
            }
            else if (before == current && after != before)
            {
                updated = childMin(l, node);
            }
            else
            {
                return;
            }
            if (updated == current)
            {
                return;
            }
            segment.set(DOUBLE, at, updated);
            before = current;
            after = updated;
        }
    }

    /**
     * A leaf's value in the min tree: unset leaves do not count.
     */
    private static double minKey(final double leafMass)
    {
        return Double.doubleToRawLongBits(leafMass) == UNSET_BITS ? Double.POSITIVE_INFINITY : leafMass;
    }

    private void recomputeSum(final int level, final int node)
    {
        single[0] = node;
        recomputeSums(level, single, 1);
    }

    /**
     * The sum of a node's children, left to right from 0.0 (as {@link #recomputeSums} stores it), for checks.
     */
    private double childSum(final int level, final int node)
    {
        final long base = sumLevelOffsets[level + 1] + ((long)node << fanoutShift << 3);
        double running = 0.0;
        for (int c = 0; c < fanout; c++)
        {
            running += segment.get(DOUBLE, base + ((long)c << 3));
        }
        return running;
    }

    /**
     * Recomputes the sums of the listed nodes of {@code level} from their children: left to right from 0.0, the one
     * fixed order of every stored sum, so that any later recomputation (rebuild, consistency check) reproduces it bit
     * for bit. Each running sum is the prefix of a child within its group, and on an internal level (1 .. depth - 1)
     * those are stored in the level's prefix array for the descent, which then compares a target against a node's
     * prefixes instead of summing its children. Scalar on purpose: a vector reduction may round differently in
     * interpreted and compiled code. One call per level with the loop inside: called per node, this method was
     * too large for C2 to inline, and the calls cost more than the sums.
     */
    private void recomputeSums(final int level, final int[] nodes, final int count)
    {
        final MemorySegment segment = this.segment;
        final long parentBase = sumLevelOffsets[level];
        final long childBase = sumLevelOffsets[level + 1];
        final long prefixBase = prefixLevelOffsets[level + 1];
        final boolean storePrefixes = level + 1 < depth;
        final int children = usedNodes[level + 1];
        for (int i = 0; i < count; i++)
        {
            final int node = nodes[i];
            final long first = (long)node << fanoutShift << 3;
            final long base = childBase + first;
            final long prefix = prefixBase + first;
            // Children that exist; the level's last group may have fewer than the fan-out.
            final int existing = Math.min(fanout, children - (node << fanoutShift));
            final double sum;
            if (8 == fanout && 8 == existing)
            {
                // Unrolled for the default fan-out (a loop kept its strip-mining and per-trip overhead).
                final double p0 = 0.0 + segment.get(DOUBLE, base);
                final double p1 = p0 + segment.get(DOUBLE, base + 8);
                final double p2 = p1 + segment.get(DOUBLE, base + 16);
                final double p3 = p2 + segment.get(DOUBLE, base + 24);
                final double p4 = p3 + segment.get(DOUBLE, base + 32);
                final double p5 = p4 + segment.get(DOUBLE, base + 40);
                final double p6 = p5 + segment.get(DOUBLE, base + 48);
                final double p7 = p6 + segment.get(DOUBLE, base + 56);
                if (storePrefixes)
                {
                    segment.set(DOUBLE, prefix, p0);
                    segment.set(DOUBLE, prefix + 8, p1);
                    segment.set(DOUBLE, prefix + 16, p2);
                    segment.set(DOUBLE, prefix + 24, p3);
                    segment.set(DOUBLE, prefix + 32, p4);
                    segment.set(DOUBLE, prefix + 40, p5);
                    segment.set(DOUBLE, prefix + 48, p6);
                    segment.set(DOUBLE, prefix + 56, p7);
                }
                sum = p7;
            }
            else
            {
                double running = 0.0;
                for (int c = 0; c < fanout; c++)
                {
                    final long at = (long)c << 3;
                    running += segment.get(DOUBLE, base + at);
                    // A padding child's prefix keeps the NaN that clear() wrote, never overwritten even for
                    // a moment: a learner reading while this runs must not see a padding child it could choose.
                    if (storePrefixes && c < existing)
                    {
                        segment.set(DOUBLE, prefix + at, running);
                    }
                }
                sum = running;
            }
            segment.set(DOUBLE, parentBase + ((long)node << 3), sum);
        }
    }

    private double childMin(final int level, final int node)
    {
        if (level == depth - 1)
        {
            final long base = sumLevelOffsets[depth] + ((long)node << fanoutShift << 3);
            double min = Double.POSITIVE_INFINITY;
            for (int c = 0; c < fanout; c++)
            {
                min = Math.min(min, minKey(segment.get(DOUBLE, base + ((long)c << 3))));
            }
            return min;
        }
        return kernels.min(segment, minLevelOffsets[level + 1] + ((long)node << fanoutShift << 3), fanout);
    }

    /**
     * The mass of one leaf.
     *
     * @param leaf the slot.
     * @return its mass, 0 if never set.
     */
    public double leaf(final int leaf)
    {
        // + 0.0 turns the unset mark -0.0 into 0.
        return segment.get(DOUBLE, sumLevelOffsets[depth] + ((long)leaf << 3)) + 0.0;
    }

    /**
     * The root of the sum tree.
     *
     * @return the total mass.
     */
    public double total()
    {
        return segment.get(DOUBLE, sumLevelOffsets[0]);
    }

    /**
     * The root of the min tree.
     *
     * @return the smallest leaf mass set, +infinity if none.
     */
    public double minMass()
    {
        return segment.get(DOUBLE, minLevelOffsets[0]);
    }

    /**
     * Descends the sum tree for each target mass (see {@link Kernels#descend}).
     *
     * @param targets target masses in {@code [0, total)}; overwritten.
     * @param n       number of targets.
     * @param outLeaf receives the chosen leaves.
     * @param outMass receives their masses.
     */
    public void descend(final double[] targets, final int n, final int[] outLeaf, final double[] outMass)
    {
        kernels.descendWithPrefixes(segment, sumLevelOffsets, prefixLevelOffsets, fanout, targets, n, outLeaf,
            outMass);
    }

    /**
     * Where an internal level's prefix array starts, for tests.
     *
     * @param level a level in {@code [1, depth)}.
     * @return the byte offset in the segment.
     */
    long prefixLevelOffset(final int level)
    {
        if (level < 1 || level >= depth)
        {
            throw new IllegalArgumentException("no prefix array at level=" + level + " depth=" + depth);
        }
        return prefixLevelOffsets[level];
    }

    /**
     * The number of levels below the root.
     *
     * @return the depth.
     */
    public int depth()
    {
        return depth;
    }

    /**
     * Children per node.
     *
     * @return the fan-out.
     */
    public int fanout()
    {
        return fanout;
    }

    /**
     * Bytes this tree pair occupies.
     *
     * @return the region length.
     */
    public long regionLength()
    {
        return regionLength;
    }

    /**
     * The exact sum of every leaf, for drift checks: compensated (Neumaier) summation in leaf order.
     *
     * @return the sum of the leaves.
     */
    public double exactLeafSum()
    {
        double sum = 0.0;
        double compensation = 0.0;
        final long base = sumLevelOffsets[depth];
        for (int j = 0; j < levelNodes[depth]; j++)
        {
            final double v = segment.get(DOUBLE, base + (long)j * Double.BYTES);
            final double t = sum + v;
            compensation += Math.abs(sum) >= Math.abs(v) ? (sum - t) + v : (v - t) + sum;
            sum = t;
        }
        return sum + compensation;
    }

    /**
     * Checks that every internal node equals the recomputation from its children (sum and min) and every prefix the
     * running sum of its group, for tests.
     *
     * @return {@code null} when consistent, else a description of the first bad node.
     */
    public String checkConsistency()
    {
        final long leafBase = sumLevelOffsets[depth];
        for (int j = 0; j < levelNodes[depth]; j++)
        {
            final double mass = segment.get(DOUBLE, leafBase + ((long)j << 3));
            final boolean unset = Double.doubleToRawLongBits(mass) == UNSET_BITS;
            if (j >= usedNodes[depth] ? !unset : !(unset || mass >= 0.0))
            {
                return "leaf=" + j + " mass=" + mass + " capacity=" + usedNodes[depth];
            }
        }
        for (int l = depth - 1; l >= 0; l--)
        {
            for (int j = 0; j < levelNodes[l]; j++)
            {
                if (j >= usedNodes[l])
                {
                    final double padSum = segment.get(DOUBLE, sumLevelOffsets[l] + ((long)j << 3));
                    final double padMin = segment.get(DOUBLE, minLevelOffsets[l] + ((long)j << 3));
                    if (padSum != 0.0 || padMin != Double.POSITIVE_INFINITY)
                    {
                        return "padding level=" + l + " node=" + j + " sum=" + padSum + " min=" + padMin;
                    }
                    continue;
                }
                final double storedSum = segment.get(DOUBLE, sumLevelOffsets[l] + ((long)j << 3));
                final double storedMin = segment.get(DOUBLE, minLevelOffsets[l] + ((long)j << 3));
                final double sum = childSum(l, j);
                final double min = childMin(l, j);
                if (storedSum != sum || storedMin != min || storedSum < 0.0)
                {
                    return "level=" + l + " node=" + j + " sum=" + storedSum + " expected=" + sum +
                        " min=" + storedMin + " expectedMin=" + min;
                }
            }
        }
        for (int l = 1; l < depth; l++)
        {
            for (int j = 0; j < levelNodes[l]; j++)
            {
                final double running = (j & (fanout - 1)) == 0 ? 0.0 :
                    segment.get(DOUBLE, prefixLevelOffsets[l] + ((long)(j - 1) << 3));
                final double expected = j >= usedNodes[l] ? Double.NaN :
                    running + segment.get(DOUBLE, sumLevelOffsets[l] + ((long)j << 3));
                final double stored = segment.get(DOUBLE, prefixLevelOffsets[l] + ((long)j << 3));
                if (Double.doubleToRawLongBits(stored) != Double.doubleToRawLongBits(expected))
                {
                    return "prefix level=" + l + " node=" + j + " prefix=" + stored + " expected=" + expected;
                }
            }
        }
        return null;
    }
}
