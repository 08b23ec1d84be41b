package dev.rewind.stress;

import dev.rewind.engine.internal.PriorityTrees;
import dev.rewind.kernels.Kernels;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJJJ_Result;
import org.openjdk.jcstress.infra.results.JJJ_Result;
import org.openjdk.jcstress.infra.results.JJ_Result;

import java.lang.foreign.MemorySegment;
import java.util.random.RandomGenerator;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * {@link TreeDescentTest} at fan-out 8, where a node's children fill one vector of longs on a 512-bit machine: the
 * writer's {@link Kernels#addToPrefixes} adds a delta to a group of prefixes with one masked vector store, and a
 * learner's {@link Kernels#descendFixedPoint} compares its target with a whole group in one vector load, then reads
 * the prefix before the chosen child again with a scalar load; with 32 sorted targets and a level below level 1 it
 * merges the targets into that level's groups instead ({@code mergeTopLevels}). With {@link Kernels#best()} that is
 * the vector kernel when the forked JVMs get {@code --add-modules=jdk.incubator.vector} (the {@code -jvmArgsPrepend}
 * of docs/CONCURRENCY.md; jcstress also hands its own JVM's flags to the forks); the scalar twin gives a subset of
 * the same outcomes.
 *
 * <p>Every tree starts with every leaf at mass 1.0 ({@code 2^51} units: the unit never changes, as 3.0 stays within
 * the exponent's headroom). The writer sets two leaves of different groups in one batch
 * ({@link PriorityTrees#setAll}): one to 0.25 (a delta of -0.75), one to 3.0 (+2). It stores both leaves, then adds
 * the deltas level by level from the leaves' parents up, the first leaf's delta before the second's, each to the
 * node's prefix and its later siblings'. All accesses are plain, so a learner may see each 8-byte value (a leaf, a
 * lane of a prefix group) old, or after either add; masses are reported in hundredths.
 *
 * <p><b>Top</b>: capacity 64, depth 2. Level 1 is one group of 8 prefixes: 8, 16, .., 64. Leaves 3 and 40 change:
 * the group takes -0.75 on all 8 lanes, then +2 on lanes 5 to 7 (two masked vector adds), ending at 7.25, 15.25,
 * 23.25, 31.25, 39.25, 49.25, 57.25, 65.25. So lane 6 goes 56, 55.25, 57.25 and lane 7 (the total) 64, 63.25, 65.25.
 * The learner reads the total, aims at 99.9% of it (63.936, 63.187 or 65.185) and descends. Lanes 0 to 6 never
 * exceed 57.25, below every target: node 7 is chosen when lane 7 exceeds the target, else none does and the overflow
 * rule takes node 7 (its own mass, lane 7 minus lane 6 as read again, is positive) with its last unit. Node 7's
 * leaves 56 to 63 keep mass 1.0: the leaf is 56 plus the whole part of what is left, 63 when 8 or more is left.
 * Results: total, leaf, mass.
 * <ul>
 * <li>Total 64, lane 7 at 64 or 65.25: 63.936 minus lane 6 leaves 7.936 or 8.686 (leaf 63), or 6.686 (lane 6
 * after both adds: leaf 62). Lane 7 at 63.25 (between the adds, below the target): the overflow rule, with node
 * 7's own mass 7.25 or 8 (leaf 63), 6 (lane 6 after the second add: the last unit is in leaf 61), or, lane 7
 * read again after the second add, 9.25, 10 or 8 (leaf 63).</li>
 * <li>Total 63.25 (read between the two adds): lane 7 exceeds 63.187 whatever its value; 7.187 or 7.937 left
 * (leaf 63), 5.937 with lane 6 after the second add (leaf 61).</li>
 * <li>Total 65.25 (after both adds): lane 7 at 65.25 exceeds 65.185, leaving 9.185, 9.935 or 7.935 (leaf 63). A
 * lane 7 seen older than the total, read just before, gives the overflow rule and own masses of 8 to 10 (leaf
 * 63), 6.75 (leaf 62) or 6 (leaf 61): plain loads promise no coherence, but x86-64 keeps it.</li>
 * </ul>
 *
 * <p><b>Boundary</b>: the same tree and writer, but leaf 48 holds mass 0 (so level 1 is 8, 16, .., 48, 55, 63 and
 * lane 5 goes 48, 47.25, 49.25), and the target is a fixed 49.1, just below lane 5's final value. Lane 5 before
 * the second add (48 or 47.25) does not exceed it: node 6, with 1.1 or 1.85 left, runs past leaf 48 (mass 0) to leaf
 * 50. Lane 5 after both adds exceeds it: node 5, with 49.1 minus lane 4 (40 or 39.25) left, 9.1 or 9.85, which
 * ends on leaf 47 (the group's running sums reach 10 with leaf 40 at 3.0; at 1.0 they reach 8, and the overflow rule
 * takes the last leaf with mass, 47). The vector kernel compares with lane 5 as its vector load saw it, then reads
 * lane 5 again to subtract it: when the second add lands in between, node 6 is chosen with 49.1 - 49.25 left, a
 * negative target, which it clamps to 0: the first leaf of node 6 with mass, 49. (Without the clamp the descent
 * ended on leaf 48, of mass 0 in a group of mass 7: observed 4,479 times in a first quick run, now FORBIDDEN.) The
 * scalar twin reads each prefix once and does neither.
 * Results: leaf, mass.
 *
 * <p><b>Sorted</b>: capacity 256, depth 3: level 1 is one group of 4 nodes and 4 padding lanes (prefixes 64, 128,
 * 192, 256), level 2 has 32 nodes (8, 16, .., 64 in each group), then 256 leaves. Leaves 3 and 200 change,
 * under level-1 nodes 0 and 3: level 2 takes -0.75 on group 0 and +2 on lanes 1 to 7 of group 3; level 1, its
 * last, takes -0.75 on lanes 0 to 3 and +2 on lane 3, the padding lanes masked off. The total (lane 3 of level 1)
 * goes 256, 255.25, 257.25. The learner draws 32 stratified targets from the total it reads
 * ({@link PriorityTrees#drawStratified}, the engine's path) with a fixed draw 9/16 into each stratum, so that a
 * target lies half a unit past a leaf boundary and the leaves before and after the writer differ. The targets
 * ascend and level 1 has at most one node per 8 targets, so the vector kernel merges them into level 2's four
 * groups (a running total of each group's largest prefix), then steps to the leaves. Results: total, whether every
 * leaf is below 256, whether every mass is one that leaf held (1.0, or its new mass), and which tree the 32 leaves
 * match: the linear scan over the old masses for the same targets (1), over the new ones (2), or neither (0, a mixed
 * view). The writer stores level 1 last, so a total from either of its adds comes after every leaf and level-2
 * store; a view older than that needs loads or stores reordered, which plain accesses allow (the compiler may reorder
 * them) and x86-64 itself does not do.
 *
 * <p>Observed with {@code -m quick} (the command in docs/CONCURRENCY.md, {@code -t 'dev.rewind.stress.Tree.*'}), 42
 * runs of these tests (3 tests x 14 JVM configurations), all passed, 2 cores, AVX-512 (8 long lanes), JDK 25.0.3,
 * 2026-11-30, with the remainder clamped:
 * <pre>
 * Top                 RESULT     SAMPLES     FREQ       EXPECT
 *              6325, 61, 100         394   &lt;0.01%   Acceptable
 *              6325, 63, 100         112   &lt;0.01%   Acceptable
 *              6400, 61, 100           0    0.00%  Interesting  (not observed)
 *              6400, 62, 100      69,724    0.37%   Acceptable
 *              6400, 63, 100   8,691,720   45.92%   Acceptable
 *              6525, 63, 100  10,166,198   53.71%   Acceptable
 *           6525, 6[12], 100           0    0.00%  Interesting  (not observed)
 * Boundary            RESULT     SAMPLES     FREQ       EXPECT
 *                    47, 100   9,489,300   48.30%   Acceptable
 *                    49, 100       4,508    0.02%  Interesting  (the clamped remainder)
 *                    50, 100  10,151,140   51.67%   Acceptable
 * Sorted              RESULT     SAMPLES     FREQ       EXPECT
 *             25525, 1, 1, 2         204   &lt;0.01%   Acceptable
 *             25600, 1, 1, 0      69,444    0.60%  Interesting
 *             25600, 1, 1, 1     609,902    5.23%   Acceptable
 *             25600, 1, 1, 2      64,464    0.55%   Acceptable
 *             25725, 1, 1, 2  10,922,014   93.62%   Acceptable
 *       25[57]25, 1, 1, [01]           0    0.00%  Interesting  (not observed)
 * </pre>
 * Before the clamp, a first run saw Boundary at {@code 48, 0} 4,479 times and never at {@code 49, 100}. With
 * {@code -Drewind.kernels=scalar} all passed with Boundary only at {@code 47, 100} and {@code 50, 100}. With
 * {@code -XX:MaxVectorSize=32} added (4 long lanes) each group of 8 is two vectors, read by two loads and compared
 * one after the other (the path fan-out 16 takes at 512 bits), and the merge runs on them: all 42 runs passed, after
 * the paths were made one for every fan-out (2026-11-30), with Boundary at {@code 49, 100} 1,731 times and Sorted at
 * {@code 25600, 1, 1, 0} 23,649 times, and again once the writer's adds to a two-vector group were written out
 * (1,835 and 27,529 times), and with the merge's scalar largest prefix below 512 bits (2,252 and 44,721 times).
 * (Before the paths were made one, 4 lanes took a general counting loop and no merge; that run also passed.)
 * {@code ./mvnw verify} runs these tests at both widths in sanity mode.
 */
public final class TreeDescentWideTest
{
    static final int FANOUT = 8;

    private TreeDescentWideTest()
    {
    }

    /** Hundredths of a mass in units; a negative one maps to -1. */
    static long hundredths(final PriorityTrees trees, final long units)
    {
        return units >= 0 ? Math.round(units * trees.unit() * 100) : -1;
    }

    /** 64 leaves under one group of 8 prefixes; the writer moves leaves 3 and 40. */
    abstract static class Small
    {
        static final int CAPACITY = 64;

        final MemorySegment segment = Segments.allocate(PriorityTrees.regionLength(CAPACITY, FANOUT));
        final PriorityTrees trees = new PriorityTrees(segment, 0, CAPACITY, FANOUT, Kernels.best());
        final int[] updateLeaves = {3, 40};
        final double[] updateMasses = {0.25, 3.0};
        final long[] target = new long[1];
        final int[] leaf = new int[1];
        final long[] mass = new long[1];

        Small()
        {
            trees.clear();
            trees.setRange(0, CAPACITY, 1.0);
        }

        /** The writer's batch: two leaves in different groups, two masked adds on the prefix group. */
        void write()
        {
            trees.setAll(updateLeaves, updateMasses, 2);
        }
    }

    /** A learner aiming at 99.9% of the total it reads. */
    @JCStressTest
    @Outcome(id = "6400, 63, 100", expect = ACCEPTABLE,
        desc = "The tree before the writer (or lane 6 seen after the first add only).")
    @Outcome(id = "6400, 62, 100", expect = ACCEPTABLE, desc = "Total read before the writer, prefixes after it.")
    @Outcome(id = "6400, 61, 100", expect = ACCEPTABLE_INTERESTING,
        desc = "Old total; lane 7 seen between the adds (below the target: overflow rule), lane 6 after the second: "
            + "node 7's own mass is 6, its last unit in leaf 61.")
    @Outcome(id = "6325, 63, 100", expect = ACCEPTABLE,
        desc = "Total read between the two adds, lane 6 before the second.")
    @Outcome(id = "6325, 61, 100", expect = ACCEPTABLE,
        desc = "Total read between the two adds, lane 6 after the second.")
    @Outcome(id = "6525, 63, 100", expect = ACCEPTABLE, desc = "The tree after the writer.")
    @Outcome(id = "6525, 6[12], 100", expect = ACCEPTABLE_INTERESTING,
        desc = "Lane 7 seen older than the total read before it (plain loads, not expected on x86-64): overflow rule.")
    @Outcome(expect = FORBIDDEN,
        desc = "A leaf outside node 7's group, a mass other than 1.0, or a total no writer step left.")
    @State
    public static class Top extends Small
    {
        /** The writer. */
        @Actor
        public void writer()
        {
            write();
        }

        /** A learner's draw: total (plain), 99.9% of it, one descent. */
        @Actor
        public void learner(final JJJ_Result r)
        {
            final long total = trees.totalUnits();
            target[0] = (long)(total * 0.999);
            trees.descend(target, 1, leaf, mass);
            r.r1 = hundredths(trees, total);
            r.r2 = leaf[0];
            r.r3 = hundredths(trees, mass[0]);
        }
    }

    /** A learner aiming at 49.1, just below lane 5's final prefix, with leaf 48 at mass 0. */
    @JCStressTest
    @Outcome(id = "50, 100", expect = ACCEPTABLE, desc = "Lane 5 before the second add: node 6, past leaf 48.")
    @Outcome(id = "47, 100", expect = ACCEPTABLE, desc = "Lane 5 after both adds: node 5, its last leaf.")
    @Outcome(id = "49, 100", expect = ACCEPTABLE_INTERESTING,
        desc = "Vector kernel: lane 5 compared old, read again new: what is left clamps to 0, leaf 49, the first "
            + "with mass after leaf 48.")
    @Outcome(expect = FORBIDDEN, desc = "Another leaf, a mass that leaf never held, or leaf 48 (mass 0 in a group "
        + "with mass: a negative target carried down).")
    @State
    public static class Boundary extends Small
    {
        final long aim;

        /** Leaf 48 at mass 0, and the fixed target. */
        public Boundary()
        {
            trees.set(48, 0.0);
            aim = (long)(49.1 / trees.unit());
        }

        /** The writer. */
        @Actor
        public void writer()
        {
            write();
        }

        /** A learner's descent to a fixed target. */
        @Actor
        public void learner(final JJ_Result r)
        {
            target[0] = aim;
            trees.descend(target, 1, leaf, mass);
            r.r1 = leaf[0];
            r.r2 = hundredths(trees, mass[0]);
        }
    }

    /** 32 stratified targets, merged into level 2 by the vector kernel. */
    @JCStressTest
    @Outcome(id = "25600, 1, 1, 1", expect = ACCEPTABLE, desc = "The tree before the writer.")
    @Outcome(id = "25600, 1, 1, 2", expect = ACCEPTABLE, desc = "Total read before the writer, the tree after it.")
    @Outcome(id = "25600, 1, 1, 0", expect = ACCEPTABLE_INTERESTING,
        desc = "Total before the writer, the tree half updated: every leaf exists and holds a stored mass.")
    @Outcome(id = "25525, 1, 1, 2", expect = ACCEPTABLE, desc = "Total read between level 1's two adds.")
    @Outcome(id = "25725, 1, 1, 2", expect = ACCEPTABLE, desc = "The tree after the writer.")
    @Outcome(id = "25[57]25, 1, 1, [01]", expect = ACCEPTABLE_INTERESTING,
        desc = "Total from level 1's adds, older leaves or level 2 seen after it (plain accesses, not on x86-64).")
    @Outcome(expect = FORBIDDEN, desc = "A leaf outside the tree, a mass its leaf never held, or a torn total.")
    @State
    public static class Sorted
    {
        static final int CAPACITY = 256;
        static final int N = 32;
        /** Each target's place in its stratum. */
        static final double DRAW = 0.5625;
        static final RandomGenerator FIXED_DRAW = new RandomGenerator()
        {
            @Override
            public long nextLong()
            {
                return 0;
            }

            @Override
            public double nextDouble()
            {
                return DRAW;
            }
        };

        final MemorySegment segment = Segments.allocate(PriorityTrees.regionLength(CAPACITY, FANOUT));
        final PriorityTrees trees = new PriorityTrees(segment, 0, CAPACITY, FANOUT, Kernels.best());
        final int[] updateLeaves = {3, 200};
        final double[] updateMasses = {0.25, 3.0};
        final long[] before = new long[CAPACITY];
        final long[] targets = new long[N];
        final int[] leaves = new int[N];
        final long[] units = new long[N];
        long total;

        /** Every leaf at 1.0. */
        public Sorted()
        {
            trees.clear();
            trees.setRange(0, CAPACITY, 1.0);
            for (int j = 0; j < CAPACITY; j++)
            {
                before[j] = trees.leafUnits(j);
            }
        }

        /** The writer: leaves under level-1 nodes 0 and 3. */
        @Actor
        public void writer()
        {
            trees.setAll(updateLeaves, updateMasses, 2);
        }

        /** A learner's stratified draw of 32 leaves. */
        @Actor
        public void learner()
        {
            total = trees.drawStratified(FIXED_DRAW, N, targets, leaves, units);
        }

        /** Judges the draw against the leaves before and after the writer. */
        @Arbiter
        public void arbiter(final JJJJ_Result r)
        {
            r.r1 = hundredths(trees, total);
            boolean inTree = total > 0;
            boolean stored = inTree;
            boolean old = inTree;
            boolean now = inTree;
            final double stratum = (double)total / N;
            for (int i = 0; inTree && i < N; i++)
            {
                final int leaf = leaves[i];
                inTree = leaf >= 0 && leaf < CAPACITY;
                if (inTree)
                {
                    final long after = trees.leafUnits(leaf);
                    stored &= units[i] == before[leaf] || units[i] == after;
                    final long target = PriorityTrees.targetInStratum(i, DRAW, stratum, total);
                    old &= leaf == linearScan(false, target);
                    now &= leaf == linearScan(true, target);
                }
            }
            r.r2 = inTree ? 1 : 0;
            r.r3 = inTree && stored ? 1 : 0;
            r.r4 = inTree ? (old ? 1 : 0) | (now ? 2 : 0) : -1;
        }

        /** The leaf whose running range of the old or new masses holds the target. */
        private int linearScan(final boolean after, final long target)
        {
            long cumulative = 0;
            for (int j = 0; j < CAPACITY; j++)
            {
                cumulative += after ? trees.leafUnits(j) : before[j];
                if (target < cumulative)
                {
                    return j;
                }
            }
            return CAPACITY - 1;
        }
    }
}
