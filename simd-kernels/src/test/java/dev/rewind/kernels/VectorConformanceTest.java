package dev.rewind.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static dev.rewind.kernels.Fixtures.SCALAR;
import static dev.rewind.kernels.Fixtures.U_DOUBLE;
import static dev.rewind.kernels.Fixtures.U_FLOAT;
import static dev.rewind.kernels.Fixtures.VECTOR;
import static dev.rewind.kernels.Fixtures.gamma;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The vector kernels against their scalar twins at awkward sizes on random data. Each tolerance is derived in a
 * comment from the arithmetic of the two implementations; "exact" means both perform the same correctly rounded
 * operations in the same order.
 */
class VectorConformanceTest
{
    @Test
    void shouldRunTheVectorKernelsUnderSurefire()
    {
        // Surefire passes --add-modules=jdk.incubator.vector: the conformance tests must not silently compare the
        // scalar kernels with themselves, and the provider must choose the vector kernels wherever they pay.
        assertTrue(ModuleLayer.boot().findModule(KernelProvider.VECTOR_MODULE).isPresent(), "no vector module");
        assertTrue(VECTOR instanceof VectorKernels, VECTOR.description());
        assertEquals(VectorKernels.preferredFloatLanes() >= KernelProvider.fewestFloatLanes(),
            Kernels.best() instanceof VectorKernels,
            Kernels.best().description());
    }

    /**
     * pow: {@code Math.pow} and the vector POW are each within 1 ulp of the exact value e (the vector API follows
     * Math.pow's accuracy specification), on identical inputs (the inputs are formed by the same correctly rounded
     * abs/add/max/div). So |v - s| <= 2 ulp(e), and ulp(e) <= 2 ulp(s) (s may sit just below a binade boundary):
     * tolerance 4 ulp(s).
     */
    private static void assertPowClose(final double[] expected, final double[] actual, final int n)
    {
        for (int i = 0; i < n; i++)
        {
            final double tolerance = 4.0 * Math.ulp(expected[i]);
            assertEquals(expected[i], actual[i], tolerance, "index " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 13, 255, 1023, 4099})
    void shouldMatchScalarPerPriority(final int n)
    {
        final SplittableRandom random = new SplittableRandom(n);
        final double[] d = Fixtures.randomDoubles(random, n + 3, 10.0);
        d[3] = 0.0;
        final double[] expected = new double[n + 5];
        final double[] actual = new double[n + 5];
        for (final double alpha : new double[] {0.0, 0.4, 0.6, 1.0, 2.5})
        {
            SCALAR.perPriority(d, 3, expected, 5, n, alpha, 1e-6);
            VECTOR.perPriority(d, 3, actual, 5, n, alpha, 1e-6);
            assertPowClose(expected, actual, n + 5);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 13, 255, 1023, 4099})
    void shouldMatchScalarLapPriority(final int n)
    {
        final SplittableRandom random = new SplittableRandom(n);
        final double[] d = Fixtures.randomDoubles(random, n, 3.0);
        final double[] expected = new double[n];
        final double[] actual = new double[n];
        for (final double kappa : new double[] {0.01, 1.0})
        {
            SCALAR.lapPriority(d, 0, expected, 0, n, 0.4, kappa);
            VECTOR.lapPriority(d, 0, actual, 0, n, 0.4, kappa);
            assertPowClose(expected, actual, n);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 13, 255, 1023, 4099})
    void shouldMatchScalarImportanceWeights(final int n)
    {
        final SplittableRandom random = new SplittableRandom(n);
        final double[] mass = new double[n];
        for (int i = 0; i < n; i++)
        {
            mass[i] = 1e-3 + random.nextDouble() * 5.0;
        }
        final double[] expected = new double[n];
        final double[] actual = new double[n];
        for (final double beta : new double[] {0.0, 0.4, 1.0})
        {
            SCALAR.importanceWeights(mass, expected, n, 1e-3, beta);
            VECTOR.importanceWeights(mass, actual, n, 1e-3, beta);
            assertPowClose(expected, actual, n);
            final double minScalar = SCALAR.importanceWeightsBatchMax(mass, expected, n, beta);
            final double minVector = VECTOR.importanceWeightsBatchMax(mass, actual, n, beta);
            assertEquals(minScalar, minVector, 0.0);
            assertPowClose(expected, actual, n);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 13, 255, 1023, 4099})
    void shouldMatchScalarReductionsOnArrays(final int n)
    {
        final SplittableRandom random = new SplittableRandom(n);
        final double[] values = Fixtures.randomDoubles(random, n, 100.0);
        // min and max are exact in any order.
        assertEquals(SCALAR.min(values, n), VECTOR.min(values, n), 0.0);
        assertEquals(SCALAR.max(values, n), VECTOR.max(values, n), 0.0);
        // sum: each order is within gamma_n * sum|x| of the exact sum, so the two are within 2 gamma_n sum|x|.
        double sumAbs = 0.0;
        for (final double v : values)
        {
            sumAbs += Math.abs(v);
        }
        assertEquals(SCALAR.sum(values, n), VECTOR.sum(values, n), 2.0 * gamma(n, U_DOUBLE) * sumAbs);
    }

    /**
     * Min and max follow Java's rules bit for bit where a compare-and-blend loop would not by itself: a NaN anywhere
     * wins, {@code -0.0} is below {@code +0.0}, and infinities of both signs may meet. Each special value is planted
     * at every kind of position (first vector, the four-chain loop, the single-vector loop, the scalar tail).
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 7, 13, 16, 24, 40, 64, 255, 1023, 4099})
    void shouldMatchScalarMinAndMaxBitForBitOnSpecialValues(final int n)
    {
        final SplittableRandom random = new SplittableRandom(n);
        final double[][] plants = {
            {Double.NaN}, {-0.0, 0.0}, {0.0, -0.0}, {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY},
            {Double.NEGATIVE_INFINITY}, {Double.POSITIVE_INFINITY}};
        for (final double[] plant : plants)
        {
            for (int trial = 0; trial < 20; trial++)
            {
                // Positive values, so that a planted zero is the minimum.
                final double[] values = new double[n];
                for (int i = 0; i < n; i++)
                {
                    values[i] = random.nextDouble(1e-3, 100.0);
                }
                // The first trials plant at index 0 (the segment form's accumulators start from it), then anywhere.
                for (final double special : plant)
                {
                    values[trial < 2 ? 0 : random.nextInt(n)] = special;
                }
                final String what = "n=" + n + " plant=" + java.util.Arrays.toString(plant);
                assertEquals(Double.doubleToRawLongBits(SCALAR.min(values, n)),
                    Double.doubleToRawLongBits(VECTOR.min(values, n)), "min " + what);
                assertEquals(Double.doubleToRawLongBits(SCALAR.max(values, n)),
                    Double.doubleToRawLongBits(VECTOR.max(values, n)), "max " + what);
                try (Arena arena = Arena.ofConfined())
                {
                    final MemorySegment segment = Fixtures.segmentOf(arena, values);
                    assertEquals(Double.doubleToRawLongBits(SCALAR.min(segment, 0, n)),
                        Double.doubleToRawLongBits(VECTOR.min(segment, 0, n)), "segment min " + what);
                    assertEquals(Double.doubleToRawLongBits(SCALAR.max(segment, 0, n)),
                        Double.doubleToRawLongBits(VECTOR.max(segment, 0, n)), "segment max " + what);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 13, 255, 1023, 4099})
    void shouldMatchScalarReductionsOnSegments(final int n)
    {
        final SplittableRandom random = new SplittableRandom(n);
        final double[] values = Fixtures.randomDoubles(random, n + 1, 100.0);
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment segment = Fixtures.segmentOf(arena, values);
            // Start one double in, so the run is not the segment's first byte.
            assertEquals(SCALAR.min(segment, 8, n), VECTOR.min(segment, 8, n), 0.0);
            assertEquals(SCALAR.max(segment, 8, n), VECTOR.max(segment, 8, n), 0.0);
            double sumAbs = 0.0;
            for (int i = 1; i <= n; i++)
            {
                sumAbs += Math.abs(values[i]);
            }
            assertEquals(SCALAR.sum(segment, 8, n), VECTOR.sum(segment, 8, n), 2.0 * gamma(n, U_DOUBLE) * sumAbs);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 13, 255, 1023, 4099})
    void shouldMatchScalarSequencePriorities(final int length)
    {
        final SplittableRandom random = new SplittableRandom(length);
        final int sequences = 3;
        final double[] td = Fixtures.randomDoubles(random, sequences * length + 2, 4.0);
        final double[] expected = new double[sequences + 1];
        final double[] actual = new double[sequences + 1];
        final double eta = 0.9;
        SCALAR.sequencePriorities(td, 2, sequences, length, eta, expected, 1);
        VECTOR.sequencePriorities(td, 2, sequences, length, eta, actual, 1);
        for (int s = 0; s < sequences; s++)
        {
            double sumAbs = 0.0;
            for (int t = 0; t < length; t++)
            {
                sumAbs += Math.abs(td[2 + s * length + t]);
            }
            // The max is exact; the two sums differ by at most 2 gamma_L sum|d|, scaled by (1 - eta) / L in the
            // mix; the mix's own three roundings add at most 4 ulp of the result on each side.
            final double tolerance = (1.0 - eta) * 2.0 * gamma(length, U_DOUBLE) * sumAbs / length +
                8.0 * Math.ulp(expected[1 + s]);
            assertEquals(expected[1 + s], actual[1 + s], tolerance, "sequence " + s);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 13, 255, 1023, 4099})
    void shouldMatchScalarValueRescalingExactly(final int n)
    {
        final SplittableRandom random = new SplittableRandom(n);
        final float[] x = Fixtures.randomFloats(random, n, 1000.0);
        x[0] = -0.0f;
        final float[] expected = new float[n];
        final float[] actual = new float[n];
        for (final float eps : new float[] {0.0f, 1e-3f, 0.5f})
        {
            SCALAR.valueRescale(x, 0, expected, 0, n, eps);
            VECTOR.valueRescale(x, 0, actual, 0, n, eps);
            assertArrayEquals(expected, actual);
            SCALAR.valueRescaleInverse(x, 0, expected, 0, n, eps);
            VECTOR.valueRescaleInverse(x, 0, actual, 0, n, eps);
            assertArrayEquals(expected, actual);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 13, 255, 1023, 4099})
    void shouldMatchScalarStandardisationExactly(final int features)
    {
        final SplittableRandom random = new SplittableRandom(features);
        final int rows = 5;
        final float[] x = Fixtures.randomFloats(random, rows * features, 50.0);
        final float[] mean = Fixtures.randomFloats(random, features, 5.0);
        final float[] invStd = Fixtures.randomFloats(random, features, 2.0);
        final float[] expected = new float[rows * features];
        final float[] actual = new float[rows * features];
        SCALAR.standardise(x, rows, features, mean, invStd, expected);
        VECTOR.standardise(x, rows, features, mean, invStd, actual);
        assertArrayEquals(expected, actual);

        try (Arena arena = Arena.ofConfined())
        {
            // Rows scattered in a segment at odd strides, as sampled records would be.
            final long stride = features * 4L + 12;
            final MemorySegment segment = arena.allocate(stride * rows + 4, 4);
            final long[] rowOffsets = new long[rows];
            for (int r = 0; r < rows; r++)
            {
                rowOffsets[r] = 4 + stride * (rows - 1 - r);
                for (int j = 0; j < features; j++)
                {
                    segment.set(ScalarKernels.LE_FLOAT, rowOffsets[r] + 4L * j, x[r * features + j]);
                }
            }
            final float[] fromSegment = new float[rows * features];
            SCALAR.standardiseRows(segment, rowOffsets, rows, features, mean, invStd, fromSegment);
            assertArrayEquals(expected, fromSegment);
            VECTOR.standardiseRows(segment, rowOffsets, rows, features, mean, invStd, fromSegment);
            assertArrayEquals(expected, fromSegment);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 13, 255, 1023, 4099})
    void shouldMatchScalarAdamExactly(final int n)
    {
        final SplittableRandom random = new SplittableRandom(n);
        final float[] paramsScalar = Fixtures.randomFloats(random, n, 1.0);
        final float[] paramsVector = paramsScalar.clone();
        final float[] mScalar = new float[n];
        final float[] vScalar = new float[n];
        final float[] mVector = new float[n];
        final float[] vVector = new float[n];
        for (int step = 1; step <= 3; step++)
        {
            final float[] grads = Fixtures.randomFloats(random, n, 0.1);
            SCALAR.adamStep(paramsScalar, grads, mScalar, vScalar, n, 1e-3f, 0.9f, 0.999f, 1e-8f, step);
            VECTOR.adamStep(paramsVector, grads, mVector, vVector, n, 1e-3f, 0.9f, 0.999f, 1e-8f, step);
            assertArrayEquals(paramsScalar, paramsVector);
            assertArrayEquals(mScalar, mVector);
            assertArrayEquals(vScalar, vVector);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 13, 255, 1023, 4099})
    void shouldMatchScalarHuber(final int n)
    {
        final SplittableRandom random = new SplittableRandom(n);
        final float[] prediction = Fixtures.randomFloats(random, n, 3.0);
        final float[] target = Fixtures.randomFloats(random, n, 3.0);
        final float[] weights = Fixtures.randomFloats(random, n, 1.0);
        for (int i = 0; i < n; i++)
        {
            weights[i] = Math.abs(weights[i]);
        }
        final float[] gradScalar = new float[n];
        final float[] gradVector = new float[n];
        for (final float[] w : new float[][] {weights, null})
        {
            final float lossScalar = SCALAR.huberLoss(prediction, target, w, n, 1.0f, gradScalar);
            final float lossVector = VECTOR.huberLoss(prediction, target, w, n, 1.0f, gradVector);
            assertArrayEquals(gradScalar, gradVector);
            // The n weighted terms are summed in two orders (each within gamma_n sum|t| in float), then divided
            // by n (one more rounding each): 2 gamma_n sum|t| / n + 2 ulp.
            double sumAbs = 0.0;
            for (int i = 0; i < n; i++)
            {
                final double e = Math.abs(prediction[i] - target[i]);
                sumAbs += (null == w ? 1.0 : w[i]) * (e <= 1.0 ? 0.5 * e * e : e - 0.5);
            }
            assertEquals(lossScalar, lossVector, 2.0 * gamma(n, U_FLOAT) * sumAbs / n + 2 * Math.ulp(lossScalar));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 13, 255})
    void shouldMatchScalarDenseLayer(final int width)
    {
        final SplittableRandom random = new SplittableRandom(width);
        for (final int batch : new int[] {1, 7, 64})
        {
            for (final int[] shape : new int[][] {{width, 64}, {13, width}, {4, 2}})
            {
                final int in = shape[0];
                final int out = shape[1];
                final float[] x = Fixtures.randomFloats(random, batch * in, 1.0);
                final float[] w = Fixtures.randomFloats(random, 3 + in * out, 0.5);
                final float[] b = Fixtures.randomFloats(random, 1 + out, 0.1);
                for (final Activation act : Activation.values())
                {
                    final float[] yScalar = new float[batch * out];
                    final float[] yVector = new float[batch * out];
                    SCALAR.denseForward(x, batch, in, w, 3, b, 1, out, act, yScalar);
                    VECTOR.denseForward(x, batch, in, w, 3, b, 1, out, act, yVector);
                    assertArrayEquals(yScalar, yVector, "forward " + act);

                    final float[] dyScalar = Fixtures.randomFloats(random, batch * out, 1.0);
                    final float[] dyVector = dyScalar.clone();
                    final float[] dxScalar = new float[batch * in];
                    final float[] dxVector = new float[batch * in];
                    final float[] dwScalar = new float[2 + in * out];
                    final float[] dwVector = new float[2 + in * out];
                    final float[] dbScalar = new float[out];
                    final float[] dbVector = new float[out];
                    SCALAR.denseBackward(x, batch, in, w, 3, out, act, yScalar, dyScalar, dxScalar, dwScalar, 2,
                        dbScalar, 0);
                    VECTOR.denseBackward(x, batch, in, w, 3, out, act, yVector, dyVector, dxVector, dwVector, 2,
                        dbVector, 0);
                    assertArrayEquals(dyScalar, dyVector, "dz " + act);
                    assertArrayEquals(dwScalar, dwVector, "dw " + act);
                    assertArrayEquals(dbScalar, dbVector, "db " + act);
                    // dx is a dot product over `out` terms associated differently: 2 gamma_out sum|dz w|.
                    for (int r = 0; r < batch; r++)
                    {
                        for (int k = 0; k < in; k++)
                        {
                            double sumAbs = 0.0;
                            for (int o = 0; o < out; o++)
                            {
                                sumAbs += Math.abs(dyScalar[r * out + o] * w[3 + k * out + o]);
                            }
                            assertEquals(dxScalar[r * in + k], dxVector[r * in + k],
                                2.0 * gamma(out, U_FLOAT) * sumAbs, "dx " + act);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 13, 255})
    void shouldMatchScalarArgmax(final int cols)
    {
        final SplittableRandom random = new SplittableRandom(cols);
        final int rows = 9;
        final float[] x = Fixtures.randomFloats(random, rows * cols, 1.0);
        final int[] expected = new int[rows];
        final int[] actual = new int[rows];
        SCALAR.argmaxRows(x, rows, cols, expected);
        VECTOR.argmaxRows(x, rows, cols, actual);
        assertArrayEquals(expected, actual);
    }
}
