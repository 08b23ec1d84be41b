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
 * R2D2 sequence priorities, eta max|d| + (1 - eta) mean|d|, for a batch of {@code sequences} sequences of 80 TD
 * errors (R2D2's m = 80) and of 60 (80 minus a burn-in of 20).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class SequencePriorityBenchmark
{
    @Param({"64", "256"})
    public int sequences;

    @Param({"60", "80"})
    public int length;

    private final Kernels vector = new VectorKernels();
    private final Kernels scalar = ScalarKernels.INSTANCE;
    private double[] td;
    private double[] out;

    @Setup
    public void setUp()
    {
        final SplittableRandom random = new SplittableRandom(sequences + length);
        td = new double[sequences * length];
        for (int i = 0; i < td.length; i++)
        {
            td[i] = random.nextDouble() - 0.5;
        }
        out = new double[sequences];
        final double[] expected = new double[sequences];
        scalar.sequencePriorities(td, 0, sequences, length, 0.9, expected, 0);
        vector.sequencePriorities(td, 0, sequences, length, 0.9, out, 0);
        for (int s = 0; s < sequences; s++)
        {
            // |d| <= 0.5: the sums differ by at most 2 gamma_L * 0.5 L, scaled by 0.1 / L in the mix.
            Agreement.close("sequencePriorities", expected[s], out[s],
                0.1 * 2.0 * Agreement.gamma(length, 0x1p-53) * 0.5 + 8 * Math.ulp(expected[s]));
        }
    }

    @Benchmark
    public double[] vectorSequencePriorities()
    {
        vector.sequencePriorities(td, 0, sequences, length, 0.9, out, 0);
        return out;
    }

    @Benchmark
    public double[] scalarSequencePriorities()
    {
        scalar.sequencePriorities(td, 0, sequences, length, 0.9, out, 0);
        return out;
    }
}
