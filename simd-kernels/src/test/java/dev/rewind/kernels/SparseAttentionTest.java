package dev.rewind.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static dev.rewind.kernels.Fixtures.SCALAR;
import static dev.rewind.kernels.Fixtures.U_DOUBLE;
import static dev.rewind.kernels.Fixtures.VECTOR;
import static dev.rewind.kernels.Fixtures.gamma;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Confusion, contribution and the confusion-contribution loss (seed 001): known values, the gradient against
 * central finite differences, and vector against scalar.
 */
class SparseAttentionTest
{
    /** Rows of positive weights summing to 1, each entry at least {@code floor}. */
    private static double[] attentionRows(final SplittableRandom random, final int rows, final int clusters,
        final double floor)
    {
        final double[] a = new double[rows * clusters];
        for (int t = 0; t < rows; t++)
        {
            double sum = 0.0;
            for (int i = 0; i < clusters; i++)
            {
                a[t * clusters + i] = random.nextDouble();
                sum += a[t * clusters + i];
            }
            for (int i = 0; i < clusters; i++)
            {
                a[t * clusters + i] = floor + (1.0 - clusters * floor) * a[t * clusters + i] / sum;
            }
        }
        return a;
    }

    @Test
    void shouldGiveOneOverNbForAOneHotRowAndOneForAUniformRow()
    {
        for (final Kernels kernels : new Kernels[] {SCALAR, VECTOR})
        {
            for (final int clusters : new int[] {1, 4, 7, 16, 33})
            {
                final double[] a = new double[2 * clusters];
                a[clusters - 1] = 1.0;
                for (int i = 0; i < clusters; i++)
                {
                    a[clusters + i] = 1.0 / clusters;
                }
                final double[] confusion = new double[2];
                kernels.confusion(a, 2, clusters, confusion);
                assertEquals(1.0 / clusters, confusion[0], 0.0, "one-hot, N_b=" + clusters);
                // The uniform row's sum of squares has N_b roundings: gamma_Nb relative, plus 2 more for 1/(N q).
                assertEquals(1.0, confusion[1], gamma(clusters, U_DOUBLE) + 2 * U_DOUBLE, "uniform");
            }
        }
    }

    @Test
    void shouldGiveContributionOfOneHotRowsAsTheirShare()
    {
        for (final Kernels kernels : new Kernels[] {SCALAR, VECTOR})
        {
            // Four one-hot rows: three on mode 0, one on mode 2. confusion = 1/N_b each, rho_i = share / N_b.
            final int clusters = 4;
            final double[] a = new double[4 * clusters];
            a[0] = 1.0;
            a[clusters] = 1.0;
            a[2 * clusters] = 1.0;
            a[3 * clusters + 2] = 1.0;
            final double[] confusion = new double[4];
            final double[] rho = new double[clusters];
            kernels.confusion(a, 4, clusters, confusion);
            kernels.contribution(a, 4, clusters, confusion, rho);
            assertArrayEquals(new double[] {0.75 / 4, 0.0, 0.25 / 4, 0.0}, rho, 1e-17);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 7, 13, 16})
    void shouldMatchFiniteDifferencesOfTheLoss(final int clusters)
    {
        final SplittableRandom random = new SplittableRandom(clusters);
        final int rows = 6;
        final double k1 = 0.7;
        final double k2 = -0.3;
        final double[] a = attentionRows(random, rows, clusters, 0.05 / clusters);
        for (final Kernels kernels : new Kernels[] {SCALAR, VECTOR})
        {
            final double[] grad = new double[rows * clusters];
            kernels.confusionContributionLoss(a, rows, clusters, k1, k2, new double[rows], new double[clusters],
                grad);
            // Central differences: D(h) = g + C h^2 + O(h^4) plus a rounding error of at most 2 eps |L| / h
            // (eps = 2^-52, two loss evaluations each within eps |L|). So D(2h) - D(h) = 3 C h^2 estimates the
            // truncation error of D(h) three times over: tolerance |D(2h) - D(h)| + the rounding errors of both
            // quotients, 2 eps |L| / h + 2 eps |L| / (2h).
            final double h = 1e-5;
            for (int i = 0; i < rows * clusters; i++)
            {
                final double step1 = centralDifference(kernels, a, rows, clusters, k1, k2, i, h);
                final double step2 = centralDifference(kernels, a, rows, clusters, k1, k2, i, 2 * h);
                final double loss = Math.max(1.0, Math.abs(kernels.confusionContributionLoss(a, rows, clusters, k1,
                    k2, new double[rows], new double[clusters], null)));
                final double tolerance = Math.abs(step2 - step1) + 3.0 * 0x1p-52 * loss / h;
                assertEquals(step1, grad[i], tolerance, "dL/da[" + i + "] N_b=" + clusters);
            }
        }
    }

    private static double centralDifference(final Kernels kernels, final double[] a, final int rows,
        final int clusters, final double k1, final double k2, final int index, final double h)
    {
        final double[] plus = a.clone();
        final double[] minus = a.clone();
        plus[index] += h;
        minus[index] -= h;
        final double lPlus = kernels.confusionContributionLoss(plus, rows, clusters, k1, k2, new double[rows],
            new double[clusters], null);
        final double lMinus = kernels.confusionContributionLoss(minus, rows, clusters, k1, k2, new double[rows],
            new double[clusters], null);
        // Divide by the step actually taken (a + h rounds), not by 2h.
        return (lPlus - lMinus) / ((plus[index] - a[index]) + (a[index] - minus[index]));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 13, 255, 1023, 4099})
    void shouldMatchScalarMetrics(final int clusters)
    {
        final SplittableRandom random = new SplittableRandom(clusters);
        final int rows = 5;
        final double[] a = attentionRows(random, rows, clusters, 0.0);
        final double[] confusionScalar = new double[rows];
        final double[] confusionVector = new double[rows];
        SCALAR.confusion(a, rows, clusters, confusionScalar);
        VECTOR.confusion(a, rows, clusters, confusionVector);
        // q_t: N_b squares summed in two orders (2 gamma_Nb relative), then 1/(N_b q): two roundings each side.
        final double confusionRelative = 2.0 * gamma(clusters, U_DOUBLE) + 4.0 * U_DOUBLE;
        for (int t = 0; t < rows; t++)
        {
            assertEquals(confusionScalar[t], confusionVector[t], confusionRelative * confusionScalar[t]);
        }
        // The contribution is the same fused chain over t, then one division: exact given the same confusions.
        final double[] rhoScalar = new double[clusters];
        final double[] rhoVector = new double[clusters];
        SCALAR.contribution(a, rows, clusters, confusionScalar, rhoScalar);
        VECTOR.contribution(a, rows, clusters, confusionScalar, rhoVector);
        assertArrayEquals(rhoScalar, rhoVector, 0.0);

        final double k1 = 1.0;
        final double k2 = 0.5;
        final double[] gradScalar = new double[rows * clusters];
        final double[] gradVector = new double[rows * clusters];
        final double lossScalar = SCALAR.confusionContributionLoss(a, rows, clusters, k1, k2, confusionScalar,
            rhoScalar, gradScalar);
        final double lossVector = VECTOR.confusionContributionLoss(a, rows, clusters, k1, k2, confusionVector,
            rhoVector, gradVector);
        // ln confusion_t and ln R each move by at most their argument's relative difference (confusionRelative,
        // and R's 2 gamma_Nb + the rho differences it inherits, bounded the same way); the sums of logs add T
        // roundings of at most u |partial sum| on each side.
        double maxLog = 0.0;
        for (int t = 0; t < rows; t++)
        {
            maxLog = Math.max(maxLog, Math.abs(Math.log(confusionScalar[t])));
        }
        final double lossTolerance = (Math.abs(k1) + Math.abs(k2)) * 2.0 * confusionRelative +
            2.0 * gamma(rows, U_DOUBLE) * Math.abs(k1) * maxLog + 4.0 * Math.ulp(lossScalar);
        assertEquals(lossScalar, lossVector, lossTolerance);
        // Gradient g = c1 a + c2 (rho - c3 a): c1, c2, c3 inherit at most 3 confusionRelative each from q, R and
        // rho.a_t (sums of N_b terms), and the expression adds 4 roundings: bound 4 confusionRelative times the
        // magnitude of its terms.
        double r = 0.0;
        for (final double rho : rhoScalar)
        {
            r += rho * rho;
        }
        for (int t = 0; t < rows; t++)
        {
            double q = 0.0;
            double rhoDotA = 0.0;
            for (int i = 0; i < clusters; i++)
            {
                q += a[t * clusters + i] * a[t * clusters + i];
                rhoDotA += rhoScalar[i] * a[t * clusters + i];
            }
            final double c1 = 2.0 * k1 / (rows * q);
            final double c2 = 2.0 * k2 * confusionScalar[t] / (rows * r);
            final double c3 = 2.0 * rhoDotA / q;
            for (int i = 0; i < clusters; i++)
            {
                final double ai = a[t * clusters + i];
                final double magnitude = Math.abs(c1 * ai) + Math.abs(c2) * (Math.abs(rhoScalar[i]) +
                    Math.abs(c3 * ai));
                assertEquals(gradScalar[t * clusters + i], gradVector[t * clusters + i],
                    4.0 * confusionRelative * magnitude, "grad " + t + "," + i);
            }
        }
    }
}
