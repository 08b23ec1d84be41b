package dev.rewind.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static dev.rewind.kernels.Fixtures.SCALAR;
import static dev.rewind.kernels.Fixtures.VECTOR;
import static dev.rewind.kernels.ScalarKernels.LE_DOUBLE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Kernels#childIndex} and {@link Kernels#descend} on adversarial nodes and random trees, for both kernels.
 * Trees with integer masses have exact prefix sums in any order, so there the two kernels and a linear scan over
 * the leaves must agree exactly, boundaries included.
 */
class TreeSearchTest
{
    static Stream<Arguments> kernelsAndFanouts()
    {
        final List<Arguments> arguments = new ArrayList<>();
        for (final Kernels kernels : new Kernels[] {SCALAR, VECTOR})
        {
            for (final int fanout : new int[] {2, 4, 8, 16, 32, 64})
            {
                arguments.add(Arguments.of(kernels, fanout));
            }
        }
        return arguments.stream();
    }

    /** A wide tree over given leaves, built the engine's way (each node the left-to-right sum of its children). */
    static final class Tree implements AutoCloseable
    {
        final Arena arena = Arena.ofConfined();
        final MemorySegment segment;
        final long[] levelOffsets;
        /** Each internal level's running sums per node's children (the engine's prefix layout). */
        final long[] prefixOffsets;
        final double root;

        Tree(final double[] leaves, final int fanout)
        {
            final List<double[]> levels = new ArrayList<>();
            final List<Integer> used = new ArrayList<>();
            double[] level = padded(leaves, fanout);
            levels.add(level);
            used.add(leaves.length);
            while (level.length > 1)
            {
                final double[] parent = new double[Math.max(1, level.length / fanout)];
                for (int j = 0; j < parent.length; j++)
                {
                    double sum = 0.0;
                    for (int c = 0; c < fanout; c++)
                    {
                        sum += level[j * fanout + c];
                    }
                    parent[j] = sum;
                }
                used.add(parent.length);
                level = parent.length > 1 ? padded(parent, fanout) : parent;
                levels.add(level);
            }
            final int depth = levels.size() - 1;
            levelOffsets = new long[depth + 1];
            prefixOffsets = new long[depth + 1];
            long offset = 8; // not at the segment's first byte
            for (int l = 0; l <= depth; l++)
            {
                levelOffsets[l] = offset;
                offset += 8L * levels.get(depth - l).length + 64;
            }
            for (int l = 1; l < depth; l++)
            {
                prefixOffsets[l] = offset;
                offset += 8L * levels.get(depth - l).length + 64;
            }
            segment = arena.allocate(offset, 8);
            for (int l = 0; l <= depth; l++)
            {
                final double[] values = levels.get(depth - l);
                for (int j = 0; j < values.length; j++)
                {
                    segment.set(LE_DOUBLE, levelOffsets[l] + 8L * j, values[j]);
                }
            }
            for (int l = 1; l < depth; l++)
            {
                final double[] values = levels.get(depth - l);
                final int existing = used.get(depth - l);
                double running = 0.0;
                for (int j = 0; j < values.length; j++)
                {
                    running = (j % fanout == 0 ? 0.0 : running) + values[j];
                    // Padding nodes are marked NaN, as the engine does.
                    segment.set(LE_DOUBLE, prefixOffsets[l] + 8L * j,
                        j < existing ? running : Double.NaN);
                }
            }
            root = levels.get(depth)[0];
        }

        /** Descends by {@link Kernels#descend}, or by {@link Kernels#descendWithPrefixes} when asked. */
        void descend(
            final Kernels kernels, final boolean prefixed, final int fanout, final double[] targets, final int n,
            final int[] leaf, final double[] mass)
        {
            if (prefixed)
            {
                kernels.descendWithPrefixes(segment, levelOffsets, prefixOffsets, fanout, targets, n, leaf, mass);
            }
            else
            {
                kernels.descend(segment, levelOffsets, fanout, targets, n, leaf, mass);
            }
        }

        private static double[] padded(final double[] values, final int fanout)
        {
            final int n = (values.length + fanout - 1) / fanout * fanout;
            final double[] result = new double[n];
            System.arraycopy(values, 0, result, 0, values.length);
            return result;
        }

        @Override
        public void close()
        {
            arena.close();
        }
    }

    private static MemorySegment node(final Arena arena, final double... masses)
    {
        return Fixtures.segmentOf(arena, masses);
    }

    @ParameterizedTest
    @MethodSource("kernelsAndFanouts")
    void shouldSkipZeroMassChildrenAtEveryTarget(final Kernels kernels, final int fanout)
    {
        try (Arena arena = Arena.ofConfined())
        {
            // Only child 1 and the last child have mass; everything else (including child 0) is zero.
            final double[] masses = new double[fanout];
            masses[1] = 1.0;
            masses[fanout - 1] = 2.0;
            final MemorySegment segment = node(arena, masses);
            assertEquals(1, kernels.childIndex(segment, 0, fanout, 0.0));
            assertEquals(1, kernels.childIndex(segment, 0, fanout, 0.999));
            final int second = 1 == fanout - 1 ? 1 : fanout - 1;
            assertEquals(second, kernels.childIndex(segment, 0, fanout, 1.0), "boundary goes right");
            assertEquals(second, kernels.childIndex(segment, 0, fanout, 2.5));
            // Overflow: target >= total picks the last positive child.
            assertEquals(second, kernels.childIndex(segment, 0, fanout, 3.0));
            assertEquals(second, kernels.childIndex(segment, 0, fanout, 1e300));
        }
    }

    @ParameterizedTest
    @MethodSource("kernelsAndFanouts")
    void shouldPickLastPositiveChildOnOverflowWithTrailingZeros(final Kernels kernels, final int fanout)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final double[] masses = new double[fanout];
            masses[0] = 0.5;
            masses[fanout / 2 - 1 + (fanout > 2 ? 0 : 1)] += 0.25;
            final MemorySegment segment = node(arena, masses);
            int lastPositive = 0;
            for (int c = 0; c < fanout; c++)
            {
                if (masses[c] > 0)
                {
                    lastPositive = c;
                }
            }
            final double total = masses[0] + (lastPositive > 0 ? masses[lastPositive] : 0.0);
            assertEquals(lastPositive, kernels.childIndex(segment, 0, fanout, total));
            assertEquals(lastPositive, kernels.childIndex(segment, 0, fanout, Math.nextUp(total)));
        }
    }

    @ParameterizedTest
    @MethodSource("kernelsAndFanouts")
    void shouldReturnLastChildWhenAllMassesAreZero(final Kernels kernels, final int fanout)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment segment = node(arena, new double[fanout]);
            assertEquals(fanout - 1, kernels.childIndex(segment, 0, fanout, 0.0));
        }
    }

    @ParameterizedTest
    @MethodSource("kernelsAndFanouts")
    void shouldResolveExactBoundariesOfIntegerMasses(final Kernels kernels, final int fanout)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final SplittableRandom random = new SplittableRandom(fanout);
            for (int trial = 0; trial < 50; trial++)
            {
                final double[] masses = new double[fanout];
                for (int c = 0; c < fanout; c++)
                {
                    masses[c] = random.nextInt(4); // zeros are common
                }
                final MemorySegment segment = node(arena, masses);
                double prefix = 0.0;
                for (int c = 0; c < fanout; c++)
                {
                    if (masses[c] > 0)
                    {
                        // At the exact start of a positive child's interval, and just inside its end.
                        assertEquals(c, kernels.childIndex(segment, 0, fanout, prefix), "start of " + c);
                        assertEquals(c, kernels.childIndex(segment, 0, fanout,
                            Math.nextDown(prefix + masses[c])), "end of " + c);
                    }
                    prefix += masses[c];
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernelsAndFanouts")
    void shouldNeverPickATinyMassChildThatCannotMoveThePrefix(final Kernels kernels, final int fanout)
    {
        try (Arena arena = Arena.ofConfined())
        {
            // 1e-300 next to 1.0 cannot change the prefix sum: no target below the total reaches it; only the
            // overflow rule (target >= total) picks it, as the last child with positive mass.
            final double[] masses = new double[fanout];
            masses[0] = 1.0;
            masses[1] = 1e-300;
            final MemorySegment segment = node(arena, masses);
            assertEquals(0, kernels.childIndex(segment, 0, fanout, 0.9999999999999999));
            assertEquals(0, kernels.childIndex(segment, 0, fanout, 0.5));
            assertEquals(1, kernels.childIndex(segment, 0, fanout, 1.0), "overflow picks the last positive child");
            // Alone, a tiny mass is reachable.
            final double[] alone = new double[fanout];
            alone[fanout - 1] = Double.MIN_VALUE;
            assertEquals(fanout - 1, kernels.childIndex(node(arena, alone), 0, fanout, 0.0));
        }
    }

    @ParameterizedTest
    @MethodSource("kernelsAndFanouts")
    void shouldDescendIntegerTreesLikeALinearScanOverTheLeaves(final Kernels kernels, final int fanout)
    {
        final SplittableRandom random = new SplittableRandom(31L * fanout);
        for (final int leaves : new int[] {1, 7, 13, 255, 1023, 4099})
        {
            final double[] masses = new double[leaves];
            for (int i = 0; i < leaves; i++)
            {
                masses[i] = random.nextInt(5) == 0 ? 0.0 : 1 + random.nextInt(8);
            }
            masses[leaves - 1] = 3.0;
            try (Tree tree = new Tree(masses, fanout))
            {
                // Every integer target (the exact left boundaries) plus the point just below each right boundary.
                final List<Double> targetList = new ArrayList<>();
                for (double t = 0; t < tree.root; t += 1.0)
                {
                    targetList.add(t);
                    targetList.add(Math.nextDown(t + 1.0));
                }
                final int n = targetList.size();
                final double[] targets = new double[n];
                for (int i = 0; i < n; i++)
                {
                    targets[i] = targetList.get(i);
                }
                final double[] original = targets.clone();
                for (final boolean prefixed : new boolean[] {false, true})
                {
                    final double[] scratch = original.clone();
                    final int[] leaf = new int[n];
                    final double[] mass = new double[n];
                    tree.descend(kernels, prefixed, fanout, scratch, n, leaf, mass);
                    for (int i = 0; i < n; i++)
                    {
                        final int expected = linearScan(masses, original[i]);
                        final String what = "target " + original[i] + " leaves " + leaves + " prefixed " + prefixed;
                        assertEquals(expected, leaf[i], what);
                        assertEquals(masses[expected], mass[i], 0.0);
                        assertTrue(scratch[i] >= 0.0, "remainders are never negative");
                    }
                }
            }
        }
    }

    private static int linearScan(final double[] masses, final double target)
    {
        double prefix = 0.0;
        int lastPositive = 0;
        for (int i = 0; i < masses.length; i++)
        {
            prefix += masses[i];
            if (masses[i] > 0)
            {
                lastPositive = i;
                if (target < prefix)
                {
                    return i;
                }
            }
        }
        return lastPositive;
    }

    @ParameterizedTest
    @MethodSource("kernelsAndFanouts")
    void shouldDescendLikeRepeatedChildIndexOnRandomTrees(final Kernels kernels, final int fanout)
    {
        // The straightforward reference: one target at a time, childIndex at each level, remainder subtracted.
        final SplittableRandom random = new SplittableRandom(fanout);
        for (final int leaves : new int[] {1, 7, 13, 255, 1023, 4099})
        {
            final double[] masses = new double[leaves];
            for (int i = 0; i < leaves; i++)
            {
                masses[i] = random.nextInt(7) == 0 ? 0.0 : Math.pow(random.nextDouble(), 3) * 10.0;
            }
            masses[0] = 1e-12;
            try (Tree tree = new Tree(masses, fanout))
            {
                final int n = 500;
                final double[] targets = new double[n];
                for (int i = 0; i < n; i++)
                {
                    targets[i] = random.nextDouble() * tree.root;
                }
                targets[0] = 0.0;
                targets[1] = Math.nextDown(tree.root);
                final double[] original = targets.clone();
                for (final boolean prefixed : new boolean[] {false, true})
                {
                    final int[] leaf = new int[n];
                    final double[] mass = new double[n];
                    tree.descend(kernels, prefixed, fanout, original.clone(), n, leaf, mass);
                    for (int i = 0; i < n; i++)
                    {
                        final int expected = referenceDescend(kernels, tree, fanout, original[i]);
                        assertEquals(expected, leaf[i], "target " + original[i] + " prefixed " + prefixed);
                        assertTrue(mass[i] > 0.0, "a zero-mass leaf was chosen");
                        assertEquals(masses[leaf[i]], mass[i], 0.0);
                    }
                }
            }
        }
    }

    private static int referenceDescend(final Kernels kernels, final Tree tree, final int fanout, final double start)
    {
        double target = start;
        int node = 0;
        for (int level = 1; level < tree.levelOffsets.length; level++)
        {
            final long offset = tree.levelOffsets[level] + 8L * node * fanout;
            final int c = kernels.childIndex(tree.segment, offset, fanout, target);
            double before = 0.0;
            for (int k = 0; k < c; k++)
            {
                before += tree.segment.get(LE_DOUBLE, offset + 8L * k);
            }
            target = Math.max(target - before, 0.0);
            node = node * fanout + c;
        }
        return node;
    }

    @ParameterizedTest
    @MethodSource("kernelsAndFanouts")
    void shouldAgreeBetweenScalarAndVectorOnRandomTreesExceptAtRoundingBoundaries(
        final Kernels ignored, final int fanout)
    {
        final SplittableRandom random = new SplittableRandom(7L * fanout);
        final double[] masses = new double[4099];
        for (int i = 0; i < masses.length; i++)
        {
            masses[i] = random.nextInt(9) == 0 ? 0.0 : random.nextDouble();
        }
        try (Tree tree = new Tree(masses, fanout))
        {
            final int n = 2000;
            final double[] targets = new double[n];
            for (int i = 0; i < n; i++)
            {
                targets[i] = random.nextDouble() * tree.root;
            }
            final double[] targetsVector = targets.clone();
            final int[] leafScalar = new int[n];
            final int[] leafVector = new int[n];
            SCALAR.descend(tree.segment, tree.levelOffsets, fanout, targets.clone(), n, leafScalar, new double[n]);
            VECTOR.descend(tree.segment, tree.levelOffsets, fanout, targetsVector, n, leafVector, new double[n]);
            // The stored prefixes are the scalar rule's own running sums: the scalar descent through them is the
            // same, leaf for leaf and remainder for remainder.
            final double[] remainderScalar = targets.clone();
            final double[] remainderPrefixed = targets.clone();
            final int[] leafPrefixed = new int[n];
            SCALAR.descend(tree.segment, tree.levelOffsets, fanout, remainderScalar, n, new int[n], new double[n]);
            SCALAR.descendWithPrefixes(tree.segment, tree.levelOffsets, tree.prefixOffsets, fanout,
                remainderPrefixed, n, leafPrefixed, new double[n]);
            assertArrayEquals(leafScalar, leafPrefixed);
            assertArrayEquals(remainderScalar, remainderPrefixed);
            // The vector descent through prefixes scans only the leaf level, so it may differ only there.
            final int[] leafVectorPrefixed = new int[n];
            VECTOR.descendWithPrefixes(tree.segment, tree.levelOffsets, tree.prefixOffsets, fanout, targets.clone(),
                n, leafVectorPrefixed, new double[n]);
            for (int i = 0; i < n; i++)
            {
                if (leafScalar[i] != leafVectorPrefixed[i])
                {
                    assertEquals(leafScalar[i] / fanout, leafVectorPrefixed[i] / fanout,
                        "the prefixed vector descent left the scalar one above the leaf level: target " + targets[i]);
                    final double boundary = leafStart(masses, Math.max(leafScalar[i], leafVectorPrefixed[i]));
                    final double slack = 2.0 * Fixtures.gamma(64, Fixtures.U_DOUBLE) * tree.root *
                        tree.levelOffsets.length;
                    assertTrue(Math.abs(targets[i] - boundary) <= slack,
                        "prefixed leaves differ away from a boundary: target " + targets[i]);
                }
            }
            for (int i = 0; i < n; i++)
            {
                if (leafScalar[i] != leafVector[i])
                {
                    // Allowed only when the target lies within rounding of a leaf boundary: the prefix sums of one
                    // node (at most 64 terms) differ by at most 2 gamma_64 of the node mass per level.
                    final double boundary = leafStart(masses, Math.max(leafScalar[i], leafVector[i]));
                    final double slack = 2.0 * Fixtures.gamma(64, Fixtures.U_DOUBLE) * tree.root *
                        tree.levelOffsets.length;
                    assertTrue(Math.abs(targets[i] - boundary) <= slack,
                        "leaves differ away from a boundary: target " + targets[i]);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernelsAndFanouts")
    void shouldNeverStepOntoPaddingThroughPrefixesSeenHalfRewritten(final Kernels kernels, final int fanout)
    {
        // A reader racing the writer may see a node's prefixes half rewritten: some new, some old, not rising. On
        // the level under the root only the first nodes exist (4,099 leaves); whatever a torn read shows, every
        // step must stay on existing nodes, and so the leaf on the leaf level, with no read outside the tree.
        final SplittableRandom random = new SplittableRandom(17L * fanout);
        final double[] masses = new double[4099];
        for (int i = 0; i < masses.length; i++)
        {
            masses[i] = random.nextDouble();
        }
        try (Tree tree = new Tree(masses, fanout))
        {
            final int depth = tree.levelOffsets.length - 1;
            if (depth < 2)
            {
                return; // no internal level below the root: nothing read through prefixes
            }
            final int n = 1000;
            for (int trial = 0; trial < 50; trial++)
            {
                for (int l = 1; l < depth; l++)
                {
                    // Scramble the existing prefixes of the first group of each internal level, not rising.
                    for (int c = 0; c < fanout; c++)
                    {
                        final long at = tree.prefixOffsets[l] + 8L * c;
                        if (!Double.isNaN(tree.segment.get(LE_DOUBLE, at)))
                        {
                            tree.segment.set(LE_DOUBLE, at, random.nextDouble() * tree.root);
                        }
                    }
                }
                final double[] targets = new double[n];
                for (int i = 0; i < n; i++)
                {
                    targets[i] = random.nextDouble() * tree.root;
                }
                final int[] leaf = new int[n];
                tree.descend(kernels, true, fanout, targets, n, leaf, new double[n]);
                final int leafSlots = (masses.length + fanout - 1) / fanout * fanout;
                for (int i = 0; i < n; i++)
                {
                    assertTrue(leaf[i] >= 0 && leaf[i] < leafSlots, "leaf " + leaf[i] + " outside the tree");
                }
            }
        }
    }

    private static double leafStart(final double[] masses, final int leaf)
    {
        double prefix = 0.0;
        for (int i = 0; i < leaf; i++)
        {
            prefix += masses[i];
        }
        return prefix;
    }

    @Test
    void shouldGiveLeafZeroForADepthZeroTree()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment segment = node(arena, 2.5);
            for (final Kernels kernels : new Kernels[] {SCALAR, VECTOR})
            {
                final int[] leaf = {9, 9};
                final double[] mass = new double[2];
                kernels.descend(segment, new long[] {0}, 8, new double[] {0.0, 2.0}, 2, leaf, mass);
                assertEquals(0, leaf[0]);
                assertEquals(0, leaf[1]);
                assertEquals(2.5, mass[1], 0.0);
            }
        }
    }
}
