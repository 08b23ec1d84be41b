package dev.rewind.jmh.kernels;

import dev.rewind.kernels.Kernels;
import dev.rewind.kernels.ScalarKernels;
import dev.rewind.kernels.VectorKernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * PER and LAP priority transforms and importance weights (pow per element), vector against scalar, over a
 * learner's batch of TD errors.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class PriorityTransformBenchmark
{
    @Param({"13", "256", "1023"})
    public int n;

    private final Kernels vector = new VectorKernels();
    private final Kernels scalar = ScalarKernels.INSTANCE;
    private double[] td;
    private double[] mass;
    private double[] out;

    @Setup
    public void setUp()
    {
        final SplittableRandom random = new SplittableRandom(n);
        td = new double[n];
        mass = new double[n];
        out = new double[n];
        for (int i = 0; i < n; i++)
        {
            td[i] = (random.nextDouble() - 0.5) * 8.0;
            mass[i] = 1e-3 + random.nextDouble();
        }
        final double[] expected = new double[n];
        scalar.perPriority(td, 0, expected, 0, n, 0.6, 1e-6);
        vector.perPriority(td, 0, out, 0, n, 0.6, 1e-6);
        Agreement.relative("perPriority", expected, out, n, 4);
        scalar.lapPriority(td, 0, expected, 0, n, 0.4, 1.0);
        vector.lapPriority(td, 0, out, 0, n, 0.4, 1.0);
        Agreement.relative("lapPriority", expected, out, n, 4);
        scalar.importanceWeights(mass, expected, n, 1e-3, 0.4);
        vector.importanceWeights(mass, out, n, 1e-3, 0.4);
        Agreement.relative("importanceWeights", expected, out, n, 4);
    }

    @Benchmark
    public double[] vectorPerPriority()
    {
        vector.perPriority(td, 0, out, 0, n, 0.6, 1e-6);
        return out;
    }

    @Benchmark
    public double[] scalarPerPriority()
    {
        scalar.perPriority(td, 0, out, 0, n, 0.6, 1e-6);
        return out;
    }

    @Benchmark
    public double[] vectorLapPriority()
    {
        vector.lapPriority(td, 0, out, 0, n, 0.4, 1.0);
        return out;
    }

    @Benchmark
    public double[] scalarLapPriority()
    {
        scalar.lapPriority(td, 0, out, 0, n, 0.4, 1.0);
        return out;
    }

    @Benchmark
    public double[] vectorImportanceWeights()
    {
        vector.importanceWeights(mass, out, n, 1e-3, 0.4);
        return out;
    }

    @Benchmark
    public double[] scalarImportanceWeights()
    {
        scalar.importanceWeights(mass, out, n, 1e-3, 0.4);
        return out;
    }
}
