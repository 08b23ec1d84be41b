package dev.rewind.examples.env;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MountainCarTest
{
    private static final double EPS = 1e-15;

    private final MountainCar env = new MountainCar();
    private final float[] obs = new float[2];

    @Test
    void shouldDescribeTheTask()
    {
        assertEquals("MountainCar-v0", env.name());
        assertEquals(2, env.observationSize());
        assertEquals(3, env.actionCount());
        assertEquals(200, env.maxEpisodeSteps());
        assertEquals(-110.0, env.solvedReturn());
        assertTrue(env.goalReaching());
    }

    @Test
    void shouldTakeTheHandComputedSteps()
    {
        // From the valley floor x = -pi/6 the slope term cos(3x) = cos(-pi/2) vanishes: only the engine acts.
        final double floor = -Math.PI / 6.0;
        env.setState(floor, 0.0);
        assertEquals(-1.0, env.step(2, obs));
        assertEquals(0.001, env.velocity(), EPS);
        assertEquals(floor + 0.001, env.position(), EPS);

        // From x = -0.3 at rest with no push: v = -0.0025 cos(-0.9), x = -0.3 + v.
        env.setState(-0.3, 0.0);
        env.step(1, obs);
        final double v = -0.0025 * Math.cos(-0.9);
        assertEquals(v, env.velocity(), EPS);
        assertEquals(-0.3 + v, env.position(), EPS);
        assertEquals((float)(-0.3 + v), obs[0]);
        assertEquals((float)v, obs[1]);

        // A second step from there, pushing left: v' = v - 0.001 - 0.0025 cos(3 x).
        final double x = -0.3 + v;
        env.step(0, obs);
        final double v2 = v - 0.001 - 0.0025 * Math.cos(3 * x);
        assertEquals(v2, env.velocity(), EPS);
        assertEquals(x + v2, env.position(), EPS);
    }

    @Test
    void shouldClipTheVelocity()
    {
        // cos(3 * -0.7) < 0, so gravity helps: 0.069 + 0.001 + 0.0025 * 0.5048 > 0.07.
        env.setState(-0.7, 0.069);
        env.step(2, obs);
        assertEquals(0.07, env.velocity());
        assertEquals(-0.63, env.position(), 1e-12);

        env.setState(-0.3, -0.069);
        env.step(0, obs);
        assertEquals(-0.07, env.velocity());
    }

    @Test
    void shouldStopAtTheLeftWall()
    {
        env.setState(-1.19, -0.05);
        env.step(0, obs);
        assertEquals(-1.2, env.position());
        assertEquals(0.0, env.velocity(), "the wall is inelastic");
        assertFalse(env.done());

        // At the wall with a velocity that points away from it, the velocity is kept.
        env.setState(-1.2, 0.0);
        env.step(2, obs);
        assertTrue(env.velocity() > 0.0);
    }

    @Test
    void shouldReachTheGoalOnlyMovingRightAtTheFlag()
    {
        env.setState(0.49, 0.02);
        env.step(2, obs);
        assertTrue(env.position() >= 0.5, "position=" + env.position());
        assertTrue(env.terminated());
        assertTrue(env.reachedGoal());
        assertFalse(env.truncated());

        // Velocity clipped to zero at the right end still counts (velocity >= 0), but moving left does not.
        env.setState(0.5, -0.001);
        env.step(0, obs);
        assertTrue(env.position() < 0.5);
        assertFalse(env.terminated());
        assertFalse(env.reachedGoal());
    }

    @Test
    void shouldTruncateAtTwoHundredStepsWithoutPushing()
    {
        env.reset(5L, obs);
        assertEquals(0.0f, obs[1]);
        assertTrue(obs[0] >= -0.6f && obs[0] < -0.4f);
        double episodeReturn = 0.0;
        while (!env.done())
        {
            episodeReturn += env.step(1, obs);
        }
        assertEquals(-200.0, episodeReturn);
        assertTrue(env.truncated());
        assertFalse(env.terminated());
        assertFalse(env.reachedGoal());
    }

    @Test
    void shouldSolveWithAnEnergyPumpingPolicy()
    {
        for (long seed = 0; seed < 10; seed++)
        {
            env.reset(seed, obs);
            double episodeReturn = 0.0;
            while (!env.done())
            {
                episodeReturn += env.step(obs[1] >= 0.0f ? 2 : 0, obs);
            }
            assertTrue(env.reachedGoal(), "seed=" + seed);
            assertTrue(episodeReturn > -130.0, "seed=" + seed + " return=" + episodeReturn);
        }
    }

    @Test
    void shouldBeDeterministicUnderASeed()
    {
        final MountainCar other = new MountainCar();
        final float[] otherObs = new float[2];
        env.reset(99L, obs);
        other.reset(99L, otherObs);
        for (int i = 0; i < 200 && !env.done(); i++)
        {
            env.step(i % 3, obs);
            other.step(i % 3, otherObs);
            assertEquals(env.position(), other.position());
            assertEquals(env.velocity(), other.velocity());
        }
    }
}
