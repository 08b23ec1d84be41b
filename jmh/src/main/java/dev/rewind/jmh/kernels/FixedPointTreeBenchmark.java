package dev.rewind.jmh.kernels;

import dev.rewind.kernels.Kernels;
import dev.rewind.kernels.ScalarKernels;
import dev.rewind.kernels.VectorKernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The engine's fixed-point tree kernels against their scalar twins: a stratified batch of 256 sorted targets
 * descending a tree of {@code leaves} integer masses ({@link Kernels#descendFixedPoint}), and 256 deltas carried into
 * the deepest prefix level ({@link Kernels#addToPrefixes}), the work of one level of a priority update. The tree is
 * laid out as the engine lays it out: leaves as masses, each internal level as running sums within groups, padding
 * marked. Each call takes the next of {@code batches} pre-drawn batches: 1024 (the default) visits a large tree along
 * fresh paths, so its deep levels come from memory as in the engine; 1 repeats one batch, whose few thousand lines
 * then stay in cache, which leaves the arithmetic alone (the difference is what memory costs).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class FixedPointTreeBenchmark
{
    private static final ValueLayout.OfLong LE_LONG =
        ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int BATCH = 256;

    @Param({"8"})
    public int fanout;

    @Param({"4099", "1048576"})
    public int leaves;

    /** Pre-drawn batches the calls cycle through, a power of two. */
    @Param({"1024"})
    public int batches;

    private final Kernels vector = new VectorKernels();
    private final Kernels scalar = ScalarKernels.INSTANCE;
    private Arena arena;
    private MemorySegment tree;
    private long[] levelOffsets;
    private int deepest;
    private int deepestNodes;
    private long[][] targets;
    private int[][] updateNodes;
    private long[] plusOne;
    private long[] minusOne;
    private int round;
    private long[] scratch;
    private int[] outLeaf;
    private long[] outMass;

    @Setup(Level.Trial)
    public void setUp()
    {
        final SplittableRandom random = new SplittableRandom(fanout * 31L + leaves);
        // Node counts per level, root first: the engine's padding (each level a multiple of the fan-out).
        int levels = 1;
        for (long span = fanout; span < leaves; span *= fanout)
        {
            levels++;
        }
        final int depth = levels;
        final int[] existing = new int[depth + 1];
        final int[] slots = new int[depth + 1];
        existing[depth] = leaves;
        for (int l = depth - 1; l >= 0; l--)
        {
            existing[l] = (existing[l + 1] + fanout - 1) / fanout;
        }
        for (int l = 0; l <= depth; l++)
        {
            slots[l] = l == 0 ? 1 : (existing[l] + fanout - 1) / fanout * fanout;
        }
        final long[][] masses = new long[depth + 1][];
        masses[depth] = new long[slots[depth]];
        for (int i = 0; i < leaves; i++)
        {
            masses[depth][i] = random.nextInt(10) == 0 ? 0 : 1 + random.nextLong(1L << 36);
        }
        for (int l = depth - 1; l >= 0; l--)
        {
            masses[l] = new long[slots[l]];
            for (int j = 0; j < existing[l + 1]; j++)
            {
                masses[l][j / fanout] += masses[l + 1][j];
            }
        }
        levelOffsets = new long[depth + 1];
        long offset = 0;
        for (int l = 1; l <= depth; l++)
        {
            levelOffsets[l] = offset;
            offset += (8L * slots[l] + 63) & -64;
        }
        arena = Arena.ofShared();
        tree = arena.allocate(offset, 64);
        for (int l = 1; l <= depth; l++)
        {
            long running = 0;
            for (int j = 0; j < slots[l]; j++)
            {
                final long value;
                if (l == depth)
                {
                    value = masses[l][j];
                }
                else
                {
                    running = (j % fanout == 0 ? 0 : running) + masses[l][j];
                    value = j < existing[l] ? running : Long.MIN_VALUE;
                }
                tree.set(LE_LONG, levelOffsets[l] + 8L * j, value);
            }
        }
        final long total = masses[0][0];
        if (Integer.bitCount(batches) != 1)
        {
            throw new IllegalArgumentException("batches must be a power of two: batches=" + batches);
        }
        targets = new long[batches][BATCH];
        for (final long[] batch : targets)
        {
            for (int i = 0; i < BATCH; i++)
            {
                batch[i] = Math.min((long)((i + random.nextDouble()) * total / BATCH), total - 1);
            }
        }
        deepest = Math.max(1, depth - 1);
        deepestNodes = existing[deepest];
        updateNodes = new int[batches][BATCH];
        for (final int[] batch : updateNodes)
        {
            for (int i = 0; i < BATCH; i++)
            {
                batch[i] = random.nextInt(deepestNodes);
            }
        }
        plusOne = new long[BATCH];
        minusOne = new long[BATCH];
        Arrays.fill(plusOne, 1);
        Arrays.fill(minusOne, -1);
        scratch = new long[BATCH];
        outLeaf = new int[BATCH];
        outMass = new long[BATCH];

        final int[] expected = new int[BATCH];
        for (final long[] batch : targets)
        {
            System.arraycopy(batch, 0, scratch, 0, BATCH);
            scalar.descendFixedPoint(tree, levelOffsets, fanout, scratch, BATCH, expected, outMass);
            System.arraycopy(batch, 0, scratch, 0, BATCH);
            vector.descendFixedPoint(tree, levelOffsets, fanout, scratch, BATCH, outLeaf, outMass);
            Agreement.exact("descendFixedPoint", expected, outLeaf, BATCH);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        arena.close();
    }

    @Benchmark
    public int[] vectorDescendFixedPoint()
    {
        System.arraycopy(targets[round++ & (batches - 1)], 0, scratch, 0, BATCH);
        vector.descendFixedPoint(tree, levelOffsets, fanout, scratch, BATCH, outLeaf, outMass);
        return outLeaf;
    }

    @Benchmark
    public int[] scalarDescendFixedPoint()
    {
        System.arraycopy(targets[round++ & (batches - 1)], 0, scratch, 0, BATCH);
        scalar.descendFixedPoint(tree, levelOffsets, fanout, scratch, BATCH, outLeaf, outMass);
        return outLeaf;
    }

    /** 256 deltas into the deepest prefix level; calls alternate +1 and -1, so the tree stays as built. */
    @Benchmark
    public long vectorAddToPrefixes()
    {
        final int r = round++;
        vector.addToPrefixes(tree, levelOffsets[deepest], fanout, deepestNodes, updateNodes[r & (batches - 1)],
            0 == (r & 1) ? plusOne : minusOne, BATCH);
        return r;
    }

    @Benchmark
    public long scalarAddToPrefixes()
    {
        final int r = round++;
        scalar.addToPrefixes(tree, levelOffsets[deepest], fanout, deepestNodes, updateNodes[r & (batches - 1)],
            0 == (r & 1) ? plusOne : minusOne, BATCH);
        return r;
    }
}
