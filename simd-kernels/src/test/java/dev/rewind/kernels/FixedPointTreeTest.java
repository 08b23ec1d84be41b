package dev.rewind.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import jdk.incubator.vector.LongVector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static dev.rewind.kernels.Fixtures.SCALAR;
import static dev.rewind.kernels.Fixtures.VECTOR;
import static dev.rewind.kernels.ScalarKernels.LE_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Kernels#descendFixedPoint} and {@link Kernels#addToPrefixes} on fixed-point trees, for both kernels. The
 * leaf level holds each leaf's integer mass (padding leaves 0); every internal level below the root holds the running
 * sums of each sibling group (padding {@link Long#MIN_VALUE}). Integer sums are exact in any order, so both kernels
 * must agree exactly with a linear scan over the leaves' cumulative masses, at every boundary, and with a tree rebuilt
 * from the updated masses after any list of prefix updates.
 */
class FixedPointTreeTest
{
    /** The prefix of an internal node that does not exist. */
    private static final long MISSING = Long.MIN_VALUE;

    private static final int[] FANOUTS = {2, 4, 8, 16, 32, 64};

    /** Below, at and above one group of 8 and of 64, and beyond a page of longs. */
    private static final int[] SIZES = {1, 7, 8, 9, 63, 64, 65, 1000, 4099};

    private static final Kernels[] BOTH = {SCALAR, VECTOR};

    static IntStream fanouts()
    {
        return Arrays.stream(FANOUTS);
    }

    static Stream<Arguments> fanoutsAndSizes()
    {
        final List<Arguments> arguments = new ArrayList<>();
        for (final int fanout : FANOUTS)
        {
            for (final int size : SIZES)
            {
                arguments.add(Arguments.of(fanout, size));
            }
        }
        return arguments.stream();
    }

    /**
     * Fan-outs 4 to 64 with trees of 4,099 to 300,000 leaves: at 512 bits fan-out 8, 16 and 32 are one, two and four
     * vectors of longs; the narrower runs of the tests in the build (256 and 128 bits) make fan-out 4 one vector or
     * two.
     */
    static Stream<Arguments> mergingFanoutsAndSizes()
    {
        final List<Arguments> arguments = new ArrayList<>();
        for (final int fanout : new int[] {4, 8, 16, 32, 64})
        {
            for (final int size : new int[] {4_099, 70_001, 300_000})
            {
                arguments.add(Arguments.of(fanout, size));
            }
        }
        return arguments.stream();
    }

    /** The cases whose tree has an internal level below the root (the levels {@code addToPrefixes} updates). */
    static Stream<Arguments> fanoutsAndSizesWithInternalLevels()
    {
        return fanoutsAndSizes().filter(a -> levelSlots((int)a.get()[1], (int)a.get()[0]).length > 2);
    }

    // ---------------------------------------------------------------------------------------------------------
    // The tree under test and the references
    // ---------------------------------------------------------------------------------------------------------

    /**
     * A fixed-point tree over given leaf masses, in one 64-byte aligned segment that ends exactly at the leaf
     * level's last slot (a read or write past the tree throws). Level 0 is the root (not stored), level
     * {@code depth} the leaves. Each level's slot count is a multiple of the fan-out, and each level starts on a
     * 64-byte boundary. On an internal level an existing node holds its prefix (its own and its earlier siblings'
     * masses), a padding node {@link Long#MIN_VALUE}; on the leaf level a leaf holds its mass, a padding leaf 0.
     */
    static final class FixedTree implements AutoCloseable
    {
        final Arena arena = Arena.ofConfined();
        final MemorySegment segment;
        final int fanout;
        final int depth;
        /** Slots per level, root first: the root's 1, then multiples of the fan-out. */
        final int[] slots;
        /** Existing nodes per level: the leaves given, then {@code ceil(existing below / fanout)}. */
        final int[] existing;
        /** Own masses of each level's existing nodes (level 0: the root's total). */
        final long[][] masses;
        /** Byte offset of each level; entry 0 (the root) lies outside the segment, so a read of it throws. */
        final long[] levelOffsets;
        final long total;

        FixedTree(final long[] leaves, final int fanout)
        {
            this.fanout = fanout;
            slots = levelSlots(leaves.length, fanout);
            depth = slots.length - 1;
            existing = new int[depth + 1];
            masses = new long[depth + 1][];
            existing[depth] = leaves.length;
            masses[depth] = leaves.clone();
            for (int l = depth; l > 0; l--)
            {
                existing[l - 1] = (existing[l] + fanout - 1) / fanout;
                masses[l - 1] = new long[existing[l - 1]];
                for (int j = 0; j < existing[l]; j++)
                {
                    masses[l - 1][j / fanout] += masses[l][j];
                }
            }
            assertEquals(1, existing[0], "one root");
            total = masses[0][0];
            levelOffsets = new long[depth + 1];
            levelOffsets[0] = -64;
            long offset = 64; // not at the segment's first byte
            for (int l = 1; l <= depth; l++)
            {
                offset = roundUp(offset, 64);
                levelOffsets[l] = offset;
                offset += 8L * slots[l];
            }
            segment = arena.allocate(offset, 64);
            for (int l = 1; l <= depth; l++)
            {
                final long[] values = l == depth ?
                    expectedLeaves(masses[l], slots[l]) : expectedPrefixes(masses[l], slots[l], fanout);
                for (int j = 0; j < slots[l]; j++)
                {
                    setValue(l, j, values[j]);
                }
            }
        }

        long value(final int level, final int node)
        {
            return segment.get(LE_LONG, levelOffsets[level] + 8L * node);
        }

        void setValue(final int level, final int node, final long value)
        {
            segment.set(LE_LONG, levelOffsets[level] + 8L * node, value);
        }

        /** Every slot of one level, padding included. */
        long[] values(final int level)
        {
            final long[] values = new long[slots[level]];
            for (int j = 0; j < values.length; j++)
            {
                values[j] = value(level, j);
            }
            return values;
        }

        /** A node's own mass as the tree shows it: a leaf's value, else its prefix minus its left sibling's. */
        long ownMass(final int level, final int node)
        {
            final long value = value(level, node);
            return level == depth || node % fanout == 0 ? value : value - value(level, node - 1);
        }

        byte[] snapshot()
        {
            return segment.toArray(ValueLayout.JAVA_BYTE);
        }

        void restore(final byte[] bytes)
        {
            segment.copyFrom(MemorySegment.ofArray(bytes));
        }

        @Override
        public void close()
        {
            arena.close();
        }
    }

    /** Slots per level, root first, for {@code capacity} leaves. */
    static int[] levelSlots(final int capacity, final int fanout)
    {
        final List<Integer> below = new ArrayList<>();
        int n = roundUp(capacity, fanout);
        below.add(n);
        while (n > fanout)
        {
            n = roundUp(n / fanout, fanout);
            below.add(n);
        }
        below.add(1);
        final int[] slots = new int[below.size()];
        for (int l = 0; l < slots.length; l++)
        {
            slots[l] = below.get(slots.length - 1 - l);
        }
        return slots;
    }

    /** The reference internal level: running sums within each group of siblings, then padding. */
    static long[] expectedPrefixes(final long[] ownMasses, final int slots, final int fanout)
    {
        final long[] prefixes = new long[slots];
        long running = 0;
        for (int j = 0; j < slots; j++)
        {
            if (j < ownMasses.length)
            {
                running = (j % fanout == 0 ? 0 : running) + ownMasses[j];
                prefixes[j] = running;
            }
            else
            {
                prefixes[j] = MISSING;
            }
        }
        return prefixes;
    }

    /** The reference leaf level: each leaf's mass, then padding leaves of mass 0. */
    static long[] expectedLeaves(final long[] masses, final int slots)
    {
        return Arrays.copyOf(masses, slots);
    }

    private static int roundUp(final int n, final int multiple)
    {
        return (n + multiple - 1) / multiple * multiple;
    }

    private static long roundUp(final long n, final long multiple)
    {
        return (n + multiple - 1) / multiple * multiple;
    }

    /**
     * The textbook reference: the leaf {@code i} with {@code cum[i - 1] <= t < cum[i]}, by a linear scan; a target
     * at or beyond the total gets the last leaf with positive mass (leaf 0 if none has mass).
     */
    static int linearScan(final long[] masses, final long target)
    {
        long cumulative = 0;
        int lastPositive = 0;
        for (int i = 0; i < masses.length; i++)
        {
            cumulative += masses[i];
            if (masses[i] > 0)
            {
                lastPositive = i;
                if (target < cumulative)
                {
                    return i;
                }
            }
        }
        return lastPositive;
    }

    /** Leaves and masses one kernel gave. */
    record Descent(int[] leaf, long[] mass)
    {
    }

    private static final int TAIL = 3;

    /**
     * Descends copies of the targets; the arrays are longer than {@code n}, and what lies past {@code n} must
     * survive (a negative target there would be rejected if it were read).
     */
    static Descent descend(final Kernels kernels, final FixedTree tree, final long[] targets)
    {
        final int n = targets.length;
        final long[] scratch = Arrays.copyOf(targets, n + TAIL);
        Arrays.fill(scratch, n, n + TAIL, -1L);
        final int[] leaf = new int[n + TAIL];
        final long[] mass = new long[n + TAIL];
        Arrays.fill(leaf, -7);
        Arrays.fill(mass, -7L);
        final long[] offsets = tree.levelOffsets.clone();
        kernels.descendFixedPoint(tree.segment, offsets, tree.fanout, scratch, n, leaf, mass);
        assertArrayEquals(tree.levelOffsets, offsets, "levelOffsets written");
        for (int i = n; i < n + TAIL; i++)
        {
            assertEquals(-7, leaf[i], "outLeaf written past n by " + kernels.description());
            assertEquals(-7L, mass[i], "outMass written past n by " + kernels.description());
            assertEquals(-1L, scratch[i], "targets written past n by " + kernels.description());
        }
        return new Descent(Arrays.copyOf(leaf, n), Arrays.copyOf(mass, n));
    }

    /** Random masses with runs of zeros, small, medium and large values; at least one positive. */
    static long[] randomMasses(final SplittableRandom random, final int n)
    {
        final long[] masses = new long[n];
        for (int i = 0; i < n; i++)
        {
            masses[i] = switch (random.nextInt(8))
            {
                case 0, 1 -> 0L;
                case 2 -> random.nextLong(1L << 40);
                case 3 -> 1 + random.nextLong(1_000_000L);
                default -> 1 + random.nextInt(8);
            };
        }
        if (n > 4 && random.nextBoolean())
        {
            // A run of zeros, sometimes reaching the very end (the overflow rule must step back over it).
            final int start = random.nextInt(n);
            Arrays.fill(masses, start, Math.min(n, start + 1 + random.nextInt(20)), 0L);
        }
        masses[random.nextInt(n)] = 1 + random.nextInt(100);
        return masses;
    }

    /** Every boundary {@code cum[i] - 1} and {@code cum[i]}, 0, the last unit and random targets below the total. */
    static long[] boundaryTargets(final SplittableRandom random, final long[] masses, final long total)
    {
        final List<Long> list = new ArrayList<>();
        list.add(0L);
        list.add(total - 1);
        long cumulative = 0;
        for (final long mass : masses)
        {
            cumulative += mass;
            if (cumulative > 0)
            {
                list.add(cumulative - 1);
            }
            if (cumulative < total)
            {
                list.add(cumulative);
            }
        }
        for (int i = 0; i < 300; i++)
        {
            list.add(random.nextLong(total));
        }
        return list.stream().mapToLong(Long::longValue).toArray();
    }

    // ---------------------------------------------------------------------------------------------------------
    // The helper itself, and hand-worked descents
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void shouldBuildTheDocumentedLayoutForASmallTree()
    {
        // Leaves 3 0 5 1 2 under fan-out 2: slots 6, 4, 2 and the root; existing 5, 3, 2 and the root.
        try (FixedTree tree = new FixedTree(new long[] {3, 0, 5, 1, 2}, 2))
        {
            assertArrayEquals(new int[] {1, 2, 4, 6}, tree.slots);
            assertArrayEquals(new int[] {1, 2, 3, 5}, tree.existing);
            assertArrayEquals(new long[] {9, 11}, tree.values(1));
            assertArrayEquals(new long[] {3, 9, 2, MISSING}, tree.values(2));
            assertArrayEquals(new long[] {3, 0, 5, 1, 2, 0}, tree.values(3), "leaves hold masses, padding 0");
            assertEquals(11, tree.total);
            for (int l = 1; l <= tree.depth; l++)
            {
                assertEquals(0, tree.levelOffsets[l] % 64, "level " + l + " is 64-byte aligned");
            }
            assertEquals(tree.levelOffsets[3] + 8L * 6, tree.segment.byteSize(), "the segment ends at the tree");
        }
        // The level counts: 4099 leaves under 8 take 4104, 520, 72, 16 and 8 slots.
        assertArrayEquals(new int[] {1, 8, 16, 72, 520, 4104}, levelSlots(4099, 8));
        assertArrayEquals(new int[] {1, 8}, levelSlots(1, 8));
        assertArrayEquals(new int[] {1, 8, 64}, levelSlots(64, 8));
        assertArrayEquals(new int[] {1, 8, 16, 72}, levelSlots(65, 8));
        assertArrayEquals(new int[] {1, 2}, levelSlots(2, 2));
        assertArrayEquals(new int[] {1, 2, 4}, levelSlots(3, 2));
    }

    @Test
    void shouldDescendAHandWorkedTreeToExactLeavesAndMasses()
    {
        // cum = 3 3 8 9 11: leaf 1 (mass 0) is never chosen; targets at or beyond 11 take leaf 4.
        final long[] targets = {0, 2, 3, 7, 8, 9, 10, 11, 12, Long.MAX_VALUE};
        final int[] leaves = {0, 0, 2, 2, 3, 4, 4, 4, 4, 4};
        final long[] masses = {3, 3, 5, 5, 1, 2, 2, 2, 2, 2};
        for (final int fanout : new int[] {2, 4, 8, 16})
        {
            try (FixedTree tree = new FixedTree(new long[] {3, 0, 5, 1, 2}, fanout))
            {
                for (final Kernels kernels : BOTH)
                {
                    final Descent descent = descend(kernels, tree, targets);
                    assertArrayEquals(leaves, descent.leaf(), kernels.description() + " fanout " + fanout);
                    assertArrayEquals(masses, descent.mass(), kernels.description() + " fanout " + fanout);
                }
            }
        }
    }

    @Test
    void shouldNotReadTheRootEntryOfTheLevelOffsetsNorAnythingForNoTargets()
    {
        // levelOffsets[0] lies outside the segment: a read of it would throw IndexOutOfBoundsException.
        try (FixedTree tree = new FixedTree(new long[] {1, 2, 3}, 2))
        {
            for (final Kernels kernels : BOTH)
            {
                final int[] leaf = {-7};
                final long[] mass = {-7};
                kernels.descendFixedPoint(tree.segment, tree.levelOffsets, 2, new long[] {-1}, 0, leaf, mass);
                assertEquals(-7, leaf[0]);
                assertEquals(-7L, mass[0]);
                final Descent descent = descend(kernels, tree, new long[] {0, 1, 3, 5, 6});
                assertArrayEquals(new int[] {0, 1, 2, 2, 2}, descent.leaf(), kernels.description());
                assertArrayEquals(new long[] {1, 2, 3, 3, 3}, descent.mass(), kernels.description());
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // descendFixedPoint on quiet trees
    // ---------------------------------------------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("fanoutsAndSizes")
    void shouldDescendExactlyLikeALinearScanOverTheCumulativeMasses(final int fanout, final int size)
    {
        final SplittableRandom random = new SplittableRandom(1_000L * fanout + size);
        final long[] masses = randomMasses(random, size);
        try (FixedTree tree = new FixedTree(masses, fanout))
        {
            final byte[] before = tree.snapshot();
            final long[] targets = boundaryTargets(random, masses, tree.total);
            final Descent scalar = descend(SCALAR, tree, targets);
            final Descent vector = descend(VECTOR, tree, targets);
            for (int i = 0; i < targets.length; i++)
            {
                final int expected = linearScan(masses, targets[i]);
                assertTrue(masses[expected] > 0, "the reference chose a zero-mass leaf");
                assertEquals(expected, scalar.leaf()[i], "scalar leaf for target " + targets[i]);
                assertEquals(expected, vector.leaf()[i], "vector leaf for target " + targets[i]);
                assertEquals(masses[expected], scalar.mass()[i], "scalar mass for target " + targets[i]);
                assertEquals(masses[expected], vector.mass()[i], "vector mass for target " + targets[i]);
            }
            assertArrayEquals(before, tree.snapshot(), "a descent wrote the tree");
        }
    }

    /**
     * Sorted targets (as stratified sampling draws them) take the vector kernel's merge through the top levels: it
     * must choose exactly as the level-by-level descent and the linear scan do, also with whole subtrees of zero
     * mass (empty groups at the merged level), targets repeated, and targets at or beyond the total at the end. The
     * merge runs for groups of one vector of longs or more (fan-out 8 and above on a 512-bit machine), at least 32
     * targets, depth 3 or more and at most one node of level 1 per 8 targets; wherever that holds, that it did run is
     * checked too ({@link #assertSortedTargetsSkipLevelOne}).
     */
    @ParameterizedTest
    @MethodSource("mergingFanoutsAndSizes")
    void shouldMergeSortedTargetsIntoTheTopLevelsExactlyAsTheyDescend(final int fanout, final int size)
    {
        for (final int n : new int[] {32, 256, 1024})
        {
            final SplittableRandom random = new SplittableRandom(31L * size + n + fanout);
            final long[] masses = randomMasses(random, size);
            // A stretch of zero mass wide enough to empty whole groups of the upper levels.
            final int start = random.nextInt(size / 2);
            Arrays.fill(masses, start, start + size / 5, 0L);
            try (FixedTree tree = new FixedTree(masses, fanout))
            {
                final long[] targets = new long[n];
                final double stratum = (double)tree.total / (n - 3);
                for (int i = 0; i < n - 3; i++)
                {
                    targets[i] = Math.min((long)((i + random.nextDouble()) * stratum), tree.total - 1);
                }
                targets[n / 2] = targets[n / 2 - 1];
                targets[n - 3] = tree.total - 1;
                targets[n - 2] = tree.total;
                targets[n - 1] = Long.MAX_VALUE;
                Arrays.sort(targets, 0, n - 3);
                if (LongVector.SPECIES_PREFERRED.length() <= fanout && tree.depth > 2 && tree.existing[1] * 8L <= n)
                {
                    assertSortedTargetsSkipLevelOne(tree, masses, targets);
                }
                final Descent scalar = descend(SCALAR, tree, targets);
                final Descent vector = descend(VECTOR, tree, targets);
                for (int i = 0; i < n; i++)
                {
                    final int expected = linearScan(masses, targets[i]);
                    assertEquals(expected, vector.leaf()[i], "vector leaf for target " + targets[i] + ", n=" + n);
                    assertEquals(masses[expected], vector.mass()[i], "vector mass for target " + targets[i]);
                    assertEquals(expected, scalar.leaf()[i], "scalar leaf for target " + targets[i] + ", n=" + n);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("fanoutsAndSizes")
    void shouldTakeTheLastPositiveLeafForTargetsAtOrBeyondTheTotal(final int fanout, final int size)
    {
        final SplittableRandom random = new SplittableRandom(2_000L * fanout + size);
        final long[] masses = randomMasses(random, size);
        if (size > 2)
        {
            // Trailing zero leaves: the last positive leaf is not the last leaf.
            masses[size - 1] = 0;
            masses[size - 2] = 0;
            masses[random.nextInt(size - 2)] = 1 + random.nextInt(5);
        }
        int lastPositive = 0;
        for (int i = 0; i < size; i++)
        {
            lastPositive = masses[i] > 0 ? i : lastPositive;
        }
        try (FixedTree tree = new FixedTree(masses, fanout))
        {
            final long[] targets = {tree.total, tree.total + 1, tree.total + random.nextLong(1L << 50),
                Long.MAX_VALUE - 1, Long.MAX_VALUE};
            final Descent scalar = descend(SCALAR, tree, targets);
            final Descent vector = descend(VECTOR, tree, targets);
            for (int i = 0; i < targets.length; i++)
            {
                assertEquals(lastPositive, scalar.leaf()[i], "scalar leaf for target " + targets[i]);
                assertEquals(masses[lastPositive], scalar.mass()[i], "scalar mass for target " + targets[i]);
            }
            assertArrayEquals(scalar.leaf(), vector.leaf());
            assertArrayEquals(scalar.mass(), vector.mass());
        }
    }

    @ParameterizedTest
    @MethodSource("fanoutsAndSizes")
    void shouldTakeLeafZeroWhenNoLeafHasMass(final int fanout, final int size)
    {
        try (FixedTree tree = new FixedTree(new long[size], fanout))
        {
            final long[] targets = {0, 1, 5, 1L << 40, Long.MAX_VALUE};
            for (final Kernels kernels : BOTH)
            {
                final Descent descent = descend(kernels, tree, targets);
                assertArrayEquals(new int[targets.length], descent.leaf(), kernels.description());
                assertArrayEquals(new long[targets.length], descent.mass(), kernels.description());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("fanouts")
    void shouldFindALoneMassAtEveryPositionForEveryTarget(final int fanout)
    {
        // One positive leaf, every other zero (so whole subtrees are empty): every target lands on it.
        final int size = 3 * fanout + 1;
        for (int at = 0; at < size; at++)
        {
            final long[] masses = new long[size];
            masses[at] = 5;
            try (FixedTree tree = new FixedTree(masses, fanout))
            {
                final long[] targets = {0, 1, 4, 5, 6, Long.MAX_VALUE};
                for (final Kernels kernels : BOTH)
                {
                    final Descent descent = descend(kernels, tree, targets);
                    for (int i = 0; i < targets.length; i++)
                    {
                        assertEquals(at, descent.leaf()[i], kernels.description() + " target " + targets[i]);
                        assertEquals(5L, descent.mass()[i], kernels.description() + " target " + targets[i]);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("fanouts")
    void shouldDescendExactlyWithMassesUpToTheTopOfTheLongRange(final int fanout)
    {
        // The total is exactly Long.MAX_VALUE: no sum overflows, and every comparison is still exact.
        final long big = 1L << 61;
        final long[] masses = {big, 0, big, 1, big, big - 3, 0, 1};
        try (FixedTree tree = new FixedTree(masses, fanout))
        {
            assertEquals(Long.MAX_VALUE, tree.total);
            final long[] targets = {0, big - 1, big, 2 * big - 1, 2 * big, 2 * big + 1, 3 * big + 1,
                Long.MAX_VALUE - 2, Long.MAX_VALUE - 1, Long.MAX_VALUE};
            final int[] leaves = {0, 0, 2, 2, 3, 4, 5, 5, 7, 7};
            for (int i = 0; i < targets.length; i++)
            {
                assertEquals(linearScan(masses, targets[i]), leaves[i], "the expectation is the reference's");
            }
            for (final Kernels kernels : BOTH)
            {
                final Descent descent = descend(kernels, tree, targets);
                assertArrayEquals(leaves, descent.leaf(), kernels.description());
                for (int i = 0; i < targets.length; i++)
                {
                    assertEquals(masses[leaves[i]], descent.mass()[i], kernels.description());
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Racing readers
    // ---------------------------------------------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("fanouts")
    void shouldNeverStepOntoPaddingThroughFixedPointPrefixesSeenHalfRewritten(final int fanout)
    {
        // A reader racing the writer may see a group's prefixes half rewritten: some updated, some not, not
        // rising, the last existing one below the target, and leaf masses that do not add up to their parent's.
        // Whatever it sees (existing prefixes and leaves >= 0, padding untouched), every step must stay on
        // existing nodes and end on an existing leaf, with no exception and no write to the tree; the mass
        // returned is the chosen leaf's mass as the reader saw it.
        final SplittableRandom random = new SplittableRandom(17L * fanout);
        for (final int capacity : new int[] {9, 65, 1001, 4099})
        {
            final long[] masses = randomMasses(random, capacity);
            try (FixedTree tree = new FixedTree(masses, fanout))
            {
                assertNotEquals(0, tree.existing[tree.depth] % fanout, "the last leaf group is partial");
                final byte[] pristine = tree.snapshot();
                final int n = 500;
                for (int trial = 0; trial < 40; trial++)
                {
                    tree.restore(pristine);
                    for (int l = 1; l < tree.depth; l++)
                    {
                        tear(random, tree, l, trial % 4);
                    }
                    if (trial % 2 == 1)
                    {
                        tearLeaves(random, tree);
                    }
                    for (int l = 1; l <= tree.depth; l++)
                    {
                        final long padding = l == tree.depth ? 0L : MISSING;
                        for (int j = tree.existing[l]; j < tree.slots[l]; j++)
                        {
                            assertEquals(padding, tree.value(l, j), "the tearing kept the padding");
                        }
                    }
                    final byte[] torn = tree.snapshot();
                    final long[] targets = new long[n];
                    for (int i = 0; i < n; i++)
                    {
                        targets[i] = random.nextLong(2 * tree.total + 2);
                    }
                    targets[0] = 0;
                    targets[1] = Long.MAX_VALUE;
                    targets[2] = tree.total;
                    targets[3] = Math.max(0, tree.total - 1);
                    for (final Kernels kernels : BOTH)
                    {
                        final Descent descent = assertDoesNotThrow(() -> descend(kernels, tree, targets));
                        for (int i = 0; i < n; i++)
                        {
                            final int leaf = descent.leaf()[i];
                            final String what = kernels.description() + " capacity " + capacity + " trial " +
                                trial + " target " + targets[i];
                            assertTrue(leaf >= 0 && leaf < capacity, "leaf " + leaf + " does not exist: " + what);
                            assertEquals(tree.value(tree.depth, leaf), descent.mass()[i], what);
                        }
                        assertArrayEquals(torn, tree.snapshot(), "a descent wrote the tree");
                    }
                }
            }
        }
    }

    /**
     * The racing reader of {@link #shouldNeverStepOntoPaddingThroughFixedPointPrefixesSeenHalfRewritten} with sorted
     * targets, as stratified sampling draws them, so that the vector kernel merges them into the top levels instead
     * of stepping through them: the group totals it walks are the largest prefix of each group, and a target's
     * child is the first prefix that exceeds what is left of it, whatever the prefixes look like. The merge runs when
     * a group of children fills one vector of longs or more (fan-out 8 or 16 on a 512-bit machine), there are at
     * least 32 targets, they ascend, the tree has an internal level below level 1 (depth 3 or more), and level 1 has
     * at most one node per 8 targets: here depth 5 (4,099 leaves) or 6 (70,001) at fan-out 8, 4 or 5 at fan-out 16,
     * level 1 with 2 or 3 nodes, so every n below merges, into level 2, 3 or 4. That the merge did run is checked
     * first on each tree (see {@link #assertSortedTargetsSkipLevelOne}).
     */
    @ParameterizedTest
    @CsvSource({"8, 4099", "8, 70001", "16, 4099", "16, 70001"})
    void shouldNeverStepOntoPaddingWhenSortedTargetsMergeThroughPrefixesSeenHalfRewritten(
        final int fanout, final int capacity)
    {
        final SplittableRandom random = new SplittableRandom(23L * capacity + fanout);
        final long[] masses = randomMasses(random, capacity);
        try (FixedTree tree = new FixedTree(masses, fanout))
        {
            assertNotEquals(0, tree.existing[tree.depth] % fanout, "the last leaf group is partial");
            assertTrue(tree.depth >= 4, "depth " + tree.depth + ": too shallow to merge below level 2");
            assertTrue(tree.existing[1] * 8 <= 32, "level 1 has " + tree.existing[1] + " nodes: 32 targets merge");
            final byte[] pristine = tree.snapshot();
            for (final int n : new int[] {32, 256, 1024})
            {
                if (LongVector.SPECIES_PREFERRED.length() <= fanout)
                {
                    assertSortedTargetsSkipLevelOne(tree, masses, sortedStratifiedTargets(random, n, tree.total));
                }
                for (int trial = 0; trial < 24; trial++)
                {
                    tree.restore(pristine);
                    for (int l = 1; l < tree.depth; l++)
                    {
                        tear(random, tree, l, trial % 4);
                    }
                    if (trial % 8 >= 4)
                    {
                        tearLeaves(random, tree);
                    }
                    for (int l = 1; l <= tree.depth; l++)
                    {
                        final long padding = l == tree.depth ? 0L : MISSING;
                        for (int j = tree.existing[l]; j < tree.slots[l]; j++)
                        {
                            assertEquals(padding, tree.value(l, j), "the tearing kept the padding");
                        }
                    }
                    final byte[] torn = tree.snapshot();
                    // Strata of the total the reader read: before the writer began, or the root as it sees it now.
                    final long seen = tree.value(1, tree.existing[1] - 1);
                    final long total = trial % 2 == 1 && seen > 0 ? seen : tree.total;
                    final long[] targets = sortedStratifiedTargets(random, n, total);
                    for (final Kernels kernels : BOTH)
                    {
                        final Descent descent = assertDoesNotThrow(() -> descend(kernels, tree, targets));
                        for (int i = 0; i < n; i++)
                        {
                            final int leaf = descent.leaf()[i];
                            final String what = kernels.description() + " capacity " + capacity + " n " + n +
                                " trial " + trial + " target " + targets[i];
                            assertTrue(leaf >= 0 && leaf < capacity, "leaf " + leaf + " does not exist: " + what);
                            assertEquals(tree.value(tree.depth, leaf), descent.mass()[i], what);
                        }
                        assertArrayEquals(torn, tree.snapshot(), "a descent wrote the tree");
                    }
                }
                tree.restore(pristine);
            }
        }
    }

    /**
     * {@code n} ascending targets: one drawn in each of {@code n - 3} equal strata of {@code total} (kept below it),
     * then three at or beyond it ({@code total}, one above, {@link Long#MAX_VALUE}).
     */
    static long[] sortedStratifiedTargets(final SplittableRandom random, final int n, final long total)
    {
        final long[] targets = new long[n];
        final int strata = n - 3;
        final double stratum = (double)total / strata;
        for (int i = 0; i < strata; i++)
        {
            targets[i] = Math.min((long)((i + random.nextDouble()) * stratum), total - 1);
        }
        targets[strata] = total;
        targets[strata + 1] = total + random.nextLong(Long.MAX_VALUE - total + 1);
        targets[strata + 2] = Long.MAX_VALUE;
        Arrays.sort(targets);
        return targets;
    }

    /**
     * Shows that the vector kernel merges sorted targets below level 1 rather than stepping through it: level 1 is
     * rewritten so that a step through it sends every target into the last node's subtree (every existing prefix 0
     * but the last, {@link Long#MAX_VALUE}). The merge reads of level 1 only which nodes exist, so the sorted targets
     * still end on the linear scan's leaves over the tree's masses, some outside that subtree; the scalar kernel, and
     * the vector kernel given the same targets in descending order (no merge), end inside it. Restores level 1.
     */
    private static void assertSortedTargetsSkipLevelOne(
        final FixedTree tree, final long[] masses, final long[] sorted)
    {
        final int n = sorted.length;
        final long[] levelOne = tree.values(1);
        final int last = tree.existing[1] - 1;
        for (int j = 0; j < last; j++)
        {
            tree.setValue(1, j, 0);
        }
        tree.setValue(1, last, Long.MAX_VALUE);
        long subtree = 1;
        for (int l = 1; l < tree.depth; l++)
        {
            subtree *= tree.fanout;
        }
        final long lastSubtree = last * subtree;
        final long[] descending = new long[n];
        for (int i = 0; i < n; i++)
        {
            descending[i] = sorted[n - 1 - i];
        }
        final Descent merged = descend(VECTOR, tree, sorted);
        final Descent scalar = descend(SCALAR, tree, sorted);
        final Descent stepped = descend(VECTOR, tree, descending);
        int outside = 0;
        for (int i = 0; i < n; i++)
        {
            final int expected = linearScan(masses, sorted[i]);
            final String what = "n " + n + " target " + sorted[i];
            assertEquals(expected, merged.leaf()[i], "the merge read level 1: " + what);
            assertEquals(masses[expected], merged.mass()[i], what);
            assertTrue(scalar.leaf()[i] >= lastSubtree, "scalar leaf " + scalar.leaf()[i] + ": " + what);
            assertEquals(scalar.leaf()[i], stepped.leaf()[n - 1 - i], "vector descending: " + what);
            outside += expected < lastSubtree ? 1 : 0;
        }
        assertTrue(outside > 0, "every leaf lies in the last subtree: the check shows nothing");
        for (int j = 0; j <= last; j++)
        {
            tree.setValue(1, j, levelOne[j]);
        }
    }

    /**
     * Rewrites some existing prefixes of one internal level as a racing reader might see them: each stays
     * {@code >= 0}, the padding is not touched.
     */
    private static void tear(final SplittableRandom random, final FixedTree tree, final int level, final int mode)
    {
        final int existing = tree.existing[level];
        final int fanout = tree.fanout;
        for (int first = 0; first < existing; first += fanout)
        {
            final int end = Math.min(existing, first + fanout);
            if (end < existing && random.nextInt(3) == 0)
            {
                continue; // some groups stay quiet; the last, partial, one is always torn
            }
            switch (mode)
            {
                case 0 ->
                {
                    // Anything non-negative.
                    for (int j = first; j < end; j++)
                    {
                        tree.setValue(level, j, random.nextLong(2 * tree.total + 2));
                    }
                }
                case 1 ->
                {
                    // A delta half applied: some of the siblings from a node on updated, the others not.
                    final int from = first + random.nextInt(end - first);
                    final long delta = random.nextLong(2 * tree.total + 2) - tree.total;
                    for (int j = from; j < end; j++)
                    {
                        if (random.nextBoolean())
                        {
                            tree.setValue(level, j, Math.max(0, tree.value(level, j) + delta));
                        }
                    }
                }
                case 2 ->
                {
                    // Falling: the existing prefixes in reverse order.
                    final long[] values = new long[end - first];
                    for (int j = first; j < end; j++)
                    {
                        values[j - first] = tree.value(level, j);
                    }
                    for (int j = first; j < end; j++)
                    {
                        tree.setValue(level, j, values[end - 1 - j]);
                    }
                }
                default ->
                {
                    // Extremes: zeros and Long.MAX_VALUE.
                    for (int j = first; j < end; j++)
                    {
                        tree.setValue(level, j, random.nextBoolean() ? 0 : Long.MAX_VALUE);
                    }
                }
            }
        }
    }

    /**
     * Rewrites some existing leaves as a racing reader might see them: new or old masses, each {@code >= 0} and
     * small enough that a group's sum stays a long (the engine keeps every sum below 2^62); padding stays 0.
     */
    private static void tearLeaves(final SplittableRandom random, final FixedTree tree)
    {
        final int leaves = tree.existing[tree.depth];
        for (int j = 0; j < leaves; j++)
        {
            switch (random.nextInt(4))
            {
                case 0 -> tree.setValue(tree.depth, j, 0);
                case 1 -> tree.setValue(tree.depth, j, random.nextLong(1L << 40));
                default ->
                {
                    // unchanged
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // addToPrefixes
    // ---------------------------------------------------------------------------------------------------------

    /** Updates of one level. */
    record Updates(int[] nodes, long[] deltas, int count)
    {
    }

    /**
     * Random updates of one level that keep every own mass {@code >= 0}, applied to {@code own} as they go: nodes
     * in the last (perhaps partial) group, nodes listed before, deltas down to zero, small and large. Past
     * {@code count} the arrays hold entries the kernels must not read (out of range: rejected if read).
     */
    static Updates randomUpdates(final SplittableRandom random, final long[] own, final int fanout)
    {
        final int existing = own.length;
        final int count = 1 + random.nextInt(3 * existing + 20);
        final int lastGroup = (existing - 1) / fanout * fanout;
        final int[] nodes = new int[count + 2];
        final long[] deltas = new long[count + 2];
        nodes[count] = -1;
        nodes[count + 1] = existing;
        deltas[count] = Long.MAX_VALUE;
        deltas[count + 1] = Long.MIN_VALUE;
        for (int k = 0; k < count; k++)
        {
            final int node = switch (random.nextInt(4))
            {
                case 0 -> lastGroup + random.nextInt(existing - lastGroup);
                case 1 -> k > 0 ? nodes[random.nextInt(k)] : existing - 1;
                default -> random.nextInt(existing);
            };
            final long delta = switch (random.nextInt(4))
            {
                case 0 -> -own[node];
                case 1 -> -random.nextLong(own[node] + 1);
                case 2 -> random.nextLong(1L << 40);
                default -> random.nextInt(20);
            };
            own[node] += delta;
            nodes[k] = node;
            deltas[k] = delta;
        }
        return new Updates(nodes, deltas, count);
    }

    @ParameterizedTest
    @MethodSource("fanoutsAndSizesWithInternalLevels")
    void shouldAddToPrefixesLikeALevelRebuiltFromTheUpdatedMasses(final int fanout, final int size)
    {
        final SplittableRandom random = new SplittableRandom(3_000L * fanout + size);
        final long[] leaves = randomMasses(random, size);
        try (FixedTree scalarTree = new FixedTree(leaves, fanout); FixedTree vectorTree = new FixedTree(leaves, fanout))
        {
            for (int level = 1; level < scalarTree.depth; level++)
            {
                final int existing = scalarTree.existing[level];
                for (int round = 0; round < 3; round++)
                {
                    // The level's own masses as the earlier rounds left them.
                    final long[] own = new long[existing];
                    for (int j = 0; j < existing; j++)
                    {
                        own[j] = scalarTree.ownMass(level, j);
                    }
                    final Updates updates = randomUpdates(random, own, fanout);
                    final long[] expected = expectedPrefixes(own, scalarTree.slots[level], fanout);
                    final int[] nodesBefore = updates.nodes().clone();
                    final long[] deltasBefore = updates.deltas().clone();
                    for (final FixedTree tree : new FixedTree[] {scalarTree, vectorTree})
                    {
                        final Kernels kernels = tree == scalarTree ? SCALAR : VECTOR;
                        final byte[] before = tree.snapshot();
                        kernels.addToPrefixes(tree.segment, tree.levelOffsets[level], fanout, existing,
                            updates.nodes(), updates.deltas(), updates.count());
                        final String what = kernels.description() + " level " + level + " round " + round;
                        final long[] actual = tree.values(level);
                        for (int j = existing; j < actual.length; j++)
                        {
                            assertEquals(MISSING, actual[j], "padding slot " + j + " written: " + what);
                        }
                        assertArrayEquals(expected, actual, what);
                        assertOnlyLevelChanged(tree, level, before);
                        assertArrayEquals(nodesBefore, updates.nodes(), "nodes written");
                        assertArrayEquals(deltasBefore, updates.deltas(), "deltas written");
                    }
                    assertArrayEquals(scalarTree.snapshot(), vectorTree.snapshot(), "the kernels' trees differ");
                }
            }
        }
    }

    private static void assertOnlyLevelChanged(final FixedTree tree, final int level, final byte[] before)
    {
        final byte[] after = tree.snapshot();
        final long from = tree.levelOffsets[level];
        final long to = from + 8L * tree.slots[level];
        for (int b = 0; b < after.length; b++)
        {
            if (b < from || b >= to)
            {
                assertEquals(before[b], after[b], "byte " + b + " outside level " + level + " written");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("fanouts")
    void shouldAddToPrefixesIndependentlyOfTheOrderOfTheEntries(final int fanout)
    {
        final SplittableRandom random = new SplittableRandom(4_000L + fanout);
        final long[] leaves = randomMasses(random, 4099);
        try (FixedTree inOrder = new FixedTree(leaves, fanout); FixedTree shuffled = new FixedTree(leaves, fanout))
        {
            final int level = inOrder.depth - 1;
            final Updates updates = randomUpdates(random, inOrder.masses[level].clone(), fanout);
            final int count = updates.count();
            final int[] nodes = Arrays.copyOf(updates.nodes(), count);
            final long[] deltas = Arrays.copyOf(updates.deltas(), count);
            for (int k = count - 1; k > 0; k--)
            {
                final int other = random.nextInt(k + 1);
                final int node = nodes[k];
                nodes[k] = nodes[other];
                nodes[other] = node;
                final long delta = deltas[k];
                deltas[k] = deltas[other];
                deltas[other] = delta;
            }
            final long[] negated = Arrays.stream(deltas).map(d -> -d).toArray();
            final byte[] start = inOrder.snapshot();
            for (final Kernels kernels : BOTH)
            {
                inOrder.restore(start);
                shuffled.restore(start);
                kernels.addToPrefixes(inOrder.segment, inOrder.levelOffsets[level], fanout, inOrder.existing[level],
                    updates.nodes(), updates.deltas(), count);
                kernels.addToPrefixes(shuffled.segment, shuffled.levelOffsets[level], fanout,
                    shuffled.existing[level], nodes, deltas, count);
                assertArrayEquals(inOrder.snapshot(), shuffled.snapshot(), kernels.description());
                // The negated deltas restore the tree exactly.
                kernels.addToPrefixes(shuffled.segment, shuffled.levelOffsets[level], fanout,
                    shuffled.existing[level], nodes, negated, count);
                assertArrayEquals(start, shuffled.snapshot(), kernels.description());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("fanouts")
    void shouldMatchARebuiltTreeAfterLeafUpdatesPropagatedThroughEveryLevel(final int fanout)
    {
        // The engine's write path: a leaf's new mass is stored, and its delta goes to each ancestor's prefix on the
        // internal levels. Then the whole tree must equal, byte for byte, the tree built from the new leaves, and
        // descend like the linear scan over them.
        final SplittableRandom random = new SplittableRandom(5_000L + fanout);
        for (final int size : new int[] {1, 9, 65, 1000, 4099})
        {
            final long[] leaves = randomMasses(random, size);
            final long[] updated = leaves.clone();
            final Updates updates = randomUpdates(random, updated, fanout);
            for (final Kernels kernels : BOTH)
            {
                try (FixedTree tree = new FixedTree(leaves, fanout); FixedTree rebuilt = new FixedTree(updated, fanout))
                {
                    final int[] nodes = Arrays.copyOf(updates.nodes(), updates.count());
                    for (int k = 0; k < updates.count(); k++)
                    {
                        tree.setValue(tree.depth, nodes[k], tree.value(tree.depth, nodes[k]) + updates.deltas()[k]);
                    }
                    for (int level = tree.depth - 1; level >= 1; level--)
                    {
                        for (int k = 0; k < nodes.length; k++)
                        {
                            nodes[k] /= fanout;
                        }
                        kernels.addToPrefixes(tree.segment, tree.levelOffsets[level], fanout, tree.existing[level],
                            nodes, updates.deltas(), updates.count());
                    }
                    assertArrayEquals(rebuilt.snapshot(), tree.snapshot(), kernels.description() + " size " + size);
                    if (rebuilt.total > 0)
                    {
                        final long[] targets = boundaryTargets(random, updated, rebuilt.total);
                        final Descent descent = descend(kernels, tree, targets);
                        for (int i = 0; i < targets.length; i++)
                        {
                            final int expected = linearScan(updated, targets[i]);
                            assertEquals(expected, descent.leaf()[i], "target " + targets[i]);
                            assertEquals(updated[expected], descent.mass()[i], "target " + targets[i]);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("fanouts")
    void shouldAddToAPartialGroupAtTheEndOfASegmentAndWriteNothingForNoEntries(final int fanout)
    {
        // One level of one partial group (fanout - 1 nodes and one padding slot), at an offset that is not
        // 64-byte aligned and ending exactly at the segment's end: every update of its last node must stay inside
        // the group's existing nodes (a write beyond the segment would also throw IndexOutOfBoundsException).
        final long[] own = new long[fanout - 1];
        for (int j = 0; j < own.length; j++)
        {
            own[j] = 2 + j;
        }
        final long offset = 8;
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment segment = arena.allocate(offset + 8L * fanout, 64);
            final long[] initial = expectedPrefixes(own, fanout, fanout);
            for (int j = 0; j < fanout; j++)
            {
                segment.set(LE_LONG, offset + 8L * j, initial[j]);
            }
            final byte[] start = segment.toArray(ValueLayout.JAVA_BYTE);
            for (final Kernels kernels : BOTH)
            {
                kernels.addToPrefixes(segment, offset, fanout, fanout - 1, new int[] {-3}, new long[] {9}, 0);
                assertArrayEquals(start, segment.toArray(ValueLayout.JAVA_BYTE), kernels.description());
                kernels.addToPrefixes(segment, offset, fanout, fanout - 1, new int[] {fanout - 2, 0, fanout - 2},
                    new long[] {5, 1, -2}, 3);
                final long[] updated = own.clone();
                updated[fanout - 2] += 3;
                updated[0] += 1;
                final long[] expected = expectedPrefixes(updated, fanout, fanout);
                for (int j = 0; j < fanout; j++)
                {
                    assertEquals(expected[j], segment.get(LE_LONG, offset + 8L * j), kernels.description() + " " + j);
                }
                kernels.addToPrefixes(segment, offset, fanout, fanout - 1, new int[] {fanout - 2, 0},
                    new long[] {-3, -1}, 2);
                assertArrayEquals(start, segment.toArray(ValueLayout.JAVA_BYTE), kernels.description());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("fanouts")
    void shouldApplyNothingWhenAnyNodeIsRejected(final int fanout)
    {
        // All nodes are checked before the first add: a call rejected for its last entry leaves the level as it
        // was, so a caller that catches the exception does not hold a half-updated tree.
        try (FixedTree tree = new FixedTree(randomMasses(new SplittableRandom(fanout), 4099), fanout))
        {
            final int level = tree.depth - 1;
            final int existing = tree.existing[level];
            for (final Kernels kernels : BOTH)
            {
                final byte[] before = tree.snapshot();
                final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> kernels.addToPrefixes(tree.segment, tree.levelOffsets[level], fanout, existing,
                        new int[] {0, existing - 1, existing}, new long[] {4, 4, 4}, 3));
                assertTrue(ex.getMessage().contains("nodes[2]=" + existing), ex.getMessage());
                assertArrayEquals(before, tree.snapshot(), kernels.description());
            }
        }
    }
}
