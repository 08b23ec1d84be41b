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
 * The element-wise parts of a DQN training step: the weighted Huber loss with its gradient over a batch, and an
 * Adam step over a parameter vector (4,674 floats is the 4-64-64-2 network of the examples).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class TrainingStepBenchmark
{
    @Param({"13", "256", "4674"})
    public int n;

    private final Kernels vector = new VectorKernels();
    private final Kernels scalar = ScalarKernels.INSTANCE;
    private float[] prediction;
    private float[] target;
    private float[] weights;
    private float[] grad;
    private float[] params;
    private float[] grads;
    private float[] m;
    private float[] v;

    @Setup
    public void setUp()
    {
        final SplittableRandom random = new SplittableRandom(n);
        prediction = randoms(random, n, 3.0);
        target = randoms(random, n, 3.0);
        weights = randoms(random, n, 1.0);
        grad = new float[n];
        params = randoms(random, n, 0.1);
        grads = randoms(random, n, 0.01);
        m = new float[n];
        v = new float[n];

        final float[] expectedGrad = new float[n];
        final float expected = scalar.huberLoss(prediction, target, weights, n, 1.0f, expectedGrad);
        final float actual = vector.huberLoss(prediction, target, weights, n, 1.0f, grad);
        Agreement.exact("huber gradient", expectedGrad, grad, n);
        // Terms are at most |w| (|e| - 0.5) <= 5.5: 2 gamma_n * 5.5 n / n, plus the final division.
        Agreement.close("huber loss", expected, actual, 2.0 * Agreement.gamma(n, 0x1p-24) * 5.5 +
            2 * Math.ulp(expected));
        final float[] p = params.clone();
        final float[] mm = new float[n];
        final float[] vv = new float[n];
        scalar.adamStep(p, grads, mm, vv, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 1);
        vector.adamStep(params, grads, m, v, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 1);
        Agreement.exact("adam", p, params, n);
    }

    private static float[] randoms(final SplittableRandom random, final int n, final double scale)
    {
        final float[] values = new float[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = (float)((random.nextDouble() * 2.0 - 1.0) * scale);
        }
        return values;
    }

    @Benchmark
    public float vectorHuber()
    {
        return vector.huberLoss(prediction, target, weights, n, 1.0f, grad);
    }

    @Benchmark
    public float scalarHuber()
    {
        return scalar.huberLoss(prediction, target, weights, n, 1.0f, grad);
    }

    @Benchmark
    public float[] vectorAdam()
    {
        vector.adamStep(params, grads, m, v, n, 1e-7f, 0.9f, 0.999f, 1e-8f, 10);
        return params;
    }

    @Benchmark
    public float[] scalarAdam()
    {
        scalar.adamStep(params, grads, m, v, n, 1e-7f, 0.9f, 0.999f, 1e-8f, 10);
        return params;
    }
}
