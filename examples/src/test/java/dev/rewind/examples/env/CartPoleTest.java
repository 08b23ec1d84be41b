package dev.rewind.examples.env;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CartPoleTest
{
    private static final double EPS = 1e-12;

    private final CartPole env = new CartPole();
    private final float[] obs = new float[4];

    @Test
    void shouldDescribeTheTask()
    {
        assertEquals("CartPole-v1", env.name());
        assertEquals(4, env.observationSize());
        assertEquals(2, env.actionCount());
        assertEquals(500, env.maxEpisodeSteps());
        assertEquals(475.0, env.solvedReturn());
        assertFalse(env.goalReaching());
    }

    /**
     * From rest, a push to the right: with m_c = 1, m_p = 0.1, l = 0.5, F = 10 the accelerations are exact fractions,
     * worked by hand: temp = F / (m_c + m_p) = 100/11, the denominator l (4/3 - m_p / (m_c + m_p)) = 41/66, so
     * theta_acc = -(100/11) / (41/66) = -600/41 and x_acc = 100/11 + 0.05 (600/41) / 1.1 = 400/41. Euler then gives
     * x_dot = 0.02 * 400/41 = 8/41 and theta_dot = -0.02 * 600/41 = -12/41, positions unchanged.
     */
    @Test
    void shouldTakeTheHandComputedFirstStepFromRest()
    {
        env.setState(0.0, 0.0, 0.0, 0.0);
        final double reward = env.step(1, obs);

        assertEquals(1.0, reward);
        assertEquals(0.0, env.x(), EPS);
        assertEquals(8.0 / 41.0, env.xDot(), EPS);
        assertEquals(0.0, env.theta(), EPS);
        assertEquals(-12.0 / 41.0, env.thetaDot(), EPS);
        assertArrayEquals(new float[]{0.0f, (float)(8.0 / 41.0), 0.0f, (float)(-12.0 / 41.0)}, obs);
        assertFalse(env.done());

        // Second push to the right: positions move by tau times the velocities of the first step.
        env.step(1, obs);
        assertEquals(0.02 * 8.0 / 41.0, env.x(), EPS);
        assertEquals(0.02 * -12.0 / 41.0, env.theta(), EPS);
    }

    @Test
    void shouldFollowTheTextbookEquationsFromAnArbitraryState()
    {
        final double[] s = {0.1, -0.2, 0.05, 0.3};
        env.setState(s[0], s[1], s[2], s[3]);
        final int[] actions = {0, 0, 1, 0, 1, 1, 1, 0};
        for (final int action : actions)
        {
            textbookEulerStep(s, action);
            env.step(action, obs);
            assertEquals(s[0], env.x(), EPS);
            assertEquals(s[1], env.xDot(), EPS);
            assertEquals(s[2], env.theta(), EPS);
            assertEquals(s[3], env.thetaDot(), EPS);
            for (int i = 0; i < 4; i++)
            {
                assertEquals((float)s[i], obs[i]);
            }
        }
    }

    /**
     * Florian (2007), "Correct equations for the dynamics of the cart-pole system", equations (21) and (22) without
     * friction, written independently of the environment's arrangement of the same terms.
     */
    private static void textbookEulerStep(final double[] s, final int action)
    {
        final double g = 9.8;
        final double mc = 1.0;
        final double mp = 0.1;
        final double l = 0.5;
        final double f = 1 == action ? 10.0 : -10.0;
        final double tau = 0.02;
        final double th = s[2];
        final double thd = s[3];
        final double pushTerm = (-f - mp * l * thd * thd * Math.sin(th)) / (mc + mp);
        final double thetaAcc = (g * Math.sin(th) + Math.cos(th) * pushTerm) /
            (l * (4.0 / 3.0 - mp * Math.cos(th) * Math.cos(th) / (mc + mp)));
        final double xAcc = (f + mp * l * (thd * thd * Math.sin(th) - thetaAcc * Math.cos(th))) / (mc + mp);
        s[0] += tau * s[1];
        s[1] += tau * xAcc;
        s[2] += tau * thd;
        s[3] += tau * thetaAcc;
    }

    @Test
    void shouldTerminateJustBeyondTheCartBoundaries()
    {
        env.setState(2.4, 0.0, 0.0, 0.0);
        env.step(0, obs);
        assertEquals(2.4, env.x());
        assertFalse(env.terminated(), "x == 2.4 is still inside (strict inequality)");

        env.setState(2.39, 1.0, 0.0, 0.0);
        assertEquals(1.0, env.step(0, obs), "the terminating step still pays 1 in v1");
        assertTrue(env.terminated());
        assertFalse(env.truncated());
        assertFalse(env.reachedGoal());

        env.setState(-2.39, -1.0, 0.0, 0.0);
        env.step(1, obs);
        assertTrue(env.terminated());
    }

    @Test
    void shouldTerminateJustBeyondTwelveDegrees()
    {
        final double limit = Math.toRadians(12.0);
        env.setState(0.0, 0.0, limit - 0.001, 0.1);
        env.step(1, obs);
        assertTrue(env.theta() > limit);
        assertTrue(env.terminated());

        env.setState(0.0, 0.0, -(limit - 0.001), -0.1);
        env.step(0, obs);
        assertTrue(env.terminated());

        env.setState(0.0, 0.0, limit - 0.003, 0.1);
        env.step(1, obs);
        assertTrue(env.theta() < limit);
        assertFalse(env.terminated());
    }

    @Test
    void shouldTruncateAtFiveHundredStepsUnderABalancingController()
    {
        env.reset(7L, obs);
        double episodeReturn = 0.0;
        while (!env.done())
        {
            final int action = obs[2] + 0.5f * obs[3] + 0.01f * obs[0] + 0.1f * obs[1] > 0 ? 1 : 0;
            episodeReturn += env.step(action, obs);
        }
        assertEquals(500.0, episodeReturn);
        assertEquals(500, env.episodeStep());
        assertTrue(env.truncated());
        assertFalse(env.terminated());
    }

    @Test
    void shouldResetUniformlyInsideTheBox()
    {
        env.reset(3L, obs);
        double min = 1.0;
        double max = -1.0;
        for (int i = 0; i < 2000; i++)
        {
            env.reset(obs);
            for (final float v : obs)
            {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        assertTrue(min >= -0.05 && min < -0.049, "min=" + min);
        assertTrue(max <= 0.05 && max > 0.049, "max=" + max);
        assertEquals(0, env.episodeStep());
    }

    @Test
    void shouldReplayTheSameEpisodeUnderTheSameSeed()
    {
        final CartPole other = new CartPole();
        final float[] otherObs = new float[4];
        env.reset(42L, obs);
        other.reset(42L, otherObs);
        assertArrayEquals(obs, otherObs);
        for (int i = 0; i < 30 && !env.done(); i++)
        {
            assertEquals(env.step(i % 3 == 0 ? 1 : 0, obs), other.step(i % 3 == 0 ? 1 : 0, otherObs));
            assertArrayEquals(obs, otherObs);
            assertEquals(env.done(), other.done());
        }
        env.reset(obs);
        other.reset(otherObs);
        assertArrayEquals(obs, otherObs, "unseeded resets continue the same stream");

        final float[] first = new float[4];
        env.reset(42L, first);
        other.reset(43L, otherObs);
        assertNotEquals(first[0], otherObs[0]);
    }

    @Test
    void shouldRejectMisuse()
    {
        assertThrows(IllegalStateException.class, () -> env.step(0, obs), "step before reset");
        env.reset(1L, obs);
        assertThrows(IllegalArgumentException.class, () -> env.step(2, obs));
        assertThrows(IllegalArgumentException.class, () -> env.step(-1, obs));
        assertThrows(IllegalArgumentException.class, () -> env.step(0, new float[3]));
        assertThrows(IllegalArgumentException.class, () -> env.reset(new float[3]));
        env.setState(2.39, 1.0, 0.0, 0.0);
        env.step(0, obs);
        assertThrows(IllegalStateException.class, () -> env.step(0, obs), "step after termination");
    }

    @Test
    void shouldMatchTheDocumentedRandomReturn()
    {
        final double measured = Environments.randomPolicyReturn(new CartPole(), 20_000, 11L);
        assertEquals(CartPole.RANDOM_RETURN, measured, 0.5);
    }
}
