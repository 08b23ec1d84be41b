package dev.rewind.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static dev.rewind.kernels.Fixtures.SCALAR;
import static dev.rewind.kernels.Fixtures.U_FLOAT;
import static dev.rewind.kernels.Fixtures.VECTOR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PSAN attention and similarity: vector against scalar with tolerances derived from float rounding, and known
 * values of both.
 *
 * <p>Derivation shared by the tolerances (u = 2^-24, B rows): both kernels compute every score as the same chain of
 * fused multiply-adds, so scores and row maxima are identical. Each {@code e = exp(s - m)} is within 1 float ulp
 * (at most 2u relative) of the exact value in both, so the two differ by at most 4u relative. Each row sum Z of B
 * positive terms is within gamma_B of its exact value in either order, so the two Z differ by at most
 * 2 gamma_B + 4u relative. Then:
 * <ul>
 * <li>{@code A_ij = e_ij * (1/Z)} (two more roundings each side): relative difference at most
 * 2 gamma_B + 8u + 4u;</li>
 * <li>{@code 1 - mean A_ii} (A_ii in double): absolute difference at most the same bound, since A_ii &lt;= 1;</li>
 * <li>entropy: {@code H_i = ln Z - W/Z} with {@code |W/Z| <= ln B} (as {@code 1 <= Z <= B} and
 * {@code 0 <= H <= ln B}); W is a sum of B terms {@code e (s - m)} with one more rounding each, so
 * {@code |dH| <= (2 gamma_B + 6u) (1 + 2 ln B)}, divided by {@code ln B} for the normalised measure.</li>
 * </ul>
 */
class PsanTest
{
    private static double zBound(final int rows)
    {
        return 2.0 * Fixtures.gamma(rows, U_FLOAT) + 4.0 * U_FLOAT;
    }

    private static double offDiagonalTolerance(final int rows)
    {
        return zBound(rows) + 12.0 * U_FLOAT;
    }

    private static double entropyTolerance(final int rows)
    {
        if (1 == rows)
        {
            return 0.0;
        }
        final double lnB = Math.log(rows);
        return (zBound(rows) + 6.0 * U_FLOAT) * (1.0 + 2.0 * lnB) / lnB;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 13, 255, 512})
    void shouldMatchScalarSimilarity(final int rows)
    {
        final SplittableRandom random = new SplittableRandom(rows);
        for (final int features : new int[] {1, 7, 13, 16, 255})
        {
            final float[] x = Fixtures.gaussianFloats(random, rows * features, 1.0);
            final PsanWorkspace scalarWs = PsanWorkspace.identity(rows, features);
            final PsanWorkspace vectorWs = PsanWorkspace.identity(rows, features);
            final double offScalar = SCALAR.psanSimilarity(x, rows, PsanMeasure.OFF_DIAGONAL, scalarWs);
            final double offVector = VECTOR.psanSimilarity(x, rows, PsanMeasure.OFF_DIAGONAL, vectorWs);
            assertEquals(offScalar, offVector, offDiagonalTolerance(rows), "B=" + rows + " d=" + features);
            final double entScalar = SCALAR.psanSimilarity(x, rows, PsanMeasure.ENTROPY, scalarWs);
            final double entVector = VECTOR.psanSimilarity(x, rows, PsanMeasure.ENTROPY, vectorWs);
            assertEquals(entScalar, entVector, entropyTolerance(rows), "entropy B=" + rows + " d=" + features);
            assertInUnitInterval(offVector);
            assertInUnitInterval(entVector);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 13, 255})
    void shouldMatchScalarSimilarityWithProjections(final int rows)
    {
        final SplittableRandom random = new SplittableRandom(rows + 1000);
        final int features = 13;
        for (final int projected : new int[] {1, 7, 16, 33})
        {
            final float[] x = Fixtures.gaussianFloats(random, rows * features, 1.0);
            final float[] wq = Fixtures.gaussianFloats(random, features * projected, 0.3);
            final float[] wk = Fixtures.gaussianFloats(random, features * projected, 0.3);
            final PsanWorkspace ws = PsanWorkspace.projected(rows, features, projected, wq, wk);
            final double s = SCALAR.psanSimilarity(x, rows, PsanMeasure.OFF_DIAGONAL, ws);
            final double v = VECTOR.psanSimilarity(x, rows, PsanMeasure.OFF_DIAGONAL, ws);
            assertEquals(s, v, offDiagonalTolerance(rows), "dk=" + projected);

            final PsanWorkspace seeded = PsanWorkspace.seededProjection(rows, features, projected, 42);
            assertEquals(SCALAR.psanSimilarity(x, rows, PsanMeasure.ENTROPY, seeded),
                VECTOR.psanSimilarity(x, rows, PsanMeasure.ENTROPY, seeded), entropyTolerance(rows));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 13, 255, 512})
    void shouldMatchScalarAttentionMatrixAndSumRowsToOne(final int rows)
    {
        final SplittableRandom random = new SplittableRandom(rows);
        final int features = 16;
        final float[] x = Fixtures.gaussianFloats(random, rows * features, 2.0);
        final PsanWorkspace scalarWs = PsanWorkspace.identity(rows, features);
        final PsanWorkspace vectorWs = PsanWorkspace.identity(rows, features);
        SCALAR.psanAttention(x, rows, scalarWs);
        VECTOR.psanAttention(x, rows, vectorWs);
        assertEquals(rows, vectorWs.attentionRows());
        final float[] a = scalarWs.attention();
        final float[] b = vectorWs.attention();
        final double relative = offDiagonalTolerance(rows);
        for (int i = 0; i < rows; i++)
        {
            double sumScalar = 0.0;
            double sumVector = 0.0;
            for (int j = 0; j < rows; j++)
            {
                final float expected = a[i * rows + j];
                // Relative bound, plus the smallest normal float for entries that underflow differently.
                assertEquals(expected, b[i * rows + j], relative * expected + Float.MIN_NORMAL, "A[" + i + "," +
                    j + "]");
                sumScalar += expected;
                sumVector += b[i * rows + j];
            }
            // sum_j e_ij * (1/Z): Z is within gamma_B of sum e, the reciprocal and each product add one rounding:
            // |sum - 1| <= gamma_B + 2u (the sum itself is taken in double).
            final double rowTolerance = Fixtures.gamma(rows, U_FLOAT) + 2.0 * U_FLOAT;
            assertEquals(1.0, sumScalar, rowTolerance, "scalar row " + i);
            assertEquals(1.0, sumVector, rowTolerance, "vector row " + i);
        }
    }

    @Test
    void shouldGiveOneMinusOneOverBForIdenticalRows()
    {
        for (final Kernels kernels : new Kernels[] {SCALAR, VECTOR})
        {
            for (final int rows : new int[] {2, 7, 64, 255})
            {
                final int features = 5;
                final float[] x = new float[rows * features];
                for (int i = 0; i < rows; i++)
                {
                    for (int j = 0; j < features; j++)
                    {
                        x[i * features + j] = 0.25f * (j + 1);
                    }
                }
                final PsanWorkspace ws = PsanWorkspace.identity(rows, features);
                // Equal scores give e = 1 exactly and Z = B exactly (integers), so A_ii = 1/B up to one rounding.
                assertEquals(1.0 - 1.0 / rows, kernels.psanSimilarity(x, rows, PsanMeasure.OFF_DIAGONAL, ws),
                    4 * U_FLOAT);
                // H = ln B exactly in real arithmetic: the normalised entropy is 1 up to the rounding of ln.
                assertEquals(1.0, kernels.psanSimilarity(x, rows, PsanMeasure.ENTROPY, ws), 1e-12);
            }
        }
    }

    @Test
    void shouldGiveZeroForOneRow()
    {
        for (final Kernels kernels : new Kernels[] {SCALAR, VECTOR})
        {
            final PsanWorkspace ws = PsanWorkspace.identity(4, 3);
            final float[] x = {1.0f, -2.0f, 3.0f};
            assertEquals(0.0, kernels.psanSimilarity(x, 1, PsanMeasure.OFF_DIAGONAL, ws), 0.0);
            assertEquals(0.0, kernels.psanSimilarity(x, 1, PsanMeasure.ENTROPY, ws), 0.0);
        }
    }

    @Test
    void shouldApproachZeroWhenEveryRowAttendsToItself()
    {
        for (final Kernels kernels : new Kernels[] {SCALAR, VECTOR})
        {
            // Orthogonal rows of norm 40: the self score is 1600/sqrt(d) above every other score.
            final int rows = 16;
            final float[] x = new float[rows * rows];
            for (int i = 0; i < rows; i++)
            {
                x[i * rows + i] = 40.0f;
            }
            final PsanWorkspace ws = PsanWorkspace.identity(rows, rows);
            assertEquals(0.0, kernels.psanSimilarity(x, rows, PsanMeasure.OFF_DIAGONAL, ws), 1e-12);
            assertEquals(0.0, kernels.psanSimilarity(x, rows, PsanMeasure.ENTROPY, ws), 1e-12);
        }
    }

    @Test
    void shouldNotOverflowOnHugeScores()
    {
        for (final Kernels kernels : new Kernels[] {SCALAR, VECTOR})
        {
            // Scores near 1e36 would overflow exp without subtracting the row maximum.
            final int rows = 9;
            final float[] x = new float[rows * 2];
            for (int i = 0; i < rows; i++)
            {
                x[2 * i] = 1e18f;
                x[2 * i + 1] = i;
            }
            final PsanWorkspace ws = PsanWorkspace.identity(rows, 2);
            final double value = kernels.psanSimilarity(x, rows, PsanMeasure.OFF_DIAGONAL, ws);
            assertTrue(Double.isFinite(value), "similarity " + value);
            kernels.psanAttention(x, rows, ws);
            for (int i = 0; i < rows * rows; i++)
            {
                assertTrue(Float.isFinite(ws.attention()[i]));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 13, 256})
    void shouldComputeThePairAsTwoSingleCalls(final int rows)
    {
        final SplittableRandom random = new SplittableRandom(rows);
        final int features = 16;
        final float[] uniform = Fixtures.gaussianFloats(random, rows * features, 1.0);
        final float[] prioritised = Fixtures.gaussianFloats(random, rows * features, 0.3);
        final PsanWorkspace ws = PsanWorkspace.identity(rows, features);
        for (final Kernels kernels : new Kernels[] {SCALAR, VECTOR})
        {
            final double[] pair = new double[2];
            kernels.psanSimilarityPair(uniform, prioritised, rows, PsanMeasure.OFF_DIAGONAL, ws, pair);
            assertEquals(kernels.psanSimilarity(uniform, rows, PsanMeasure.OFF_DIAGONAL, ws), pair[0], 0.0);
            assertEquals(kernels.psanSimilarity(prioritised, rows, PsanMeasure.OFF_DIAGONAL, ws), pair[1], 0.0);
        }
    }

    @Test
    void shouldRejectBadBatchSizes()
    {
        final PsanWorkspace ws = PsanWorkspace.identity(8, 4);
        for (final Kernels kernels : new Kernels[] {SCALAR, VECTOR})
        {
            final IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                () -> kernels.psanSimilarity(new float[64], 9, PsanMeasure.OFF_DIAGONAL, ws));
            assertTrue(tooMany.getMessage().contains("rows=9"), tooMany.getMessage());
            assertThrows(IllegalArgumentException.class,
                () -> kernels.psanSimilarity(new float[64], 0, PsanMeasure.OFF_DIAGONAL, ws));
            assertThrows(IllegalArgumentException.class,
                () -> kernels.psanSimilarity(new float[31], 8, PsanMeasure.OFF_DIAGONAL, ws));
        }
        assertThrows(IllegalArgumentException.class, () -> PsanWorkspace.identity(0, 4));
        assertThrows(IllegalArgumentException.class,
            () -> PsanWorkspace.projected(4, 3, 2, new float[6], new float[5]));
    }

    private static void assertInUnitInterval(final double value)
    {
        assertTrue(value >= 0.0 && value <= 1.0, "not in [0, 1]: " + value);
    }
}
