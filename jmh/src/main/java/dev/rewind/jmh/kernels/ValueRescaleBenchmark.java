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
 * R2D2 value rescaling h and its inverse over {@code n} float values (a batch of targets times the unroll length).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class ValueRescaleBenchmark
{
    @Param({"13", "256", "4099"})
    public int n;

    private final Kernels vector = new VectorKernels();
    private final Kernels scalar = ScalarKernels.INSTANCE;
    private float[] x;
    private float[] out;

    @Setup
    public void setUp()
    {
        final SplittableRandom random = new SplittableRandom(n);
        x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)((random.nextDouble() - 0.5) * 200.0);
        }
        out = new float[n];
        final float[] expected = new float[n];
        scalar.valueRescale(x, 0, expected, 0, n, 1e-3f);
        vector.valueRescale(x, 0, out, 0, n, 1e-3f);
        Agreement.exact("valueRescale", expected, out, n);
        scalar.valueRescaleInverse(x, 0, expected, 0, n, 1e-3f);
        vector.valueRescaleInverse(x, 0, out, 0, n, 1e-3f);
        Agreement.exact("valueRescaleInverse", expected, out, n);
    }

    @Benchmark
    public float[] vectorValueRescale()
    {
        vector.valueRescale(x, 0, out, 0, n, 1e-3f);
        return out;
    }

    @Benchmark
    public float[] scalarValueRescale()
    {
        scalar.valueRescale(x, 0, out, 0, n, 1e-3f);
        return out;
    }

    @Benchmark
    public float[] vectorValueRescaleInverse()
    {
        vector.valueRescaleInverse(x, 0, out, 0, n, 1e-3f);
        return out;
    }

    @Benchmark
    public float[] scalarValueRescaleInverse()
    {
        scalar.valueRescaleInverse(x, 0, out, 0, n, 1e-3f);
        return out;
    }
}
