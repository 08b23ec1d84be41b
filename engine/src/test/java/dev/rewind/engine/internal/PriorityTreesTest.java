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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The trees against a plain model in units: each mass rounds to the nearest unit of {@code 2^-exponent} (at least
 * one for a positive mass), a rescale shifts every leaf as {@link PriorityTrees#shiftRounded} says, and after every
 * operation the total is the exact sum of the model, the min root the minimum over the leaves set so far, and every
 * stored node the recomputation from its children.
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
        return trees(capacity, fanout, Kernels.best());
    }

    private PriorityTrees trees(final int capacity, final int fanout, final Kernels kernels)
    {
        final MemorySegment segment = arena.allocate(PriorityTrees.regionLength(capacity, fanout), 64);
        treesSegment = segment;
        final PriorityTrees trees = new PriorityTrees(segment, 0, capacity, fanout, kernels);
        trees.clear();
        return trees;
    }

    /**
     * The model: each leaf's units, -1 while unset; follows the trees' exponent through rescales.
     */
    private static final class Model
    {
        final long[] units;
        long exponent = PriorityTrees.NO_EXPONENT;

        Model(final int capacity)
        {
            units = new long[capacity];
            Arrays.fill(units, -1);
        }

        /** Catches up with a rescale, then records a mass as the trees must store it. */
        void set(final PriorityTrees trees, final int leaf, final double mass)
        {
            follow(trees);
            final long rounded = Math.round(Math.scalb(mass, (int)exponent));
            units[leaf] = 0 == rounded && mass > 0 ? 1 : rounded;
        }

        void follow(final PriorityTrees trees)
        {
            final long now = trees.exponent();
            if (PriorityTrees.NO_EXPONENT != exponent && now != exponent)
            {
                for (int j = 0; j < units.length; j++)
                {
                    units[j] = units[j] < 0 ? -1 : PriorityTrees.shiftRounded(units[j], exponent - now);
                }
            }
            exponent = now;
        }

        long total()
        {
            long total = 0;
            for (final long u : units)
            {
                total += Math.max(u, 0);
            }
            return total;
        }

        long min()
        {
            long min = Long.MAX_VALUE;
            for (final long u : units)
            {
                if (u >= 0)
                {
                    min = Math.min(min, u);
                }
            }
            return min;
        }

        void assertMatches(final PriorityTrees trees, final String what)
        {
            follow(trees);
            assertEquals(total(), trees.totalUnits(), "total, " + what);
            assertEquals(min(), trees.minUnits(), "min, " + what);
        }
    }

    /**
     * Sets the masses of a batch in the trees (the exponent chosen or rescaled first, for the largest) and in the
     * model.
     */
    private static void setAll(
        final PriorityTrees trees, final Model model, final int[] leaves, final double[] masses, final int n)
    {
        trees.setAll(leaves, masses, n);
        model.follow(trees);
        for (int i = 0; i < n; i++)
        {
            model.set(trees, leaves[i], masses[i]);
        }
    }

    @Test
    void shouldCountOnlySetLeavesInTheMinimum()
    {
        final PriorityTrees trees = trees(37, 4);
        assertEquals(Double.POSITIVE_INFINITY, trees.minMass());
        assertEquals(0.0, trees.total());
        assertEquals(0.0, trees.leaf(5));
        trees.setRange(0, 3, 2.5);
        assertEquals(2.5, trees.minMass(), "unset leaves are not minima");
        assertEquals(7.5, trees.total());
        trees.set(3, 0.75);
        assertEquals(0.75, trees.minMass());
        trees.set(3, 3.0);
        assertEquals(2.5, trees.minMass(), "the old minimum replaced by a larger mass");
        trees.set(1, 0.0);
        assertEquals(0.0, trees.minMass(), "a zero mass counts");
        assertEquals(8.0, trees.total());
        assertNull(trees.checkConsistency());
    }

    @Test
    void shouldRefuseAFirstSetBeyondTheSetLeavesAndChangeNothing()
    {
        final PriorityTrees trees = trees(37, 4);
        trees.setRange(0, 3, 2.5);
        final IllegalArgumentException single = assertThrows(IllegalArgumentException.class, () -> trees.set(5, 1.0));
        assertTrue(single.getMessage().contains("leaves[0]=5 filled=3"), single.getMessage());
        final IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
            () -> trees.setAll(new int[] {1, 3, 5}, new double[] {9.0, 9.0, 9.0}, 3));
        assertTrue(batch.getMessage().contains("leaves[2]=5 filled=4"), batch.getMessage());
        final IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
            () -> trees.setRange(4, 6, 1.0));
        assertTrue(range.getMessage().contains("from=4 to=6 filled=3"), range.getMessage());
        assertEquals(7.5, trees.total(), "nothing applied");
        assertEquals(2.5, trees.leaf(1));
        assertEquals(0.0, trees.leaf(3));
        assertNull(trees.checkConsistency());
        trees.setAll(new int[] {3, 4, 2}, new double[] {1.0, 1.0, 1.0}, 3);
        assertEquals(8.0, trees.total(), "leaves at the mark, in order, are fine");
    }

    @Test
    void shouldKeepEveryNodeExactUnderRandomOperations()
    {
        for (final int fanout : new int[] {2, 4, 8, 16})
        {
            for (final Kernels kernels : new Kernels[] {Kernels.scalar(), Kernels.best()})
            {
                final int capacity = 1_013;
                final PriorityTrees trees = trees(capacity, fanout, kernels);
                final Model model = new Model(capacity);
                final SplittableRandom rng = new SplittableRandom(fanout);
                // The ring fills in order: a first pass sets every leaf, in runs.
                for (int from = 0; from < capacity; from += 100)
                {
                    final double mass = mass(rng);
                    trees.setRange(from, Math.min(capacity, from + 100), mass);
                    for (int j = from; j < Math.min(capacity, from + 100); j++)
                    {
                        model.set(trees, j, mass);
                    }
                }
                model.assertMatches(trees, "filled");
                final int[] leaves = new int[64];
                final double[] masses = new double[64];
                for (int op = 0; op < 10_000; op++)
                {
                    final int kind = rng.nextInt(3);
                    if (0 == kind)
                    {
                        leaves[0] = rng.nextInt(capacity);
                        masses[0] = mass(rng);
                        trees.set(leaves[0], masses[0]);
                        model.set(trees, leaves[0], masses[0]);
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
                        }
                        setAll(trees, model, leaves, masses, n);
                    }
                    else
                    {
                        final int from = rng.nextInt(capacity);
                        final int to = Math.min(capacity, from + rng.nextInt(50));
                        final double mass = mass(rng);
                        trees.setRange(from, to, mass);
                        for (int j = from; j < to; j++)
                        {
                            model.set(trees, j, mass);
                        }
                    }
                    final String what = "fanout=" + fanout + " " + kernels + " op=" + op;
                    model.assertMatches(trees, what);
                    if (0 == op % 1000)
                    {
                        assertNull(trees.checkConsistency(), what);
                    }
                }
                assertNull(trees.checkConsistency(), "fanout=" + fanout);
                for (int j = 0; j < capacity; j++)
                {
                    assertEquals(model.units[j], trees.leafUnits(j), "leaf " + j);
                }
                trees.rebuild();
                assertNull(trees.checkConsistency(), "rebuild, fanout=" + fanout);
                model.assertMatches(trees, "rebuild");
            }
        }
    }

    @Test
    void shouldKeepEveryNodeExactUnderBatchUpdatesOfALargeTree()
    {
        // 150,000 leaves: large enough for the touch loop (2^17 leaves or more) and for levels without the bitset
        // (18,750 nodes at fan-out 8), beside the levels with one. Batches ascending (as a stratified sample gives)
        // and unordered, which merge through the bitset at the first small level.
        for (final int fanout : new int[] {8, 32})
        {
            final int capacity = 150_000;
            final PriorityTrees trees = trees(capacity, fanout);
            final Model model = new Model(capacity);
            trees.setRange(0, capacity, 1.0);
            for (int j = 0; j < capacity; j++)
            {
                model.set(trees, j, 1.0);
            }
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
                }
                setAll(trees, model, leaves, masses, leaves.length);
                model.assertMatches(trees, "fanout=" + fanout + " batch=" + batch);
            }
            assertNull(trees.checkConsistency(), "fanout=" + fanout);
            for (int leaf = 0; leaf < capacity; leaf++)
            {
                assertEquals(model.units[leaf], trees.leafUnits(leaf), "leaf " + leaf);
            }
            assertEquals(trees.leafSumUnits(), trees.totalUnits(), "integer sums are exact");
        }
    }

    @Test
    void shouldHoldEachMassToHalfAUnitAndRescaleWhenAMassOutgrowsTheLimit()
    {
        final int capacity = 1 << 20;
        final PriorityTrees trees = trees(capacity, 8);
        assertEquals(1L << 42, trees.leafLimit(), "62 bits less 20 for 2^20 leaves");
        trees.setRange(0, 1000, 0.75);
        // The first mass falls in [2^37, 2^38) units: 0.75 * 2^38.
        assertEquals(38, trees.exponent());
        assertEquals(0.75, trees.leaf(7), "a dyadic mass is held exactly");
        final SplittableRandom rng = new SplittableRandom(5);
        final int[] leaves = new int[1000];
        final double[] masses = new double[1000];
        for (int i = 0; i < 1000; i++)
        {
            leaves[i] = i;
            masses[i] = rng.nextDouble() * 10;
        }
        trees.setAll(leaves, masses, 1000);
        assertEquals(38, trees.exponent(), "10 < 16 x 0.75: within the headroom");
        for (int i = 0; i < 1000; i++)
        {
            assertEquals(masses[i], trees.leaf(i), Math.scalb(0.5, -38), "within half a unit");
        }
        final Model model = new Model(capacity);
        for (int i = 0; i < 1000; i++)
        {
            model.set(trees, i, masses[i]);
        }
        // 40 x 2^38 units is beyond the limit of 2^42, so every leaf moves to exponent 32 (40 x 2^32 in
        // [2^37, 2^38)).
        trees.set(1000, 40.0);
        assertEquals(32, trees.exponent());
        model.set(trees, 1000, 40.0);
        for (int i = 0; i <= 1000; i++)
        {
            assertEquals(model.units[i], trees.leafUnits(i), "leaf " + i);
        }
        assertEquals(40.0, trees.leaf(1000));
        assertEquals(masses[3], trees.leaf(3), Math.scalb(1.0, -32), "within a unit after the rescale");
        model.assertMatches(trees, "after the rescale");
        assertNull(trees.checkConsistency());
        // Extremes: a huge mass and a tiny one keep their order and a tiny one keeps one unit.
        trees.set(1001, 1e300);
        trees.set(1002, 1e-300);
        assertEquals(1e300, trees.leaf(1001), 1e300 * 1e-12);
        assertEquals(1L, trees.leafUnits(1002), "a positive mass keeps one unit");
        assertTrue(trees.leafUnits(1001) < trees.leafLimit());
        assertNull(trees.checkConsistency());
    }

    @Test
    void shouldFinishARescaleThatACrashCutShort()
    {
        final int capacity = 5_000;
        final PriorityTrees trees = trees(capacity, 8);
        final SplittableRandom rng = new SplittableRandom(7);
        final double[] masses = new double[capacity];
        final int[] leaves = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            leaves[i] = i;
            masses[i] = 0.5 + rng.nextDouble();
        }
        trees.setAll(leaves, masses, capacity);
        final long exponent = trees.exponent();
        final long[] before = new long[capacity];
        for (int i = 0; i < capacity; i++)
        {
            before[i] = trees.leafUnits(i);
        }
        final MemorySegment region = treesSegment;
        final byte[] state = region.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        final long leafBase = trees.levelOffset(trees.depth());
        // The states a crash leaves in the middle of a rescale by 2^-7 (target written, the first 1,234 leaves
        // converted, the progress mark at 1,234, the levels above stale), as the header records leaf 1,234: not yet
        // recorded; recorded, not converted; recorded and converted (the crash came before the progress mark).
        for (final int stage : new int[] {0, 1, 2})
        {
            region.copyFrom(MemorySegment.ofArray(state));
            region.set(RecordDescriptor.LONG, PriorityTrees.RESCALE_TARGET_OFFSET, exponent - 7);
            region.set(RecordDescriptor.LONG, PriorityTrees.RESCALE_PROGRESS_OFFSET, 1_234L);
            region.set(RecordDescriptor.LONG, PriorityTrees.RESCALE_SAVED_LEAF_OFFSET, stage == 0 ? 1_233L : 1_234L);
            region.set(RecordDescriptor.LONG, PriorityTrees.RESCALE_SAVED_UNITS_OFFSET,
                stage == 0 ? before[1_233] : before[1_234]);
            for (int i = 0; i < (stage == 2 ? 1_235 : 1_234); i++)
            {
                region.set(RecordDescriptor.LONG, leafBase + 8L * i, PriorityTrees.shiftRounded(before[i], 7));
            }
            final PriorityTrees reopened = new PriorityTrees(region, 0, capacity, 8, Kernels.best());
            reopened.open();
            assertEquals(exponent - 7, reopened.exponent());
            long total = 0;
            for (int i = 0; i < capacity; i++)
            {
                assertEquals(PriorityTrees.shiftRounded(before[i], 7), reopened.leafUnits(i),
                    "leaf " + i + " stage " + stage);
                total += reopened.leafUnits(i);
            }
            assertEquals(total, reopened.totalUnits());
            assertNull(reopened.checkConsistency());
            assertEquals(PriorityTrees.NO_EXPONENT,
                region.get(RecordDescriptor.LONG, PriorityTrees.RESCALE_TARGET_OFFSET),
                "the rescale is recorded as done");
        }
        // Every leaf converted and the exponent written, the mark not yet cleared: opens as it is.
        region.set(RecordDescriptor.LONG, PriorityTrees.RESCALE_TARGET_OFFSET, exponent - 7);
        final PriorityTrees again = new PriorityTrees(region, 0, capacity, 8, Kernels.best());
        again.open();
        assertEquals(exponent - 7, again.exponent());
        assertEquals(PriorityTrees.shiftRounded(before[4_999], 7), again.leafUnits(4_999));
        assertNull(again.checkConsistency());
    }

    @Test
    void shouldRefuseInfiniteNegativeOrNaNMassesAndLeavesOutsideTheTreeAndChangeNothing()
    {
        final PriorityTrees trees = trees(100, 8);
        trees.setRange(0, 50, 1.0);
        final byte[] before = treesSegment.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        final double[][] badMasses = {{1.0, Double.POSITIVE_INFINITY}, {1.0, Double.NaN}, {1.0, -0.5}};
        for (final double[] masses : badMasses)
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> trees.setAll(new int[] {3, 4}, masses, 2));
            assertTrue(ex.getMessage().contains("leaves[1]=4 masses[1]=" + masses[1]), ex.getMessage());
        }
        final IllegalArgumentException leaf = assertThrows(IllegalArgumentException.class,
            () -> trees.setAll(new int[] {3, -1}, new double[] {1.0, 1.0}, 2));
        assertTrue(leaf.getMessage().contains("leaves[1]=-1"), leaf.getMessage());
        final IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
            () -> trees.setRange(0, 10, Double.POSITIVE_INFINITY));
        assertTrue(range.getMessage().contains("mass=Infinity"), range.getMessage());
        assertTrue(java.util.Arrays.equals(before, treesSegment.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)),
            "nothing changed");
    }

    @Test
    void shouldRefuseACorruptHeaderOrLeafOnOpen()
    {
        final PriorityTrees trees = trees(100, 8);
        trees.setRange(0, 50, 1.0);
        final MemorySegment region = treesSegment;
        region.set(RecordDescriptor.LONG, PriorityTrees.FILLED_OFFSET, 101L);
        final IllegalStateException header = assertThrows(IllegalStateException.class,
            () -> new PriorityTrees(region, 0, 100, 8, Kernels.best()).open());
        assertTrue(header.getMessage().contains("filled=101"), header.getMessage());
        region.set(RecordDescriptor.LONG, PriorityTrees.FILLED_OFFSET, 50L);
        region.set(RecordDescriptor.LONG, trees.levelOffset(trees.depth()) + 8L * 60, 5L);
        final IllegalStateException leaf = assertThrows(IllegalStateException.class,
            () -> new PriorityTrees(region, 0, 100, 8, Kernels.best()).open());
        assertTrue(leaf.getMessage().contains("leaf=60 units=5 filled=50"), leaf.getMessage());
        // What a kill between raising the mark and storing the leaf leaves: a mark over a leaf of 0. It opens, the
        // leaf counting as set with mass 0.
        region.set(RecordDescriptor.LONG, trees.levelOffset(trees.depth()) + 8L * 60, 0L);
        region.set(RecordDescriptor.LONG, PriorityTrees.FILLED_OFFSET, 51L);
        final PriorityTrees reopened = new PriorityTrees(region, 0, 100, 8, Kernels.best());
        reopened.open();
        assertNull(reopened.checkConsistency());
        assertEquals(0L, reopened.minUnits());
        assertEquals(50.0, reopened.total());
    }

    @Test
    void shouldDescendLikeALinearScanAndReportABadPrefix()
    {
        // Small integer masses (a quarter of them zero), each a whole number of units: the descent must agree with a
        // linear scan over the leaves at every target.
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
        final long unitsPerMass = trees.leafUnits(capacity - 1) / 2;
        final long total = trees.totalUnits();
        // Each unit boundary of every leaf, and the units just inside them.
        final int n = 4 * capacity;
        final long[] targets = new long[n];
        int k = 0;
        long prefix = 0;
        for (int i = 0; i < capacity && k + 4 <= n; i++)
        {
            final long units = (long)masses[i] * unitsPerMass;
            if (units > 0)
            {
                targets[k++] = prefix;
                targets[k++] = prefix + 1;
                targets[k++] = prefix + units - 1;
                targets[k++] = Math.min(prefix + units / 2, total - 1);
            }
            prefix += units;
        }
        assertEquals(total, prefix);
        final long[] original = targets.clone();
        final int[] leaf = new int[k];
        final long[] mass = new long[k];
        trees.descend(targets, k, leaf, mass);
        for (int i = 0; i < k; i++)
        {
            long before = 0;
            int expected = 0;
            while (!(original[i] < before + (long)masses[expected] * unitsPerMass))
            {
                before += (long)masses[expected++] * unitsPerMass;
            }
            assertEquals(expected, leaf[i], "target " + original[i]);
            assertEquals((long)masses[expected] * unitsPerMass, mass[i]);
        }

        // Level 2 has 9 nodes (and 7 of padding): a wrong prefix of a node, and a padding prefix that lost its
        // mark, are both reported.
        final MemorySegment region = treesSegment;
        for (final int node : new int[] {5, 13})
        {
            final long at = trees.levelOffset(2) + 8L * node;
            final long good = region.get(RecordDescriptor.LONG, at);
            assertEquals(node >= 9, Long.MIN_VALUE == good, "node " + node);
            region.set(RecordDescriptor.LONG, at, node >= 9 ? 0L : good + 1);
            final String report = trees.checkConsistency();
            assertNotNull(report);
            assertTrue(report.startsWith("prefix level=2 node=" + node), report);
            region.set(RecordDescriptor.LONG, at, good);
            assertNull(trees.checkConsistency());
        }
    }

    /** Masses from a few repeated values (ties for the minimum), a range over nine decades, and zero. */
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
