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
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Wide-tree search: a stratified batch of 256 targets descending a sum tree of {@code leaves} random masses (the
 * sampler's hot loop), and 256 single-node child searches at the leaf level. Each descent call takes the next of
 * {@link #ROUNDS} pre-drawn batches, so that a large tree is visited along fresh paths as the sampler visits it
 * (one fixed batch would keep its few thousand lines in cache).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class TreeSearchBenchmark
{
    private static final ValueLayout.OfDouble LE_DOUBLE =
        ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int BATCH = 256;
    private static final int ROUNDS = 1024;

    @Param({"8", "16"})
    public int fanout;

    @Param({"4099", "1048576"})
    public int leaves;

    private final Kernels vector = new VectorKernels();
    private final Kernels scalar = ScalarKernels.INSTANCE;
    private Arena arena;
    private MemorySegment tree;
    private long[] levelOffsets;
    private long[] prefixOffsets;
    private double[][] targets;
    private int round;
    private double[] scratch;
    private int[] outLeaf;
    private double[] outMass;
    private long[] nodeOffsets;
    private double[] nodeTargets;

    @Setup(Level.Trial)
    public void setUp()
    {
        final SplittableRandom random = new SplittableRandom(fanout * 31L + leaves);
        final List<double[]> levels = new ArrayList<>();
        double[] level = new double[(leaves + fanout - 1) / fanout * fanout];
        for (int i = 0; i < leaves; i++)
        {
            level[i] = random.nextInt(10) == 0 ? 0.0 : random.nextDouble();
        }
        levels.add(level);
        while (level.length > 1)
        {
            final int parents = level.length / fanout;
            final double[] parent = new double[parents > 1 ? (parents + fanout - 1) / fanout * fanout : 1];
            for (int j = 0; j < parents; j++)
            {
                double sum = 0.0;
                for (int c = 0; c < fanout; c++)
                {
                    sum += level[j * fanout + c];
                }
                parent[j] = sum;
            }
            level = parent;
            levels.add(level);
        }
        final int depth = levels.size() - 1;
        levelOffsets = new long[depth + 1];
        long offset = 0;
        for (int l = 0; l <= depth; l++)
        {
            levelOffsets[l] = offset;
            offset += (8L * levels.get(depth - l).length + 63) & -64;
        }
        // The engine's prefix arrays: per internal level, each node's running sum within its group.
        prefixOffsets = new long[depth + 1];
        for (int l = 1; l < depth; l++)
        {
            prefixOffsets[l] = offset;
            offset += (8L * levels.get(depth - l).length + 63) & -64;
        }
        arena = Arena.ofShared();
        tree = arena.allocate(offset, 64);
        for (int l = 0; l <= depth; l++)
        {
            final double[] values = levels.get(depth - l);
            for (int j = 0; j < values.length; j++)
            {
                tree.set(LE_DOUBLE, levelOffsets[l] + 8L * j, values[j]);
            }
        }
        // Nodes that exist per level (the rest is padding, marked NaN in the prefixes, as the engine does).
        final int[] existing = new int[depth + 1];
        existing[depth] = leaves;
        for (int l = depth - 1; l >= 0; l--)
        {
            existing[l] = (existing[l + 1] + fanout - 1) / fanout;
        }
        for (int l = 1; l < depth; l++)
        {
            final double[] values = levels.get(depth - l);
            double running = 0.0;
            for (int j = 0; j < values.length; j++)
            {
                running = (j % fanout == 0 ? 0.0 : running) + values[j];
                tree.set(LE_DOUBLE, prefixOffsets[l] + 8L * j, j < existing[l] ? running : Double.NaN);
            }
        }
        final double root = levels.get(depth)[0];
        // Stratified targets, as the sampler draws them: one uniform point in each of BATCH equal segments.
        targets = new double[ROUNDS][BATCH];
        for (final double[] batch : targets)
        {
            for (int i = 0; i < BATCH; i++)
            {
                batch[i] = (i + random.nextDouble()) * root / BATCH;
            }
        }
        scratch = new double[BATCH];
        outLeaf = new int[BATCH];
        outMass = new double[BATCH];
        nodeOffsets = new long[BATCH];
        nodeTargets = new double[BATCH];
        final long leafLevel = levelOffsets[depth];
        for (int i = 0; i < BATCH; i++)
        {
            final int node = random.nextInt(levels.get(0).length / fanout);
            nodeOffsets[i] = leafLevel + 8L * node * fanout;
            double sum = 0.0;
            for (int c = 0; c < fanout; c++)
            {
                sum += tree.get(LE_DOUBLE, nodeOffsets[i] + 8L * c);
            }
            nodeTargets[i] = random.nextDouble() * sum;
        }

        final int[] expected = new int[BATCH];
        for (final double[] batch : targets)
        {
            System.arraycopy(batch, 0, scratch, 0, BATCH);
            scalar.descend(tree, levelOffsets, fanout, scratch, BATCH, expected, outMass);
            System.arraycopy(batch, 0, scratch, 0, BATCH);
            vector.descend(tree, levelOffsets, fanout, scratch, BATCH, outLeaf, outMass);
            // Random targets essentially never sit within rounding of a leaf boundary (the unit tests cover that).
            Agreement.exact("descend", expected, outLeaf, BATCH);
            for (final Kernels kernels : new Kernels[] {scalar, vector})
            {
                System.arraycopy(batch, 0, scratch, 0, BATCH);
                kernels.descendWithPrefixes(tree, levelOffsets, prefixOffsets, fanout, scratch, BATCH, outLeaf,
                    outMass);
                Agreement.exact("descendWithPrefixes", expected, outLeaf, BATCH);
            }
        }
        for (int i = 0; i < BATCH; i++)
        {
            final int s = scalar.childIndex(tree, nodeOffsets[i], fanout, nodeTargets[i]);
            final int v = vector.childIndex(tree, nodeOffsets[i], fanout, nodeTargets[i]);
            if (s != v)
            {
                throw new AssertionError("childIndex: vector " + v + " vs scalar " + s);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        arena.close();
    }

    @Benchmark
    public int[] vectorDescend()
    {
        System.arraycopy(targets[round++ & (ROUNDS - 1)], 0, scratch, 0, BATCH);
        vector.descend(tree, levelOffsets, fanout, scratch, BATCH, outLeaf, outMass);
        return outLeaf;
    }

    @Benchmark
    public int[] scalarDescend()
    {
        System.arraycopy(targets[round++ & (ROUNDS - 1)], 0, scratch, 0, BATCH);
        scalar.descend(tree, levelOffsets, fanout, scratch, BATCH, outLeaf, outMass);
        return outLeaf;
    }

    /** The engine's descent: internal levels by their stored prefixes, the leaf level scanned. */
    @Benchmark
    public int[] vectorDescendWithPrefixes()
    {
        System.arraycopy(targets[round++ & (ROUNDS - 1)], 0, scratch, 0, BATCH);
        vector.descendWithPrefixes(tree, levelOffsets, prefixOffsets, fanout, scratch, BATCH, outLeaf, outMass);
        return outLeaf;
    }

    @Benchmark
    public int[] scalarDescendWithPrefixes()
    {
        System.arraycopy(targets[round++ & (ROUNDS - 1)], 0, scratch, 0, BATCH);
        scalar.descendWithPrefixes(tree, levelOffsets, prefixOffsets, fanout, scratch, BATCH, outLeaf, outMass);
        return outLeaf;
    }

    @Benchmark
    public int vectorChildIndex()
    {
        int sum = 0;
        for (int i = 0; i < BATCH; i++)
        {
            sum += vector.childIndex(tree, nodeOffsets[i], fanout, nodeTargets[i]);
        }
        return sum;
    }

    @Benchmark
    public int scalarChildIndex()
    {
        int sum = 0;
        for (int i = 0; i < BATCH; i++)
        {
            sum += scalar.childIndex(tree, nodeOffsets[i], fanout, nodeTargets[i]);
        }
        return sum;
    }
}
