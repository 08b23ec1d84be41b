package dev.rewind.engine.internal;

import dev.rewind.kernels.Kernels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The trees against a plain array model: after every operation the min root equals the minimum of the leaves set
 * so far (unset leaves do not count, zero masses do), the sum root equals the recomputation, and every node equals
 * the recomputation from its children.
 */
class PriorityTreesTest
{
    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close()
    {
        arena.close();
    }

    /** The segment of the last {@link #trees} call. */
    private MemorySegment treesSegment;

    private PriorityTrees trees(final int capacity, final int fanout)
    {
        final MemorySegment segment = arena.allocate(PriorityTrees.regionLength(capacity, fanout), 64);
        treesSegment = segment;
        final PriorityTrees trees = new PriorityTrees(segment, 0, capacity, fanout, Kernels.best());
        trees.clear();
        return trees;
    }

    /** The model's minimum over set leaves (NaN marks an unset leaf), +infinity when none is set. */
    private static double modelMin(final double[] model)
    {
        double min = Double.POSITIVE_INFINITY;
        for (final double m : model)
        {
            if (!Double.isNaN(m))
            {
                min = Math.min(min, m);
            }
        }
        return min;
    }

    @Test
    void shouldCountOnlySetLeavesInTheMinimum()
    {
        final PriorityTrees trees = trees(37, 4);
        assertEquals(Double.POSITIVE_INFINITY, trees.minMass());
        assertEquals(0.0, trees.total());
        assertEquals(0.0, trees.leaf(5));
        assertEquals(Double.doubleToRawLongBits(0.0), Double.doubleToRawLongBits(trees.leaf(5)), "never -0.0");
        trees.setRange(0, 3, 2.5);
        assertEquals(2.5, trees.minMass(), "unset leaves are not minima");
        assertEquals(7.5, trees.total());
        trees.set(20, 0.75);
        assertEquals(0.75, trees.minMass());
        trees.set(20, 3.0);
        assertEquals(2.5, trees.minMass(), "the old minimum replaced by a larger mass");
        trees.set(1, 0.0);
        assertEquals(0.0, trees.minMass(), "a zero mass counts");
        assertNull(trees.checkConsistency());
    }

    @Test
    void shouldKeepEveryNodeExactUnderRandomOperations()
    {
        for (final int fanout : new int[]{2, 4, 8, 16})
        {
            final int capacity = 1_013;
            final PriorityTrees trees = trees(capacity, fanout);
            final double[] model = new double[capacity];
            Arrays.fill(model, Double.NaN);
            final SplittableRandom rng = new SplittableRandom(fanout);
            final int[] leaves = new int[64];
            final double[] masses = new double[64];
            for (int op = 0; op < 20_000; op++)
            {
                final int kind = rng.nextInt(3);
                if (0 == kind)
                {
                    final int leaf = rng.nextInt(capacity);
                    final double mass = mass(rng);
                    trees.set(leaf, mass);
                    model[leaf] = mass;
                }
                else if (1 == kind)
                {
                    // A batch over a narrow range, so that leaves repeat and siblings change together.
                    final int n = 1 + rng.nextInt(leaves.length);
                    final int base = rng.nextInt(capacity - 40);
                    for (int i = 0; i < n; i++)
                    {
                        leaves[i] = base + rng.nextInt(40);
                        masses[i] = mass(rng);
                        model[leaves[i]] = masses[i];
                    }
                    trees.setAll(leaves, masses, n);
                }
                else
                {
                    final int from = rng.nextInt(capacity);
                    final int to = Math.min(capacity, from + rng.nextInt(50));
                    final double mass = mass(rng);
                    trees.setRange(from, to, mass);
                    Arrays.fill(model, from, to, mass);
                }
                assertEquals(modelMin(model), trees.minMass(), "fanout=" + fanout + " op=" + op);
                if (0 == op % 1000)
                {
                    assertNull(trees.checkConsistency(), "fanout=" + fanout + " op=" + op);
                }
            }
            assertNull(trees.checkConsistency(), "fanout=" + fanout);
            trees.rebuild();
            assertNull(trees.checkConsistency(), "rebuild, fanout=" + fanout);
            assertEquals(modelMin(model), trees.minMass());
        }
    }

    @Test
    void shouldKeepEveryNodeExactUnderBatchUpdatesOfALargeTree()
    {
        // 150,000 leaves: large enough for the touch loop (2^17 leaves or more) and for a level without the bitset
        // (18,750 nodes), beside the levels with one. Batches ascending (as a stratified sample gives) and unordered.
        for (final int fanout : new int[]{8, 32})
        {
            final int capacity = 150_000;
            final PriorityTrees trees = trees(capacity, fanout);
            final double[] model = new double[capacity];
            Arrays.fill(model, Double.NaN);
            final SplittableRandom rng = new SplittableRandom(31L * fanout);
            final int[] leaves = new int[256];
            final double[] masses = new double[256];
            for (int batch = 0; batch < 400; batch++)
            {
                final boolean ascending = 0 == batch % 2;
                for (int i = 0; i < leaves.length; i++)
                {
                    leaves[i] = ascending ? (int)((i + rng.nextDouble()) * capacity / leaves.length) :
                        rng.nextInt(capacity);
                    masses[i] = mass(rng);
                    model[leaves[i]] = masses[i];
                }
                trees.setAll(leaves, masses, leaves.length);
                assertEquals(modelMin(model), trees.minMass(), "fanout=" + fanout + " batch=" + batch);
            }
            assertNull(trees.checkConsistency(), "fanout=" + fanout);
            for (int leaf = 0; leaf < capacity; leaf++)
            {
                assertEquals(Double.isNaN(model[leaf]) ? 0.0 : model[leaf], trees.leaf(leaf), "leaf " + leaf);
            }
            // Non-negative terms summed left to right in groups of the fan-out, depth times: each level adds at most
            // (fanout - 1) roundings of relative size u = 2^-53 to the total.
            final double u = Math.ulp(1.0) / 2;
            assertEquals(trees.exactLeafSum(), trees.total(), trees.depth() * (fanout - 1) * u * trees.total());
        }
    }

    @Test
    void shouldDescendThroughThePrefixesLikeALinearScanAndReportABadPrefix()
    {
        // Small integer masses (a quarter of them zero): every sum and prefix is exact, so the descent must agree
        // with a linear scan over the leaves at every integer target and just below each.
        final int capacity = 4_099;
        final PriorityTrees trees = trees(capacity, 8);
        assertEquals(5, trees.depth(), "four internal levels with prefixes");
        final SplittableRandom rng = new SplittableRandom(3);
        final double[] masses = new double[capacity];
        final int[] leaves = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            leaves[i] = i;
            masses[i] = rng.nextInt(4) == 0 ? 0.0 : 1 + rng.nextInt(3);
        }
        masses[capacity - 1] = 2.0;
        trees.setAll(leaves, masses.clone(), capacity);
        assertNull(trees.checkConsistency());
        final int n = 2 * (int)trees.total();
        final double[] targets = new double[n];
        for (int t = 0; t < n / 2; t++)
        {
            targets[2 * t] = t;
            targets[2 * t + 1] = Math.nextDown(t + 1.0);
        }
        final double[] original = targets.clone();
        final int[] leaf = new int[n];
        final double[] mass = new double[n];
        trees.descend(targets, n, leaf, mass);
        for (int i = 0; i < n; i++)
        {
            double prefix = 0.0;
            int expected = 0;
            while (!(original[i] < prefix + masses[expected]))
            {
                prefix += masses[expected++];
            }
            assertEquals(expected, leaf[i], "target " + original[i]);
            assertEquals(masses[expected], mass[i], 0.0);
        }

        // Level 2 has 9 nodes (and 7 of padding): a wrong prefix of a node, and a padding prefix that lost its
        // NaN mark, are both reported.
        final MemorySegment region = treesSegment;
        for (final int node : new int[] {5, 13})
        {
            final long at = trees.prefixLevelOffset(2) + 8L * node;
            final double good = region.get(RecordDescriptor.DOUBLE, at);
            assertEquals(node >= 9, Double.isNaN(good), "node " + node);
            region.set(RecordDescriptor.DOUBLE, at, node >= 9 ? 0.0 : good + 1.0);
            final String report = trees.checkConsistency();
            assertNotNull(report);
            assertTrue(report.startsWith("prefix level=2 node=" + node), report);
            region.set(RecordDescriptor.DOUBLE, at, good);
            assertNull(trees.checkConsistency());
        }
    }

    /** Masses from a few repeated values (ties for the minimum) and a continuous range, and zero. */
    private static double mass(final SplittableRandom rng)
    {
        return switch (rng.nextInt(4))
        {
            case 0 -> 0.5 * rng.nextInt(4);
            case 1 -> Math.pow(10, rng.nextDouble(-6, 3));
            default -> rng.nextDouble();
        };
    }
}
