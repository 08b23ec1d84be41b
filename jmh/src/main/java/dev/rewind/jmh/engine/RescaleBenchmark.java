package dev.rewind.jmh.engine;

import dev.rewind.engine.internal.PriorityTrees;
import dev.rewind.kernels.Kernels;
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
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * What a rescale of the priority trees costs the writer: one update whose mass is 256 times the largest so far, so
 * that every leaf moves to a smaller unit and every other level is rebuilt. Beside it, in the same class, the same
 * update at a mass within the headroom (no rescale). Each invocation starts from a tree of {@code leaves} random
 * masses set up outside the timing.
 *
 * <p>Run: {@code java -jar jmh/target/benchmarks.jar 'engine.RescaleBenchmark'}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, batchSize = 1)
@Measurement(iterations = 20, batchSize = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xms1g", "-Xmx4g"})
public class RescaleBenchmark
{
    @Param({"1048576"})
    public int leaves;

    private Arena arena;
    private MemorySegment segment;
    private PriorityTrees trees;
    private final int[] leaf = new int[1];
    private final double[] mass = new double[1];

    @Setup(Level.Trial)
    public void allocate()
    {
        arena = Arena.ofShared();
        segment = arena.allocate(PriorityTrees.regionLength(leaves, 8), 64);
        trees = new PriorityTrees(segment, 0, leaves, 8, Kernels.best());
    }

    /** A fresh tree of random masses in [0.5, 1.5) before every call. */
    @Setup(Level.Invocation)
    public void fill()
    {
        trees.clear();
        trees.setRange(0, leaves, 1.0);
        final SplittableRandom rng = new SplittableRandom(leaves);
        final int[] batch = new int[4096];
        final double[] masses = new double[4096];
        for (int from = 0; from < leaves; from += batch.length)
        {
            final int n = Math.min(batch.length, leaves - from);
            for (int i = 0; i < n; i++)
            {
                batch[i] = from + i;
                masses[i] = 0.5 + rng.nextDouble();
            }
            trees.setAll(batch, masses, n);
        }
        leaf[0] = leaves / 2;
    }

    @TearDown(Level.Trial)
    public void free()
    {
        arena.close();
    }

    /** An update 256 times the largest mass: a rescale. */
    @Benchmark
    public long updateWithRescale()
    {
        mass[0] = 256.0;
        trees.setAll(leaf, mass, 1);
        return trees.totalUnits();
    }

    /** Baseline: an update within the headroom. */
    @Benchmark
    public long updateWithoutRescale()
    {
        mass[0] = 2.0;
        trees.setAll(leaf, mass, 1);
        return trees.totalUnits();
    }
}
