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
 * The confusion-contribution loss with its gradient over a trajectory of 128 attention rows over {@code clusters}
 * value-function modes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class SparseAttentionBenchmark
{
    private static final int ROWS = 128;

    @Param({"7", "16", "64"})
    public int clusters;

    private final Kernels vector = new VectorKernels();
    private final Kernels scalar = ScalarKernels.INSTANCE;
    private double[] attention;
    private double[] confusion;
    private double[] contribution;
    private double[] grad;

    @Setup
    public void setUp()
    {
        final SplittableRandom random = new SplittableRandom(clusters);
        attention = new double[ROWS * clusters];
        for (int t = 0; t < ROWS; t++)
        {
            double sum = 0.0;
            for (int i = 0; i < clusters; i++)
            {
                attention[t * clusters + i] = random.nextDouble();
                sum += attention[t * clusters + i];
            }
            for (int i = 0; i < clusters; i++)
            {
                attention[t * clusters + i] /= sum;
            }
        }
        confusion = new double[ROWS];
        contribution = new double[clusters];
        grad = new double[ROWS * clusters];
        final double expected = scalar.confusionContributionLoss(attention, ROWS, clusters, 1.0, 0.5,
            new double[ROWS], new double[clusters], new double[ROWS * clusters]);
        final double actual = vector.confusionContributionLoss(attention, ROWS, clusters, 1.0, 0.5, confusion,
            contribution, grad);
        // SparseAttentionTest's bound with |ln confusion| <= ln N_b.
        final double relative = 2.0 * Agreement.gamma(clusters, 0x1p-53) + 4.0 * 0x1p-53;
        Agreement.close("loss", expected, actual, 1.5 * 2.0 * relative +
            2.0 * Agreement.gamma(ROWS, 0x1p-53) * Math.log(clusters) + 4.0 * Math.ulp(expected));
    }

    @Benchmark
    public double vectorConfusionContributionLoss()
    {
        return vector.confusionContributionLoss(attention, ROWS, clusters, 1.0, 0.5, confusion, contribution, grad);
    }

    @Benchmark
    public double scalarConfusionContributionLoss()
    {
        return scalar.confusionContributionLoss(attention, ROWS, clusters, 1.0, 0.5, confusion, contribution, grad);
    }
}
