package dev.rewind.stress;

import dev.rewind.engine.internal.PriorityTrees;
import dev.rewind.kernels.Kernels;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJJ_Result;

import java.lang.foreign.MemorySegment;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Tree updates seen by a concurrent descent: the writer changes leaves and adds the change to their ancestors'
 * prefixes ({@link PriorityTrees#setRange}, {@link PriorityTrees#setAll}) while a learner reads the root and descends
 * ({@link PriorityTrees#descend}, the vector kernel when the Vector API is present) through nodes that may mix old
 * and new values. Whatever mix it sees, the descent ends on a leaf of the tree with a mass that is a value some
 * writer stored (never negative, never torn); the learner's guard (leaf below the published size, mass above 0,
 * as in {@code ConcurrentReplayBuffer.drawPrioritized}) turns away the leaves it must not return.
 *
 * <p>The tree: capacity 4, fan-out 2 (root, 2 nodes, 4 leaves), leaves {@code [1, 1, 0, 0]}, two records published.
 * The learner aims at 99.9% of the root's mass (the rightmost positive leaf when the tree is consistent). Results:
 * published write sequence, chosen leaf, and the leaf's mass in hundredths.
 *
 * <p>Observed with {@code -m quick}, 98 runs of all tests, 2 cores (command in docs/CONCURRENCY.md):
 * <pre>
 * Insert      RESULT    SAMPLES     FREQ       EXPECT
 *          2, 0, 100          0    0.00%   Acceptable  new root, old right node (not observed)
 *          2, 1, 100  1,991,238   13.54%   Acceptable  the old tree
 *          2, 2, 100    257,462    1.75%  Interesting  unpublished leaf reached: the guard redraws
 *            2, 3, 0          0    0.00%  Interesting  zero-mass leaf (not observed)
 *          3, 2, 100 12,458,254   84.71%   Acceptable  the new tree
 * Update      RESULT    SAMPLES     FREQ       EXPECT
 *          2, 1, 100  1,019,341    7.55%   Acceptable
 *           2, 1, 25 12,489,533   92.45%   Acceptable
 * </pre>
 */
public final class TreeDescentTest
{
    static final int CAPACITY = 4;
    static final int FANOUT = 2;
    static final long TREES_OFFSET = 64;

    private TreeDescentTest()
    {
    }

    /** Trees with leaves {@code [1, 1, 0, 0]} and write sequence 2 published. */
    abstract static class Trees
    {
        final MemorySegment segment = Segments.allocate(TREES_OFFSET + PriorityTrees.regionLength(CAPACITY, FANOUT));
        final PriorityTrees trees = new PriorityTrees(segment, TREES_OFFSET, CAPACITY, FANOUT, Kernels.best());
        final long[] target = new long[1];
        final int[] leaf = new int[1];
        final long[] mass = new long[1];

        Trees()
        {
            trees.clear();
            trees.setRange(0, 2, 1.0);
            Segments.publish(segment, 2);
        }

        /** The learner's draw: write sequence (acquire), root, one descent. */
        void descend(final JJJ_Result r)
        {
            r.r1 = Segments.acquirePublished(segment);
            target[0] = (long)(trees.totalUnits() * 0.999);
            trees.descend(target, 1, leaf, mass);
            r.r2 = leaf[0];
            // Hundredths of the mass (no rescale runs here: masses stay within the first one's headroom); a
            // negative mass maps to -1.
            r.r3 = mass[0] >= 0 ? Math.round(mass[0] * trees.unit() * 100) : -1;
        }
    }

    /** An insert: leaf 2 gets the maximum mass, its ancestors are updated, then write sequence 3 is published. */
    @JCStressTest
    @Outcome(id = "2, 1, 100", expect = ACCEPTABLE, desc = "The tree before the insert.")
    @Outcome(id = "3, 2, 100", expect = ACCEPTABLE, desc = "The tree after the insert, published.")
    @Outcome(id = "2, 0, 100", expect = ACCEPTABLE,
        desc = "New root, old right node: the overflow rule ends on a committed leaf.")
    @Outcome(id = "2, 2, 100", expect = ACCEPTABLE_INTERESTING,
        desc = "The new leaf is reached before it is published: the guard (leaf < published) redraws.")
    @Outcome(id = "2, 2, 0", expect = ACCEPTABLE_INTERESTING,
        desc = "New prefixes, old leaf: a zero-mass leaf; the guard (mass > 0) redraws.")
    @Outcome(expect = FORBIDDEN, desc = "A leaf outside the tree, a negative or torn mass, or a stale tree after "
        + "the publication was acquired.")
    @State
    public static class Insert extends Trees
    {
        /** The writer: as {@code MappedReplayBuffer.publish}: tree leaves first, then the write sequence. */
        @Actor
        public void writer()
        {
            trees.setRange(2, 3, 1.0);
            Segments.publish(segment, 3);
        }

        /** A learner's descent. */
        @Actor
        public void learner(final JJJ_Result r)
        {
            descend(r);
        }
    }

    /** A priority update: leaf 1 drops to 0.25 and its ancestors are updated; nothing new is published. */
    @JCStressTest
    @Outcome(id = "2, 1, 100", expect = ACCEPTABLE, desc = "Leaf 1 before the update.")
    @Outcome(id = "2, 1, 25", expect = ACCEPTABLE, desc = "Leaf 1 after the update (or a mix that still ends there).")
    @Outcome(id = "2, 2, 0", expect = ACCEPTABLE_INTERESTING,
        desc = "The level's prefixes seen half-updated (first new, last old): the target overflows into the right "
            + "node, whose leaves have no mass; the guard (mass > 0) redraws.")
    @Outcome(expect = FORBIDDEN, desc = "Another leaf, a negative or torn mass, a mass on leaf 2 or 3.")
    @State
    public static class Update extends Trees
    {
        final int[] updateLeaves = {1};
        final double[] updateMasses = {0.25};

        /** The writer: one leaf update, as the writer applies a batch of learners' priorities. */
        @Actor
        public void writer()
        {
            trees.setAll(updateLeaves, updateMasses, 1);
        }

        /** A learner's descent. */
        @Actor
        public void learner(final JJJ_Result r)
        {
            descend(r);
        }
    }
}
