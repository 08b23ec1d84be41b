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
 * Feature standardisation of a batch of 256 rows before PSAN: CartPole-like width 5 (4 state features and an
 * action), 16, and 255.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class StandardiseBenchmark
{
    private static final int ROWS = 256;

    @Param({"5", "16", "255"})
    public int features;

    private final Kernels vector = new VectorKernels();
    private final Kernels scalar = ScalarKernels.INSTANCE;
    private float[] x;
    private float[] mean;
    private float[] invStd;
    private float[] out;

    @Setup
    public void setUp()
    {
        final SplittableRandom random = new SplittableRandom(features);
        x = new float[ROWS * features];
        for (int i = 0; i < x.length; i++)
        {
            x[i] = (float)(random.nextDouble() * 10.0);
        }
        mean = new float[features];
        invStd = new float[features];
        for (int j = 0; j < features; j++)
        {
            mean[j] = (float)random.nextDouble();
            invStd[j] = (float)(0.5 + random.nextDouble());
        }
        out = new float[x.length];
        final float[] expected = new float[x.length];
        scalar.standardise(x, ROWS, features, mean, invStd, expected);
        vector.standardise(x, ROWS, features, mean, invStd, out);
        Agreement.exact("standardise", expected, out, x.length);
    }

    @Benchmark
    public float[] vectorStandardise()
    {
        vector.standardise(x, ROWS, features, mean, invStd, out);
        return out;
    }

    @Benchmark
    public float[] scalarStandardise()
    {
        scalar.standardise(x, ROWS, features, mean, invStd, out);
        return out;
    }
}
