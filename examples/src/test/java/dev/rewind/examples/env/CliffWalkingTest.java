package dev.rewind.examples.env;

import org.junit.jupiter.api.Test;

import static dev.rewind.examples.env.CliffWalking.DOWN;
import static dev.rewind.examples.env.CliffWalking.LEFT;
import static dev.rewind.examples.env.CliffWalking.RIGHT;
import static dev.rewind.examples.env.CliffWalking.UP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliffWalkingTest
{
    private final CliffWalking env = new CliffWalking();
    private final float[] obs = new float[48];

    @Test
    void shouldDescribeTheTask()
    {
        assertEquals("CliffWalking-v0", env.name());
        assertEquals(48, env.observationSize());
        assertEquals(4, env.actionCount());
        assertEquals(200, env.maxEpisodeSteps());
        assertTrue(env.goalReaching());
        assertTrue(env.solvedReturn() <= -13.0);
    }

    @Test
    void shouldStartBottomLeftWithAOneHotObservation()
    {
        env.reset(0L, obs);
        assertEquals(36, env.state());
        assertOneHot(36);
    }

    @Test
    void shouldSendTheAgentBackToStartWhenItStepsIntoTheCliff()
    {
        env.reset(0L, obs);
        assertEquals(-100.0, env.step(RIGHT, obs));
        assertEquals(36, env.state());
        assertOneHot(36);
        assertFalse(env.done(), "the episode continues after a fall");

        // From (2,5) a step down falls as well.
        env.setState(2, 5);
        assertEquals(-100.0, env.step(DOWN, obs));
        assertEquals(36, env.state());
        assertFalse(env.terminated());
    }

    @Test
    void shouldStayInPlaceAgainstTheBorder()
    {
        env.reset(0L, obs);
        assertEquals(-1.0, env.step(LEFT, obs));
        assertEquals(36, env.state());
        assertEquals(-1.0, env.step(DOWN, obs));
        assertEquals(36, env.state());
        env.setState(0, 11);
        env.step(UP, obs);
        env.step(RIGHT, obs);
        assertEquals(11, env.state());
    }

    @Test
    void shouldReachTheGoalAlongTheOptimalPath()
    {
        env.reset(0L, obs);
        double episodeReturn = env.step(UP, obs);
        assertEquals(24, env.state());
        for (int i = 0; i < 11; i++)
        {
            episodeReturn += env.step(RIGHT, obs);
        }
        assertEquals(35, env.state());
        assertFalse(env.done());
        episodeReturn += env.step(DOWN, obs);
        assertEquals(47, env.state());
        assertOneHot(47);
        assertEquals(CliffWalking.OPTIMAL_RETURN, episodeReturn);
        assertTrue(env.terminated());
        assertTrue(env.reachedGoal());
        assertFalse(env.truncated());
        assertEquals(13, env.episodeStep());
        assertThrows(IllegalStateException.class, () -> env.step(UP, obs));
    }

    @Test
    void shouldTruncateAtTheDocumentedLimit()
    {
        env.reset(0L, obs);
        double episodeReturn = 0.0;
        while (!env.done())
        {
            episodeReturn += env.step(RIGHT, obs);
        }
        assertEquals(CliffWalking.MAX_EPISODE_STEPS, env.episodeStep());
        assertEquals(-100.0 * CliffWalking.MAX_EPISODE_STEPS, episodeReturn);
        assertTrue(env.truncated());
        assertFalse(env.terminated());
        assertFalse(env.reachedGoal());
    }

    @Test
    void shouldRejectCliffAndOffGridStates()
    {
        assertThrows(IllegalArgumentException.class, () -> env.setState(3, 4));
        assertThrows(IllegalArgumentException.class, () -> env.setState(4, 0));
        assertThrows(IllegalArgumentException.class, () -> env.setState(0, 12));
    }

    @Test
    void shouldMatchTheDocumentedRandomReturn()
    {
        final double measured = Environments.randomPolicyReturn(new CliffWalking(), 20_000, 11L);
        assertEquals(CliffWalking.RANDOM_RETURN, measured, 25.0);
    }

    private void assertOneHot(final int state)
    {
        for (int i = 0; i < obs.length; i++)
        {
            assertEquals(i == state ? 1.0f : 0.0f, obs[i], "cell " + i);
        }
    }
}
