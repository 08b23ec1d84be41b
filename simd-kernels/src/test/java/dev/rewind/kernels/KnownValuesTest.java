package dev.rewind.kernels;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import static dev.rewind.kernels.Fixtures.U_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Known values that hold for both kernels: the conformance suite runs every case over the scalar and the vector
 * implementation.
 */
class KnownValuesTest
{
    static Stream<Kernels> kernels()
    {
        return Stream.of(Fixtures.SCALAR, Fixtures.VECTOR);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void shouldTransformPrioritiesAsTheFormulasSay(final Kernels kernels)
    {
        final double[] d = {-3.0, 0.0, 0.5, 4.0, -0.25, 1.0, 2.0, 9.0, 16.0};
        final double[] out = new double[d.length];
        kernels.perPriority(d, 0, out, 0, d.length, 0.5, 0.0);
        // Square roots of exact squares are exact to within the 1 ulp pow allows.
        assertEquals(Math.sqrt(3.0), out[0], Math.ulp(Math.sqrt(3.0)));
        assertEquals(0.0, out[1], 0.0);
        assertEquals(4.0, out[8], Math.ulp(4.0));
        kernels.perPriority(d, 0, out, 0, d.length, 1.0, 0.5);
        assertEquals(3.5, out[0], Math.ulp(3.5));
        assertEquals(0.5, out[1], Math.ulp(0.5));
        kernels.perPriority(d, 0, out, 0, d.length, 0.0, 0.0);
        for (final double v : out)
        {
            assertEquals(1.0, v, 0.0, "x^0 = 1, also 0^0");
        }
        kernels.lapPriority(d, 0, out, 0, d.length, 1.0, 1.0);
        assertArrayEquals(new double[] {3.0, 1.0, 1.0, 4.0, 1.0, 1.0, 2.0, 9.0, 16.0}, out, 1e-15);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void shouldNormaliseImportanceWeightsToAMaximumOfOne(final Kernels kernels)
    {
        final SplittableRandom random = new SplittableRandom(5);
        final int n = 37;
        final double[] mass = new double[n];
        for (int i = 0; i < n; i++)
        {
            mass[i] = 0.1 + random.nextDouble();
        }
        final double[] w = new double[n];
        final double min = kernels.importanceWeightsBatchMax(mass, w, n, 0.4);
        double max = 0.0;
        for (int i = 0; i < n; i++)
        {
            max = Math.max(max, w[i]);
            // w_i = (m_i / min)^-0.4 and (N P_i)^-b / max_j (N P_j)^-b are the same number.
            assertEquals(Math.pow(mass[i] / min, -0.4), w[i], 4 * Math.ulp(w[i]));
        }
        assertEquals(1.0, max, 0.0, "the smallest mass has weight exactly 1");
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void shouldInvertValueRescaling(final Kernels kernels)
    {
        final SplittableRandom random = new SplittableRandom(11);
        final int n = 4099;
        final float[] x = new float[n];
        for (int i = 0; i < n; i++)
        {
            // Magnitudes from 1e-6 to 1e4, both signs.
            x[i] = (float)(Math.pow(10.0, -6 + 10 * random.nextDouble()) * (random.nextBoolean() ? 1 : -1));
        }
        x[0] = 0.0f;
        final float[] inverse = new float[n];
        final float[] back = new float[n];
        for (final float eps : new float[] {0.0f, 1e-3f})
        {
            kernels.valueRescaleInverse(x, 0, inverse, 0, n, eps);
            kernels.valueRescale(inverse, 0, back, 0, n, eps);
            for (int i = 0; i < n; i++)
            {
                // First-order rounding count (u = 2^-24). h^-1: y = 2a / (sqrt(1 + 4 eps a) + 1) with
                // a = |x| + fl(1 + eps) carries at most 7u relative error; r = (y - 1)(y + 1) ~ y^2 doubles it and
                // adds 3 roundings: 17u. h maps a relative error of its argument to at most the same relative error
                // of its value (y h'(y) / h(y) <= 1 for y >= 0) and adds about 5u of its own: 22u relative, taken
                // as 24u |x|. Near 0, y ~ 1 and y - 1 cancels: y's absolute error (7u) becomes about 14u in r and
                // h'(0) = 1/2 + eps halves it: 8u absolute.
                final double tolerance = 24.0 * U_FLOAT * Math.abs(x[i]) + 8.0 * U_FLOAT;
                assertEquals(x[i], back[i], tolerance,
                    "h(h^-1(" + x[i] + ")) eps=" + eps);
            }
        }
        // Known points: h(0) = 0, h(3) = 1 + 3 eps, h^-1(1) = 3 when eps = 0.
        final float[] one = {0.0f, 3.0f, -3.0f};
        final float[] out = new float[3];
        kernels.valueRescale(one, 0, out, 0, 3, 0.0f);
        assertArrayEquals(new float[] {0.0f, 1.0f, -1.0f}, out);
        kernels.valueRescaleInverse(new float[] {1.0f, -1.0f, 0.0f}, 0, out, 0, 3, 0.0f);
        assertArrayEquals(new float[] {3.0f, -3.0f, 0.0f}, out);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void shouldMixSequencePriorities(final Kernels kernels)
    {
        final double[] td = {1.0, -3.0, 2.0, 0.0, 0.5, -0.5};
        final double[] out = new double[2];
        kernels.sequencePriorities(td, 0, 2, 3, 0.9, out, 0);
        assertEquals(0.9 * 3.0 + 0.1 * 2.0, out[0], 1e-15);
        assertEquals(0.9 * 0.5 + 0.1 * (1.0 / 3.0), out[1], 1e-15);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void shouldComputeADenseLayerByHand(final Kernels kernels)
    {
        // x = [1, 2], w = [[1, -1, 0.5], [2, 1, -1]] (2 x 3), b = [0, 1, -4]: z = [5, 2, -5.5].
        final float[] x = {1.0f, 2.0f};
        final float[] w = {1.0f, -1.0f, 0.5f, 2.0f, 1.0f, -1.0f};
        final float[] b = {0.0f, 1.0f, -4.0f};
        final float[] y = new float[3];
        kernels.denseForward(x, 1, 2, w, 0, b, 0, 3, Activation.IDENTITY, y);
        assertArrayEquals(new float[] {5.0f, 2.0f, -5.5f}, y);
        kernels.denseForward(x, 1, 2, w, 0, b, 0, 3, Activation.RELU, y);
        assertArrayEquals(new float[] {5.0f, 2.0f, 0.0f}, y);
        final float[] dy = {1.0f, 1.0f, 1.0f};
        final float[] dx = new float[2];
        final float[] dw = new float[6];
        final float[] db = new float[3];
        kernels.denseBackward(x, 1, 2, w, 0, 3, Activation.RELU, y, dy, dx, dw, 0, db, 0);
        assertArrayEquals(new float[] {1.0f, 1.0f, 0.0f}, dy, "ReLU blocks the negative unit");
        assertArrayEquals(new float[] {1.0f, 1.0f, 0.0f}, db);
        assertArrayEquals(new float[] {1.0f, 1.0f, 0.0f, 2.0f, 2.0f, 0.0f}, dw);
        assertArrayEquals(new float[] {0.0f, 3.0f}, dx);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void shouldTakeTheFirstAdamStepOfSizeLearningRate(final Kernels kernels)
    {
        // With bias correction the first step is lr * g / (|g| + eps'), i.e. lr * sign(g) for |g| >> eps.
        final float[] p = {1.0f, 1.0f, 1.0f};
        final float[] g = {0.5f, -2.0f, 0.0f};
        kernels.adamStep(p, g, new float[3], new float[3], 3, 0.01f, 0.9f, 0.999f, 1e-8f, 1);
        assertEquals(0.99f, p[0], 1e-6f);
        assertEquals(1.01f, p[1], 1e-6f);
        assertEquals(1.0f, p[2], 0.0f);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void shouldComputeHuberLossAndGradient(final Kernels kernels)
    {
        final float[] prediction = {0.5f, 3.0f, -2.0f};
        final float[] target = {0.0f, 0.0f, 0.0f};
        final float[] weights = {1.0f, 1.0f, 0.5f};
        final float[] grad = new float[3];
        final float loss = kernels.huberLoss(prediction, target, weights, 3, 1.0f, grad);
        // 0.125 + (3 - 0.5) + 0.5 * (2 - 0.5) = 3.375, over 3.
        assertEquals(3.375f / 3, loss, 1e-7f);
        assertArrayEquals(new float[] {0.5f / 3, 1.0f / 3, -0.5f / 3}, grad, 1e-7f);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void shouldFindTheFirstMaximumOfEachRowAndIgnoreNaN(final Kernels kernels)
    {
        final float[] x = {
            1.0f, 3.0f, 3.0f,
            Float.NaN, -1.0f, -2.0f,
            Float.NaN, Float.NaN, Float.NaN,
            Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        final int[] out = new int[4];
        kernels.argmaxRows(x, 4, 3, out);
        assertArrayEquals(new int[] {1, 1, 0, 0}, out);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void shouldReduceExactly(final Kernels kernels)
    {
        final double[] values = {3.0, -1.0, 7.0, 0.5, 2.0, 2.0, -1.0, 6.0, 1.0, 9.0, -4.0, 0.0, 1.5};
        assertEquals(-4.0, kernels.min(values, values.length), 0.0);
        assertEquals(9.0, kernels.max(values, values.length), 0.0);
        assertEquals(26.0, kernels.sum(values, values.length), 0.0);
        assertEquals(3.0, kernels.min(values, 1), 0.0);
        assertEquals(0.0, kernels.sum(values, 0), 0.0);
    }
}
