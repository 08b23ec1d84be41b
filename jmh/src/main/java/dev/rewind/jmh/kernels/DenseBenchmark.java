package dev.rewind.jmh.kernels;

import dev.rewind.kernels.Activation;
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
 * The example learners' MLP: a hidden layer of 64 ReLU units over a batch (forward and backward); batch 1 is
 * acting.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class DenseBenchmark
{
    private static final int WIDTH = 64;

    @Param({"1", "64", "256"})
    public int batch;

    private final Kernels vector = new VectorKernels();
    private final Kernels scalar = ScalarKernels.INSTANCE;
    private float[] x;
    private float[] w;
    private float[] b;
    private float[] y;
    private float[] dy;
    private float[] dyWork;
    private float[] dx;
    private float[] dw;
    private float[] db;

    @Setup
    public void setUp()
    {
        final SplittableRandom random = new SplittableRandom(batch);
        x = randoms(random, batch * WIDTH, 1.0);
        w = randoms(random, WIDTH * WIDTH, 0.2);
        b = randoms(random, WIDTH, 0.1);
        y = new float[batch * WIDTH];
        dy = randoms(random, batch * WIDTH, 1.0);
        dyWork = new float[batch * WIDTH];
        dx = new float[batch * WIDTH];
        dw = new float[WIDTH * WIDTH];
        db = new float[WIDTH];

        final float[] expectedY = new float[batch * WIDTH];
        scalar.denseForward(x, batch, WIDTH, w, 0, b, 0, WIDTH, Activation.RELU, expectedY);
        vector.denseForward(x, batch, WIDTH, w, 0, b, 0, WIDTH, Activation.RELU, y);
        Agreement.exact("denseForward", expectedY, y, y.length);
        final float[] expectedDw = new float[WIDTH * WIDTH];
        final float[] expectedDx = new float[batch * WIDTH];
        final float[] scalarDy = dy.clone();
        scalar.denseBackward(x, batch, WIDTH, w, 0, WIDTH, Activation.RELU, y, scalarDy, expectedDx, expectedDw, 0,
            new float[WIDTH], 0);
        System.arraycopy(dy, 0, dyWork, 0, dy.length);
        vector.denseBackward(x, batch, WIDTH, w, 0, WIDTH, Activation.RELU, y, dyWork, dx, dw, 0, db, 0);
        Agreement.exact("denseBackward dw", expectedDw, dw, dw.length);
        for (int i = 0; i < dx.length; i++)
        {
            // A dot product of 64 terms of size <= |dz| 0.2 in two orders: 2 gamma_64 sum|dz w|.
            Agreement.close("denseBackward dx", expectedDx[i], dx[i], 2.0 * Agreement.gamma(WIDTH, 0x1p-24) *
                WIDTH * 0.2 * 1.0);
        }
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
    public float[] vectorForward()
    {
        vector.denseForward(x, batch, WIDTH, w, 0, b, 0, WIDTH, Activation.RELU, y);
        return y;
    }

    @Benchmark
    public float[] scalarForward()
    {
        scalar.denseForward(x, batch, WIDTH, w, 0, b, 0, WIDTH, Activation.RELU, y);
        return y;
    }

    @Benchmark
    public float[] vectorBackward()
    {
        System.arraycopy(dy, 0, dyWork, 0, dy.length);
        vector.denseBackward(x, batch, WIDTH, w, 0, WIDTH, Activation.RELU, y, dyWork, dx, dw, 0, db, 0);
        return dw;
    }

    @Benchmark
    public float[] scalarBackward()
    {
        System.arraycopy(dy, 0, dyWork, 0, dy.length);
        scalar.denseBackward(x, batch, WIDTH, w, 0, WIDTH, Activation.RELU, y, dyWork, dx, dw, 0, db, 0);
        return dw;
    }
}
