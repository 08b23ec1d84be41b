package dev.rewind.jmh.kernels;

import dev.rewind.kernels.Kernels;
import dev.rewind.kernels.PsanMeasure;
import dev.rewind.kernels.PsanWorkspace;
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
 * PSAN similarity of one standardised batch of {@code rows x features} (identity projections), vector against
 * scalar, for both measures. DALAP runs the pair form, two of these, every learner step.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class PsanBenchmark
{
    @Param({"64", "256", "511"})
    public int rows;

    @Param({"5", "16"})
    public int features;

    private final Kernels vector = new VectorKernels();
    private final Kernels scalar = ScalarKernels.INSTANCE;
    private float[] x;
    private PsanWorkspace vectorWs;
    private PsanWorkspace scalarWs;

    @Setup
    public void setUp()
    {
        final SplittableRandom random = new SplittableRandom(rows * 1000L + features);
        x = new float[rows * features];
        for (int i = 0; i < x.length; i++)
        {
            final double u = 1.0 - random.nextDouble();
            x[i] = (float)(Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2.0 * Math.PI * random.nextDouble()));
        }
        vectorWs = PsanWorkspace.identity(rows, features);
        scalarWs = PsanWorkspace.identity(rows, features);
        // Tolerances of PsanTest: exp within 1 float ulp on each side, row sums in two orders.
        final double u = 0x1p-24;
        final double z = 2.0 * Agreement.gamma(rows, u) + 4.0 * u;
        Agreement.close("off-diagonal", scalar.psanSimilarity(x, rows, PsanMeasure.OFF_DIAGONAL, scalarWs),
            vector.psanSimilarity(x, rows, PsanMeasure.OFF_DIAGONAL, vectorWs), z + 12.0 * u);
        final double lnB = Math.log(rows);
        Agreement.close("entropy", scalar.psanSimilarity(x, rows, PsanMeasure.ENTROPY, scalarWs),
            vector.psanSimilarity(x, rows, PsanMeasure.ENTROPY, vectorWs), (z + 6.0 * u) * (1.0 + 2.0 * lnB) / lnB);
    }

    @Benchmark
    public double vectorSimilarity()
    {
        return vector.psanSimilarity(x, rows, PsanMeasure.OFF_DIAGONAL, vectorWs);
    }

    @Benchmark
    public double scalarSimilarity()
    {
        return scalar.psanSimilarity(x, rows, PsanMeasure.OFF_DIAGONAL, scalarWs);
    }

    @Benchmark
    public double vectorEntropySimilarity()
    {
        return vector.psanSimilarity(x, rows, PsanMeasure.ENTROPY, vectorWs);
    }

    @Benchmark
    public double scalarEntropySimilarity()
    {
        return scalar.psanSimilarity(x, rows, PsanMeasure.ENTROPY, scalarWs);
    }
}
