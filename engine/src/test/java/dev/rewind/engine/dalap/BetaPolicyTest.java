package dev.rewind.engine.dalap;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BetaPolicyTest
{
    @Test
    void shouldHoldAConstant()
    {
        final BetaPolicy policy = BetaPolicy.constant(0.7);
        assertEquals(0.7, policy.beta(0));
        assertEquals(0.7, policy.beta(1_000_000));
        assertThrows(IllegalArgumentException.class, () -> BetaPolicy.constant(1.5));
        assertThrows(IllegalArgumentException.class, () -> BetaPolicy.constant(Double.NaN));
    }

    @Test
    void shouldAnnealLinearlyAndThenHold()
    {
        final BetaPolicy policy = BetaPolicy.linear(0.4, 1.0, 1000);
        assertEquals(0.4, policy.beta(0), 1e-15);
        assertEquals(0.7, policy.beta(500), 1e-15);
        assertEquals(1.0, policy.beta(1000), 1e-15);
        assertEquals(1.0, policy.beta(5000), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> BetaPolicy.linear(0.4, 1.0, 0));
    }

    @Test
    void shouldKeepDalapBetaWithinBetaMinAndOneWhateverTheIncrements()
    {
        final SplittableRandom random = new SplittableRandom(7);
        for (final boolean signed : new boolean[]{false, true})
        {
            for (final double betaMin : new double[]{0.0, 0.4, 0.9, 1.0})
            {
                final DalapBeta policy = new DalapBeta(betaMin, 0.9, 5, signed);
                for (int i = 0; i < 5_000; i++)
                {
                    final double scale = Math.pow(10, random.nextInt(-6, 3));
                    final double beta = policy.update((random.nextDouble() * 2 - 1) * scale);
                    assertTrue(beta >= betaMin && beta <= 1.0, "beta=" + beta + " betaMin=" + betaMin);
                    assertEquals(beta, policy.beta(i));
                }
            }
        }
    }

    @Test
    void shouldHoldBetaMinDuringWarmUpThenFollowTheSmoothedIncrement()
    {
        final DalapBeta policy = new DalapBeta(0.4, 0.0, 3, false);
        assertEquals(0.4, policy.beta());
        assertEquals(0.4, policy.update(0.2));
        assertEquals(0.4, policy.update(0.2));
        assertEquals(0.4, policy.update(0.2));
        // First value after the warm-up sets the scale: |D| / max|D| = 1.
        assertEquals(1.0, policy.update(0.2), 1e-15);
        // Half the largest shift seen gives half the range above betaMin.
        assertEquals(0.4 + 0.6 * 0.5, policy.update(0.1), 1e-15);
        assertEquals(0.4 + 0.6 * 0.5, policy.update(-0.1), 1e-15);
        assertEquals(0.4, policy.update(0.0), 1e-15);
    }

    @Test
    void shouldGiveBetaMinForANegativeIncrementWhenSigned()
    {
        final DalapBeta policy = new DalapBeta(0.4, 0.0, 0, true);
        assertEquals(1.0, policy.update(0.3), 1e-15);
        assertEquals(0.4, policy.update(-0.3), 1e-15);
        assertEquals(0.4 + 0.6 / 3, policy.update(0.1), 1e-15);
    }

    @Test
    void shouldSmoothWithoutBiasTowardsZero()
    {
        final DalapBeta policy = new DalapBeta(0.4, 0.99, 0, false);
        policy.update(0.05);
        assertEquals(0.05, policy.smoothedIncrement(), 1e-15);
        for (int i = 0; i < 10; i++)
        {
            policy.update(0.05);
        }
        assertEquals(0.05, policy.smoothedIncrement(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> policy.update(Double.NaN));
    }

    @Test
    void shouldRejectBadParameters()
    {
        assertThrows(IllegalArgumentException.class, () -> new DalapBeta(-0.1, 0.99, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new DalapBeta(0.4, 1.0, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new DalapBeta(0.4, 0.99, -1, false));
    }
}
