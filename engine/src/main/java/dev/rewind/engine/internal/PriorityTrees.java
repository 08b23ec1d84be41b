package dev.rewind.engine.internal;

import dev.rewind.kernels.Kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A wide (k-ary) sum tree and min tree over slot priority masses, stored off-heap in a region of a mapped segment,
 * in fixed point: each mass is held as a whole number of units of {@code 2^-exponent}, and every sum is an exact
 * integer sum.
 *
 * <p>Shape: level {@code depth} holds the leaves, one {@code long} per slot (its mass in units), padded up to a
 * multiple of the fan-out; every level above holds one node per group of {@code fanout} children, again padded, up to
 * the root at level 0. Node {@code j} of a level has its children at {@code j * fanout ..} of the level below, so a
 * node's children are contiguous: with fan-out 8 they share one 64-byte cache line. Each internal level below the
 * root (1 .. depth - 1) stores, for each node, its prefix: the sum of its own mass and of its earlier siblings', so a
 * node's mass is its prefix minus its left sibling's, and a parent's mass is its last child's prefix. The root is
 * not stored: the total is the prefix of level 1's last node (the sum of the leaf group when depth is 1). A padding
 * node's prefix is {@link Long#MIN_VALUE} and is never written after {@link #clear()}, so a descent never chooses it
 * (see {@link Kernels#descendFixedPoint}). The min tree has the internal levels above the leaves' parents, each node
 * the smallest leaf mass below it ({@link Long#MAX_VALUE} when none is set): each bottom node covers the leaves of a
 * whole group of parents (64 at fan-out 8), so an update reads a line of a level 8 times smaller than the parents'
 * (128 KiB at 2^20 slots, which stays in cache) and scans the 64 leaves only when their old minimum grew. A header
 * line before the levels holds the exponent, the number of leaves ever set and the state of a rescale.
 *
 * <p>Why fixed point. Integer addition is exact and associative, so a change of a leaf's mass is carried to each
 * ancestor as a delta, one masked vector add per level, in any order, and the sums cannot drift: every stored prefix
 * always equals the sum of the current leaves below it, exactly. A floating-point tree must recompute each ancestor
 * from its children instead (a delta there would leave rounding behind at every update), which reads and writes
 * several lines per level. The price is one rounding per mass, to the nearest unit (at least one unit for a positive
 * mass): the exponent is chosen from the first positive mass so that it falls in {@code [2^(L - 5), 2^(L - 4))}
 * units, where {@code 2^L} is the largest leaf that keeps any sum of the level below {@code 2^62}
 * ({@code L = 62 - ceil(log2(leaves))}: 42 for 2^20 slots), leaving 16x headroom. A mass beyond {@code 2^L} units
 * rescales the whole tree to a smaller exponent (every leaf shifted right, rounded, at least one unit if it was
 * positive; O(capacity), rare: each rescale leaves 16x headroom again). So a mass is held to a relative error of
 * at most {@code 2^-(L-5)} of the largest mass the exponent was chosen for, and the probability of every slot is
 * exact for the stored units.
 *
 * <p>Unset leaves: the ring fills its slots in order, so the leaves ever set are exactly {@code [0, filled)}; a
 * leaf at or beyond {@code filled} holds 0 and does not count in the min tree, so the global minimum is that of the
 * stored records only. A first set of a leaf beyond {@code filled} is refused.
 *
 * <p>Concurrency. One writer thread calls the mutators; readers ({@link #descend}, {@link #totalUnits}, ...) may run
 * on other threads at the same time. Every 8-byte value is written whole, a prefix is always the sum of some set of
 * current and previous leaf masses ({@code >= 0}), and padding is never written, so a reader racing an update ends
 * on an existing leaf. A rescale changes what a unit is: readers bracket their reads with {@link #readBegin()} and
 * {@link #readValid(long)} (a sequence lock) and start over when a rescale ran in between.
 *
 * <p>Crash safety (a process killed at any instruction; the mapping survives). The leaves and the header are the
 * state; every other level is rebuilt from them on reopen ({@link #open()}). A leaf set the first time raises the
 * mark of set leaves before it is stored. A rescale records its target exponent, then converts the leaves in order,
 * recording each leaf's old units before converting it and the progress after, so a rescale cut short is finished on
 * reopen with no leaf converted twice.
 */
public final class PriorityTrees
{
    /** Levels with at most this many nodes merge an unordered batch's deltas through a bitset. */
    private static final int DEDUP_LEVEL_NODES = 4096;
    /** A level with at least this many nodes per entry of a batch is not merged: its nodes seldom repeat. */
    private static final long SPARSE_LEVEL_RATIO = 64;
    /** Trees with at least this many leaves (1 MiB of them, beyond a core's L2) get {@link #touchPaths} first. */
    private static final int TOUCH_LEAVES = 1 << 17;
    /** The prefix of a padding node. */
    private static final long MISSING = Long.MIN_VALUE;
    /** A min-tree node with no set leaf below it. */
    private static final long NO_MIN = Long.MAX_VALUE;
    /** Bits of headroom the exponent leaves above the mass it is chosen for. */
    static final int HEADROOM_BITS = 4;
    /** The exponent before any positive mass was set. */
    static final long NO_EXPONENT = Long.MIN_VALUE;
    /** Bounds of the exponent, so that {@code 2^exponent} stays a normal double. */
    private static final int MAX_EXPONENT = 1000;

    static final int EXPONENT_OFFSET = 0;
    /** Offset, in the trees' header, of the number of leaves ever set (public for corruption tests). */
    public static final int FILLED_OFFSET = 8;
    static final int RESCALE_TARGET_OFFSET = 16;
    static final int RESCALE_PROGRESS_OFFSET = 24;
    /** The leaf a rescale is converting, and its units before, so that a crash in between cannot convert it twice. */
    static final int RESCALE_SAVED_LEAF_OFFSET = 32;
    static final int RESCALE_SAVED_UNITS_OFFSET = 40;
    /** Spins of a reader waiting out a rescale before it yields the core (a rescale rewrites every leaf). */
    private static final int READ_SPINS = 64;
    private static final int HEADER_LENGTH = FileHeaderDescriptor.CACHE_LINE_LENGTH;

    /**
     * Plain accesses: every value is 8-byte aligned, but the aligned layout tests it at each access (an {@code and}
     * and a branch per load and store in the update's leaf loop).
     */
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Ordered stores of the header need the aligned layout's handle. */
    private static final VarHandle LONG_HANDLE = RecordDescriptor.LONG.varHandle();
    private static final VarHandle VERSION;

    static
    {
        try
        {
            VERSION = MethodHandles.lookup().findVarHandle(PriorityTrees.class, "version", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** Where {@link #touchPaths} leaves what it loaded, so that the loads are not optimised away. */
    @SuppressWarnings("unused")
    private static long touchSink;

    private final MemorySegment segment;
    private final Kernels kernels;
    private final int fanout;
    private final int fanoutShift;
    private final int depth;
    private final long headerOffset;
    /** Byte offset of each level 1 .. depth (the prefixes, then the leaves); entry 0 is unused. */
    private final long[] levelOffsets;
    private final long[] minLevelOffsets;
    /** The deepest min level: {@code max(0, depth - 2)}; each of its nodes covers {@code 1 << minLeafShift} leaves. */
    private final int minBottom;
    private final int minLeafShift;
    private final int[] levelNodes;
    private final int[] usedNodes;
    private final long regionLength;
    /** The largest leaf, in units, that keeps every sum below 2^62. */
    private final long leafLimit;
    private final int leafLimitBits;
    /** Per level with at most {@link #DEDUP_LEVEL_NODES} nodes: pending deltas of an unordered batch. */
    private final long[][] pendingDeltas;
    private final long[][] pendingBits;

    /** Sequence lock of the unit: odd while a rescale runs. */
    @SuppressWarnings("unused")
    private volatile long version;
    /** Units per mass are {@code 2^exponent}; {@link #NO_EXPONENT} before the first positive mass. */
    private long exponent = NO_EXPONENT;
    private double unitsPerMass;
    private double unit;
    private int filled;

    private int[] nodeScratch = new int[256];
    private long[] deltaScratch = new long[256];
    private final int[] singleLeaf = new int[1];
    private final double[] singleMass = new double[1];

    /**
     * Lays out the trees for a capacity; does not touch memory (call {@link #clear()} or {@link #open()}).
     *
     * @param segment      the mapped segment holding the region.
     * @param regionOffset byte offset of the region, cache-line aligned.
     * @param capacity     number of leaves in use, at least 1.
     * @param fanout       children per node, a power of two from 2 to 64.
     * @param kernels      the kernels that search the tree and carry deltas up it.
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
        // Nodes with at least one real child; the rest of a level is padding.
        this.usedNodes = new int[nodes.length];
        usedNodes[depth] = capacity;
        for (int l = depth - 1; l >= 0; l--)
        {
            usedNodes[l] = (usedNodes[l + 1] + fanout - 1) / fanout;
        }
        this.leafLimitBits = 62 - (32 - Integer.numberOfLeadingZeros(nodes[depth] - 1));
        this.leafLimit = 1L << leafLimitBits;
        this.pendingDeltas = new long[nodes.length][];
        this.pendingBits = new long[nodes.length][];
        for (int l = 1; l < depth; l++)
        {
            if (usedNodes[l] <= DEDUP_LEVEL_NODES)
            {
                pendingDeltas[l] = new long[usedNodes[l]];
                pendingBits[l] = new long[(usedNodes[l] + 63) >>> 6];
            }
        }
        this.headerOffset = regionOffset;
        long offset = regionOffset + HEADER_LENGTH;
        this.levelOffsets = new long[nodes.length];
        for (int l = 1; l <= depth; l++)
        {
            levelOffsets[l] = offset;
            offset = alignToCacheLine(offset + (long)nodes[l] * Long.BYTES);
        }
        this.minBottom = minBottom(depth);
        this.minLeafShift = (depth - minBottom) * fanoutShift;
        this.minLevelOffsets = new long[minBottom + 1];
        for (int l = 0; l <= minBottom; l++)
        {
            minLevelOffsets[l] = offset;
            offset = alignToCacheLine(offset + (long)nodes[l] * Long.BYTES);
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
        long length = HEADER_LENGTH;
        final int depth = nodes.length - 1;
        for (int l = 0; l <= depth; l++)
        {
            // Prefix or leaf levels 1..depth, min levels 0..minBottom.
            final long levelLength = alignToCacheLine((long)nodes[l] * Long.BYTES);
            length += levelLength * ((l > 0 ? 1 : 0) + (l <= minBottom(depth) ? 1 : 0));
        }
        return length;
    }

    /**
     * The min tree stops a level above the leaves' parents: each of its bottom nodes covers the leaves of a whole
     * group of parents (64 at fan-out 8), which its update reads only when the old minimum grew (rare).
     */
    private static int minBottom(final int depth)
    {
        return Math.max(0, depth - 2);
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

    // ---------------------------------------------------------------------------------------------------------
    // Lifecycle
    // ---------------------------------------------------------------------------------------------------------

    /**
     * Writes empty trees: no exponent yet, every leaf 0 and unset, every prefix 0 (padding {@link Long#MIN_VALUE}),
     * every min {@link Long#MAX_VALUE}.
     */
    public void clear()
    {
        segment.set(LONG, headerOffset + EXPONENT_OFFSET, NO_EXPONENT);
        segment.set(LONG, headerOffset + FILLED_OFFSET, 0L);
        segment.set(LONG, headerOffset + RESCALE_TARGET_OFFSET, NO_EXPONENT);
        segment.set(LONG, headerOffset + RESCALE_PROGRESS_OFFSET, 0L);
        segment.set(LONG, headerOffset + RESCALE_SAVED_LEAF_OFFSET, -1L);
        segment.set(LONG, headerOffset + RESCALE_SAVED_UNITS_OFFSET, 0L);
        for (int l = 1; l <= depth; l++)
        {
            for (int j = 0; j < levelNodes[l]; j++)
            {
                segment.set(LONG, levelOffsets[l] + ((long)j << 3), j < usedNodes[l] || l == depth ? 0L : MISSING);
            }
        }
        for (int l = 0; l <= minBottom; l++)
        {
            for (int j = 0; j < levelNodes[l]; j++)
            {
                segment.set(LONG, minLevelOffsets[l] + ((long)j << 3), NO_MIN);
            }
        }
        setExponent(NO_EXPONENT);
        filled = 0;
    }

    /**
     * Opens trees written before (a reopened file, whatever a crash left behind): reads the header, finishes a
     * rescale that a crash cut short, checks the leaves, and rebuilds every other level from them.
     *
     * @throws IllegalStateException if the header or a leaf is impossible (a corrupt region).
     */
    public void open()
    {
        final long storedExponent = segment.get(LONG, headerOffset + EXPONENT_OFFSET);
        final long storedFilled = segment.get(LONG, headerOffset + FILLED_OFFSET);
        if (storedFilled < 0 || storedFilled > usedNodes[depth] ||
            (NO_EXPONENT != storedExponent && Math.abs(storedExponent) > MAX_EXPONENT))
        {
            throw new IllegalStateException("corrupt priority-tree header: exponent=" + storedExponent + " filled=" +
                storedFilled + " capacity=" + usedNodes[depth]);
        }
        setExponent(storedExponent);
        filled = (int)storedFilled;
        final long target = segment.get(LONG, headerOffset + RESCALE_TARGET_OFFSET);
        if (NO_EXPONENT != target)
        {
            // A target equal to the exponent: the leaves were all converted, only the mark was not cleared.
            if (NO_EXPONENT == storedExponent || target > storedExponent || target < -MAX_EXPONENT)
            {
                throw new IllegalStateException("corrupt priority-tree header: rescale from exponent=" +
                    storedExponent + " to " + target);
            }
            resumeRescale(target);
        }
        final long leafBase = levelOffsets[depth];
        for (int j = 0; j < levelNodes[depth]; j++)
        {
            final long units = segment.get(LONG, leafBase + ((long)j << 3));
            if (units < 0 || units > leafLimit || (j >= filled && 0 != units) ||
                (NO_EXPONENT == exponent && 0 != units))
            {
                throw new IllegalStateException("corrupt priority-tree leaf: leaf=" + j + " units=" + units +
                    " filled=" + filled + " limit=" + leafLimit + " exponent=" + exponent);
            }
        }
        rebuild();
    }

    /**
     * Recomputes every prefix and min from the leaves, bottom up.
     */
    public void rebuild()
    {
        final MemorySegment segment = this.segment;
        for (int l = depth - 1; l >= 1; l--)
        {
            final long base = levelOffsets[l];
            for (int j = 0; j < usedNodes[l]; j++)
            {
                final long before = (j & (fanout - 1)) == 0 ? 0L : segment.get(LONG, base + ((long)(j - 1) << 3));
                segment.set(LONG, base + ((long)j << 3), before + childSum(l, j));
            }
        }
        for (int l = minBottom; l >= 0; l--)
        {
            for (int j = 0; j < usedNodes[l]; j++)
            {
                segment.set(LONG, minLevelOffsets[l] + ((long)j << 3), childMin(l, j));
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Mutators (the writer thread)
    // ---------------------------------------------------------------------------------------------------------

    /**
     * Sets one leaf and updates its ancestors.
     *
     * @param leaf the slot.
     * @param mass the new mass, finite and {@code >= 0}.
     */
    public void set(final int leaf, final double mass)
    {
        singleLeaf[0] = leaf;
        singleMass[0] = mass;
        setAll(singleLeaf, singleMass, 1);
    }

    /**
     * Sets many leaves, then carries the change of each leaf's mass to its ancestors level by level: the cache
     * misses of different leaves' paths overlap instead of forming one chain per leaf, and when the leaves ascend (a
     * stratified sample's do) or a level is small, the deltas of one node are added up first and the node's group is
     * written once. A leaf named twice takes its last mass.
     *
     * @param leaves slots, each below the high-water mark of set leaves or at it.
     * @param masses their new masses, finite and {@code >= 0}.
     * @param n      number of entries.
     */
    public void setAll(final int[] leaves, final double[] masses, final int n)
    {
        if (n <= 0)
        {
            return;
        }
        double largest = 0.0;
        double smallest = 0.0;
        int highest = -1;
        int lowest = 0;
        for (int i = 0; i < n; i++)
        {
            // Math.max carries a NaN through, so one check after the loop catches NaN, infinity and negatives.
            largest = Math.max(largest, masses[i]);
            smallest = Math.min(smallest, masses[i]);
            highest = Math.max(highest, leaves[i]);
            lowest = Math.min(lowest, leaves[i]);
        }
        if (!(largest < Double.POSITIVE_INFINITY) || smallest < 0.0 || lowest < 0)
        {
            throw badEntry(leaves, masses, n);
        }
        checkLeaves(leaves, n, highest);
        ensureExponent(largest);
        if (nodeScratch.length < n)
        {
            nodeScratch = new int[n];
            deltaScratch = new long[n];
        }
        final int[] nodes = nodeScratch;
        final long[] deltas = deltaScratch;
        if (depth > 1 && levelNodes[depth] >= TOUCH_LEAVES)
        {
            touchPaths(leaves, n);
        }
        final MemorySegment segment = this.segment;
        final long leafBase = levelOffsets[depth];
        final double unitsPerMass = this.unitsPerMass;
        final long minBase = minLevelOffsets[minBottom];
        final int fanoutShift = this.fanoutShift;
        boolean ascending = true;
        int previous = -1;
        for (int i = 0; i < n; i++)
        {
            final int leaf = leaves[i];
            final long units = toUnits(masses[i], unitsPerMass);
            // In entry order, so that a leaf named twice leaves the min tree as its last mass says.
            final long old = storeLeaf(leaf, units, leafBase, minBase);
            nodes[i] = leaf >>> fanoutShift;
            deltas[i] = units - old;
            ascending &= leaf >= previous;
            previous = leaf;
        }
        propagate(nodes, deltas, n, ascending);
    }

    /**
     * Sets the leaves {@code [from, to)} to one mass and carries the changes up, each group's once.
     *
     * @param from first slot.
     * @param to   one past the last slot, at most the high-water mark of set leaves plus the range.
     * @param mass the new mass.
     */
    public void setRange(final int from, final int to, final double mass)
    {
        if (from >= to)
        {
            return;
        }
        if (!(mass >= 0.0 && mass < Double.POSITIVE_INFINITY))
        {
            throw new IllegalArgumentException("mass must be finite and >= 0: mass=" + mass);
        }
        if (from < 0 || to > usedNodes[depth] || from > filled)
        {
            throw new IllegalArgumentException("range outside the set leaves: from=" + from + " to=" + to +
                " filled=" + filled + " capacity=" + usedNodes[depth]);
        }
        ensureExponent(mass);
        final MemorySegment segment = this.segment;
        final long leafBase = levelOffsets[depth];
        final long units = toUnits(mass, unitsPerMass);
        final int groups = ((to - 1) >>> fanoutShift) - (from >>> fanoutShift) + 1;
        if (nodeScratch.length < groups)
        {
            nodeScratch = new int[groups];
            deltaScratch = new long[groups];
        }
        final int[] nodes = nodeScratch;
        final long[] deltas = deltaScratch;
        final long minBase = minLevelOffsets[minBottom];
        final int fanoutShift = this.fanoutShift;
        int count = -1;
        int lastParent = -1;
        for (int leaf = from; leaf < to; leaf++)
        {
            final long old = storeLeaf(leaf, units, leafBase, minBase);
            final int parent = leaf >>> fanoutShift;
            if (parent != lastParent)
            {
                count++;
                nodes[count] = parent;
                deltas[count] = 0;
                lastParent = parent;
            }
            deltas[count] += units - old;
        }
        propagate(nodes, deltas, count + 1, true);
    }

    /**
     * Stores one leaf's units and keeps the min tree; a leaf set the first time raises the mark of set leaves first.
     * The bottom min node changes only if the new mass is below it, or it was the old mass and that grew (see
     * {@link #updateMin}): one load and two compares for most leaves, the walk only then.
     *
     * @return the leaf's old units.
     */
    private long storeLeaf(final int leaf, final long units, final long leafBase, final long minBase)
    {
        final MemorySegment segment = this.segment;
        final long at = leafBase + ((long)leaf << 3);
        final long old = segment.get(LONG, at);
        final long oldKey;
        if (leaf < filled)
        {
            oldKey = old;
        }
        else
        {
            oldKey = NO_MIN;
            setFilled(leaf + 1);
        }
        segment.set(LONG, at, units);
        final long bottomMin = segment.get(LONG, minBase + ((long)(leaf >>> minLeafShift) << 3));
        if (units < bottomMin || (oldKey == bottomMin && units != oldKey))
        {
            updateMin(leaf, oldKey, units);
        }
        return old;
    }

    private static IllegalArgumentException badEntry(final int[] leaves, final double[] masses, final int n)
    {
        for (int i = 0; i < n; i++)
        {
            if (!(masses[i] >= 0.0 && masses[i] < Double.POSITIVE_INFINITY) || leaves[i] < 0)
            {
                return new IllegalArgumentException("mass must be finite and >= 0 and leaf >= 0: leaves[" + i + "]=" +
                    leaves[i] + " masses[" + i + "]=" + masses[i]);
            }
        }
        return new IllegalArgumentException("no bad entry among n=" + n);
    }

    private void checkLeaves(final int[] leaves, final int n, final int highest)
    {
        if (highest < filled)
        {
            return;
        }
        // Leaves beyond the mark must come in order, each at the mark as it grows (a ring fills in order).
        int mark = filled;
        for (int i = 0; i < n; i++)
        {
            final int leaf = leaves[i];
            if (leaf < 0 || leaf > mark || leaf >= usedNodes[depth])
            {
                throw new IllegalArgumentException("leaf beyond the set leaves: leaves[" + i + "]=" + leaf +
                    " filled=" + mark + " capacity=" + usedNodes[depth]);
            }
            mark = Math.max(mark, leaf + 1);
        }
    }

    /**
     * Carries the deltas of the nodes of level {@code depth - 1} (parents of the changed leaves) up through every
     * prefix level. Ascending nodes repeat only next to themselves, so adding up neighbours merges each node's
     * deltas; an unordered batch is merged through a bitset at the first level small enough, and is ascending from
     * there on.
     */
    private void propagate(final int[] nodes, final long[] deltas, final int n, final boolean sorted)
    {
        boolean ascending = sorted;
        int count = n;
        // Each pass takes the nodes of the level below to their parents (the first pass finds the leaves' parents
        // already there) and merges neighbours that share one.
        int shift = 0;
        for (int l = depth - 1; l >= 1; l--, shift = fanoutShift)
        {
            if (ascending && (long)usedNodes[l] < SPARSE_LEVEL_RATIO * count)
            {
                // Compacted without a branch: in the upper levels whether a node repeats is irregular, and a branch
                // on it mispredicts often. The running sum of a node's deltas stays in a register and is stored at
                // every entry (a repeat overwrites its node's slot), so no iteration waits on the last one's store.
                // The write position never passes the read position, so each delta is read before it is overwritten.
                int w = -1;
                int last = -1;
                long running = 0;
                for (int i = 0; i < count; i++)
                {
                    final int node = nodes[i] >>> shift;
                    final long same = node == last ? -1L : 0L;
                    running = (running & same) + deltas[i];
                    w += 1 + (int)same;
                    nodes[w] = node;
                    deltas[w] = running;
                    last = node;
                }
                count = w + 1;
            }
            else
            {
                // A level far wider than the batch: its nodes seldom repeat, and a repeat only costs one more add.
                for (int i = 0; i < count; i++)
                {
                    nodes[i] >>>= shift;
                }
                if (!ascending && null != pendingDeltas[l])
                {
                    count = mergeThroughBitset(l, nodes, deltas, count);
                    ascending = true;
                }
            }
            kernels.addToPrefixes(segment, levelOffsets[l], fanout, usedNodes[l], nodes, deltas, count);
        }
    }

    private int mergeThroughBitset(final int level, final int[] nodes, final long[] deltas, final int count)
    {
        final long[] pending = pendingDeltas[level];
        final long[] bits = pendingBits[level];
        for (int i = 0; i < count; i++)
        {
            final int node = nodes[i];
            pending[node] += deltas[i];
            bits[node >>> 6] |= 1L << node;
        }
        int k = 0;
        for (int w = 0; w < bits.length; w++)
        {
            long word = bits[w];
            while (0 != word)
            {
                final int node = (w << 6) + Long.numberOfTrailingZeros(word);
                nodes[k] = node;
                deltas[k] = pending[node];
                pending[node] = 0;
                k++;
                word &= word - 1;
            }
            bits[w] = 0;
        }
        return k;
    }

    /**
     * Loads, and discards, the lines that {@link #setAll} will touch first for each leaf: the leaf and its parent's
     * prefix. In a large tree these are cache misses, and the leaf loop branches on the min tree (its early exit), so
     * it keeps only a few misses in flight; this loop has no such branch, so the core keeps many in flight, and the
     * loops that follow find their lines in cache.
     */
    private void touchPaths(final int[] leaves, final int n)
    {
        final MemorySegment segment = this.segment;
        final long leafBase = levelOffsets[depth];
        final long prefixParentBase = levelOffsets[depth - 1];
        long sink = 0;
        for (int i = 0; i < n; i++)
        {
            final int leaf = leaves[i];
            final long parent = (long)(leaf >>> fanoutShift) << 3;
            sink ^= segment.get(LONG, leafBase + ((long)leaf << 3)) ^ segment.get(LONG, prefixParentBase + parent);
        }
        touchSink = sink;
    }

    /**
     * Restores the min tree above a leaf whose mass went from {@code old} to {@code units} (the leaf is already
     * stored; {@code old} is {@link #NO_MIN} for a leaf set the first time). Each ancestor held the minimum of its
     * children before the change, so it changes only if the new mass is below it, or if it was the old mass and the
     * mass grew (then it is recomputed); the walk stops at the first ancestor that keeps its value.
     */
    private void updateMin(final int leaf, final long old, final long units)
    {
        long before = old;
        long after = units;
        int node = leaf >>> minLeafShift;
        for (int l = minBottom; l >= 0; l--, node >>>= fanoutShift)
        {
            final long at = minLevelOffsets[l] + ((long)node << 3);
            final long current = segment.get(LONG, at);
            final long updated;
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
            segment.set(LONG, at, updated);
            before = current;
            after = updated;
        }
    }

    /**
     * The mass of a node of an internal level {@code level} (0 .. depth - 1): the sum of its children.
     */
    private long childSum(final int level, final int node)
    {
        final int first = node << fanoutShift;
        final long base = levelOffsets[level + 1] + ((long)first << 3);
        if (level + 1 == depth)
        {
            long sum = 0;
            for (int c = 0; c < fanout; c++)
            {
                sum += segment.get(LONG, base + ((long)c << 3));
            }
            return sum;
        }
        final int last = Math.min(fanout, usedNodes[level + 1] - first) - 1;
        return segment.get(LONG, base + ((long)last << 3));
    }

    private long childMin(final int level, final int node)
    {
        long min = NO_MIN;
        if (level == minBottom)
        {
            // The leaves under the node, those set.
            final int first = node << minLeafShift;
            final long base = levelOffsets[depth] + ((long)first << 3);
            final int end = Math.min(1 << minLeafShift, filled - first);
            for (int c = 0; c < end; c++)
            {
                min = Math.min(min, segment.get(LONG, base + ((long)c << 3)));
            }
            return min;
        }
        final int first = node << fanoutShift;
        final long base = minLevelOffsets[level + 1] + ((long)first << 3);
        for (int c = 0; c < fanout; c++)
        {
            min = Math.min(min, segment.get(LONG, base + ((long)c << 3)));
        }
        return min;
    }

    /**
     * Raises the mark of leaves ever set, before the new leaf is stored: a process killed between the two stores
     * leaves a mark over a leaf of 0 (a set leaf of mass 0, which recovery then sets), never a positive leaf beyond the
     * mark, which {@link #open()} would refuse as corrupt.
     */
    private void setFilled(final int mark)
    {
        filled = mark;
        segment.set(LONG, headerOffset + FILLED_OFFSET, mark);
        VarHandle.storeStoreFence();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Fixed point
    // ---------------------------------------------------------------------------------------------------------

    private static long toUnits(final double mass, final double unitsPerMass)
    {
        // Round half up, as Math.round for a mass >= 0 (below 2^62 units, so x + 0.5 is exact enough), but a plain
        // conversion.
        final long units = (long)(mass * unitsPerMass + 0.5);
        // A positive mass keeps at least one unit, so that its slot stays sampleable.
        return 0 == units && mass > 0.0 ? 1 : units;
    }

    /**
     * Makes the exponent able to hold {@code mass}: chooses it at the first positive mass, and rescales the tree
     * when the mass would exceed the leaf limit.
     */
    private void ensureExponent(final double mass)
    {
        if (!(mass > 0.0))
        {
            return;
        }
        if (NO_EXPONENT == exponent)
        {
            // Every leaf is 0 so far: nothing to convert, but readers must not mix the two units either.
            final long wanted = exponentFor(mass);
            beginRescale();
            segment.set(LONG, headerOffset + EXPONENT_OFFSET, wanted);
            setExponent(wanted);
            endRescale();
        }
        else if (mass * unitsPerMass >= leafLimit)
        {
            rescale(exponentFor(mass));
        }
    }

    /**
     * The exponent that puts {@code mass} in {@code [2^(L - 5), 2^(L - 4))} units, {@code 2^L} the leaf limit.
     */
    private long exponentFor(final double mass)
    {
        final long wanted = (long)leafLimitBits - HEADROOM_BITS - Math.getExponent(mass) - 1;
        return Math.max(-MAX_EXPONENT, Math.min(MAX_EXPONENT, wanted));
    }

    private void setExponent(final long newExponent)
    {
        exponent = newExponent;
        final int e = NO_EXPONENT == newExponent ? 0 : (int)newExponent;
        unitsPerMass = Math.scalb(1.0, e);
        unit = Math.scalb(1.0, -e);
    }

    /**
     * Moves every leaf to a smaller exponent, then rebuilds the other levels. Crash-safe: the target exponent is
     * written first and the leaves are converted in order, each followed by the progress, so that {@link #open()}
     * can finish the job; readers see an odd version throughout.
     */
    private void rescale(final long newExponent)
    {
        beginRescale();
        try
        {
            segment.set(LONG, headerOffset + RESCALE_PROGRESS_OFFSET, 0L);
            segment.set(LONG, headerOffset + RESCALE_SAVED_LEAF_OFFSET, -1L);
            LONG_HANDLE.setRelease(segment, headerOffset + RESCALE_TARGET_OFFSET, newExponent);
            convertLeaves(0, newExponent);
            rebuild();
        }
        finally
        {
            // Never leave readers waiting on an odd version, even if this failed (then the trees are reopened).
            endRescale();
        }
    }

    /**
     * Converts the leaves from {@code from} on to {@code newExponent}, then records it as the exponent. Per leaf: its
     * old units and index into the header, the converted leaf, then the progress mark, each store ordered after the
     * one before; so after a crash the leaf at the progress mark is either unconverted or recorded in the header
     * (see {@link #resumeRescale}), and no leaf is converted twice.
     */
    private void convertLeaves(final int from, final long newExponent)
    {
        final long shift = exponent - newExponent;
        final long leafBase = levelOffsets[depth];
        final long progressAt = headerOffset + RESCALE_PROGRESS_OFFSET;
        final long savedLeafAt = headerOffset + RESCALE_SAVED_LEAF_OFFSET;
        final long savedUnitsAt = headerOffset + RESCALE_SAVED_UNITS_OFFSET;
        for (int j = from; j < levelNodes[depth]; j++)
        {
            final long at = leafBase + ((long)j << 3);
            final long units = segment.get(LONG, at);
            segment.set(LONG, savedUnitsAt, units);
            LONG_HANDLE.setRelease(segment, savedLeafAt, (long)j);
            VarHandle.storeStoreFence();
            segment.set(LONG, at, shiftRounded(units, shift));
            LONG_HANDLE.setRelease(segment, progressAt, (long)(j + 1));
        }
        LONG_HANDLE.setRelease(segment, headerOffset + EXPONENT_OFFSET, newExponent);
        LONG_HANDLE.setRelease(segment, headerOffset + RESCALE_TARGET_OFFSET, NO_EXPONENT);
        setExponent(newExponent);
    }

    /**
     * Finishes a rescale a crash cut short: the leaf at the progress mark gets back its recorded old units if the
     * crash came after the header recorded them (it may or may not have been converted), then the conversion goes on
     * from there.
     */
    private void resumeRescale(final long target)
    {
        final long progress = segment.get(LONG, headerOffset + RESCALE_PROGRESS_OFFSET);
        final long savedLeaf = segment.get(LONG, headerOffset + RESCALE_SAVED_LEAF_OFFSET);
        final int from = (int)Math.min(Math.max(progress, 0), levelNodes[depth]);
        if (savedLeaf == from && from < levelNodes[depth])
        {
            segment.set(LONG, levelOffsets[depth] + ((long)from << 3),
                segment.get(LONG, headerOffset + RESCALE_SAVED_UNITS_OFFSET));
        }
        convertLeaves(from, target);
    }

    /**
     * {@code units / 2^shift} rounded to nearest, at least 1 if {@code units} is positive.
     */
    static long shiftRounded(final long units, final long shift)
    {
        if (units <= 0 || shift <= 0)
        {
            return units;
        }
        final long rounded = shift >= 63 ? 0 : (units >>> shift) + ((units >>> (shift - 1)) & 1);
        return Math.max(rounded, 1);
    }

    private void beginRescale()
    {
        VERSION.setOpaque(this, version + 1);
        // Sequence lock: the odd version is visible before any store of the rescale.
        VarHandle.storeStoreFence();
    }

    private void endRescale()
    {
        VERSION.setRelease(this, version + 1);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Readers (any thread)
    // ---------------------------------------------------------------------------------------------------------

    /**
     * Starts a read that must see one unit throughout: waits out a rescale in progress.
     *
     * @return the version to pass to {@link #readValid}.
     */
    public long readBegin()
    {
        long v = (long)VERSION.getAcquire(this);
        for (int spins = 0; (v & 1) != 0; spins++)
        {
            // A rescale rewrites every leaf: after a few spins, give the core to the writer doing it.
            if (spins < READ_SPINS)
            {
                Thread.onSpinWait();
            }
            else
            {
                Thread.yield();
            }
            v = (long)VERSION.getAcquire(this);
        }
        return v;
    }

    /**
     * Ends a read begun with {@link #readBegin}.
     *
     * @param begun the version {@link #readBegin} returned.
     * @return whether no rescale ran since: if not, what was read mixes units and must be read again.
     */
    public boolean readValid(final long begun)
    {
        // Sequence lock: the reads before are done before the version is read again.
        VarHandle.loadLoadFence();
        return (long)VERSION.getOpaque(this) == begun;
    }

    /**
     * Descends the tree for each target (see {@link Kernels#descendFixedPoint}).
     *
     * @param targets  target masses in units, in {@code [0, totalUnits())}; overwritten.
     * @param n        number of targets.
     * @param outLeaf  receives the chosen leaves.
     * @param outUnits receives their masses in units.
     */
    public void descend(final long[] targets, final int n, final int[] outLeaf, final long[] outUnits)
    {
        kernels.descendFixedPoint(segment, levelOffsets, fanout, targets, n, outLeaf, outUnits);
    }

    /**
     * Draws {@code n} leaves by stratified sampling: the total mass is cut into {@code n} equal strata and one target
     * drawn uniformly in each, then all targets descend together. The targets ascend, so the leaves do too.
     *
     * @param rng      the random source.
     * @param n        number of draws, at least 1.
     * @param targets  scratch for the targets, at least {@code n} long.
     * @param outLeaf  receives the chosen leaves.
     * @param outUnits receives their masses in units.
     * @return the total units the strata were cut from; when not positive, nothing was drawn.
     */
    public long drawStratified(
        final RandomGenerator rng, final int n, final long[] targets, final int[] outLeaf, final long[] outUnits)
    {
        final long total = totalUnits();
        if (total <= 0)
        {
            return total;
        }
        final double stratum = (double)total / n;
        for (int i = 0; i < n; i++)
        {
            targets[i] = targetInStratum(i, rng.nextDouble(), stratum, total);
        }
        descend(targets, n, outLeaf, outUnits);
        return total;
    }

    /**
     * A target in stratum {@code i}: {@code floor((i + u) * stratum)}, kept below the total (the product may round
     * up to it).
     *
     * @param i       the stratum.
     * @param u       a uniform draw in {@code [0, 1)}.
     * @param stratum units per stratum.
     * @param total   the total units.
     * @return the target in units.
     */
    public static long targetInStratum(final int i, final double u, final double stratum, final long total)
    {
        return Math.min((long)((i + u) * stratum), total - 1);
    }

    /**
     * The mass of one unit.
     *
     * @return {@code 2^-exponent}.
     */
    public double unit()
    {
        return unit;
    }

    /**
     * The mass of one leaf in units.
     *
     * @param leaf the slot.
     * @return its units, 0 if never set.
     */
    public long leafUnits(final int leaf)
    {
        return segment.get(LONG, levelOffsets[depth] + ((long)leaf << 3));
    }

    /**
     * The mass of one leaf.
     *
     * @param leaf the slot.
     * @return its mass as stored (the nearest whole number of units), 0 if never set; in one unit even if a rescale
     * runs meanwhile.
     */
    public double leaf(final int leaf)
    {
        long begun;
        double mass;
        do
        {
            begun = readBegin();
            mass = leafUnits(leaf) * unit;
        }
        while (!readValid(begun));
        return mass;
    }

    /**
     * The total mass in units.
     *
     * @return the sum of every leaf.
     */
    public long totalUnits()
    {
        if (1 == depth)
        {
            return childSum(0, 0);
        }
        return segment.get(LONG, levelOffsets[1] + ((long)(usedNodes[1] - 1) << 3));
    }

    /**
     * The total mass.
     *
     * @return the sum of every leaf's mass, in one unit even if a rescale runs meanwhile.
     */
    public double total()
    {
        long begun;
        double mass;
        do
        {
            begun = readBegin();
            mass = totalUnits() * unit;
        }
        while (!readValid(begun));
        return mass;
    }

    /**
     * The smallest set leaf in units.
     *
     * @return the minimum, {@link Long#MAX_VALUE} if no leaf is set.
     */
    public long minUnits()
    {
        return segment.get(LONG, minLevelOffsets[0]);
    }

    /**
     * The smallest set leaf's mass.
     *
     * @return the minimum, +infinity if no leaf is set; in one unit even if a rescale runs meanwhile.
     */
    public double minMass()
    {
        long begun;
        double mass;
        do
        {
            begun = readBegin();
            final long min = minUnits();
            mass = NO_MIN == min ? Double.POSITIVE_INFINITY : min * unit;
        }
        while (!readValid(begun));
        return mass;
    }

    /**
     * Where an internal level's prefixes (or, for {@code depth}, the leaves) start, for tests.
     *
     * @param level a level in {@code [1, depth]}.
     * @return the byte offset in the segment.
     */
    long levelOffset(final int level)
    {
        if (level < 1 || level > depth)
        {
            throw new IllegalArgumentException("no stored level=" + level + " depth=" + depth);
        }
        return levelOffsets[level];
    }

    /**
     * The exponent, for tests.
     *
     * @return units per mass are {@code 2^exponent}; {@link Long#MIN_VALUE} before the first positive mass.
     */
    long exponent()
    {
        return exponent;
    }

    /**
     * The largest leaf in units, for tests.
     *
     * @return the leaf limit.
     */
    long leafLimit()
    {
        return leafLimit;
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
     * The sum of every leaf in units, straight from the leaves, for drift checks.
     *
     * @return the exact sum.
     */
    public long leafSumUnits()
    {
        long sum = 0;
        final long base = levelOffsets[depth];
        for (int j = 0; j < levelNodes[depth]; j++)
        {
            sum += segment.get(LONG, base + ((long)j << 3));
        }
        return sum;
    }

    /**
     * Checks that every prefix equals the running sum of its group's children, every min the minimum of its
     * children, padding holds its marks, and the leaves are in range, for tests.
     *
     * @return {@code null} when consistent, else a description of the first bad node.
     */
    public String checkConsistency()
    {
        final long leafBase = levelOffsets[depth];
        for (int j = 0; j < levelNodes[depth]; j++)
        {
            final long units = segment.get(LONG, leafBase + ((long)j << 3));
            if (units < 0 || units > leafLimit || (j >= filled && 0 != units))
            {
                return "leaf=" + j + " units=" + units + " filled=" + filled + " limit=" + leafLimit;
            }
        }
        for (int l = depth - 1; l >= 1; l--)
        {
            final long base = levelOffsets[l];
            for (int j = 0; j < levelNodes[l]; j++)
            {
                final long stored = segment.get(LONG, base + ((long)j << 3));
                final long expected;
                if (j >= usedNodes[l])
                {
                    expected = MISSING;
                }
                else
                {
                    final long before = (j & (fanout - 1)) == 0 ? 0L : segment.get(LONG, base + ((long)(j - 1) << 3));
                    expected = before + childSum(l, j);
                }
                if (stored != expected)
                {
                    return "prefix level=" + l + " node=" + j + " prefix=" + stored + " expected=" + expected;
                }
            }
        }
        for (int l = minBottom; l >= 0; l--)
        {
            for (int j = 0; j < levelNodes[l]; j++)
            {
                final long stored = segment.get(LONG, minLevelOffsets[l] + ((long)j << 3));
                final long expected = j >= usedNodes[l] ? NO_MIN : childMin(l, j);
                if (stored != expected)
                {
                    return "min level=" + l + " node=" + j + " min=" + stored + " expected=" + expected;
                }
            }
        }
        return null;
    }
}
