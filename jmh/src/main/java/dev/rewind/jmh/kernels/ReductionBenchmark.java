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
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Reductions over doubles: min (the global-minimum weight normalisation), sum over an array and over a segment
 * (recomputing tree nodes).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class ReductionBenchmark
{
    @Param({"13", "256", "4099"})
    public int n;

    private final Kernels vector = new VectorKernels();
    private final Kernels scalar = ScalarKernels.INSTANCE;
    private Arena arena;
    private double[] values;
    private MemorySegment segment;

    @Setup(Level.Trial)
    public void setUp()
    {
        final SplittableRandom random = new SplittableRandom(n);
        values = new double[n];
        double sumAbs = 0.0;
        for (int i = 0; i < n; i++)
        {
            values[i] = random.nextDouble() * 10.0;
            sumAbs += values[i];
        }
        arena = Arena.ofConfined();
        segment = arena.allocate(8L * n, 64);
        for (int i = 0; i < n; i++)
        {
            segment.set(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8L * i, values[i]);
        }

        Agreement.close("min", scalar.min(values, n), vector.min(values, n), 0.0);
        Agreement.close("max", scalar.max(values, n), vector.max(values, n), 0.0);
        final double sumTolerance = 2.0 * Agreement.gamma(n, 0x1p-53) * sumAbs;
        Agreement.close("sum", scalar.sum(values, n), vector.sum(values, n), sumTolerance);
        Agreement.close("sum(segment)", scalar.sum(segment, 0, n), vector.sum(segment, 0, n), sumTolerance);
        Agreement.close("min(segment)", scalar.min(segment, 0, n), vector.min(segment, 0, n), 0.0);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        arena.close();
    }

    @Benchmark
    public double vectorMin()
    {
        return vector.min(values, n);
    }

    @Benchmark
    public double scalarMin()
    {
        return scalar.min(values, n);
    }

    @Benchmark
    public double vectorMax()
    {
        return vector.max(values, n);
    }

    @Benchmark
    public double scalarMax()
    {
        return scalar.max(values, n);
    }

    @Benchmark
    public double vectorMinSegment()
    {
        return vector.min(segment, 0, n);
    }

    @Benchmark
    public double scalarMinSegment()
    {
        return scalar.min(segment, 0, n);
    }

    @Benchmark
    public double vectorSum()
    {
        return vector.sum(values, n);
    }

    @Benchmark
    public double scalarSum()
    {
        return scalar.sum(values, n);
    }

    @Benchmark
    public double vectorSumSegment()
    {
        return vector.sum(segment, 0, n);
    }

    @Benchmark
    public double scalarSumSegment()
    {
        return scalar.sum(segment, 0, n);
    }
}
