package dev.rewind.examples.env;

import dev.rewind.examples.SplitMix64;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EnvironmentsTest
{
    @Test
    void shouldCreateEveryNamedEnvironment()
    {
        for (final String name : Environments.NAMES)
        {
            assertEquals(name, Environments.create(name).name());
        }
        assertEquals(CartPole.NAME, Environments.create("cartpole").name());
        assertThrows(IllegalArgumentException.class, () -> Environments.create("Pong"));
    }

    @Test
    void shouldNotAllocateInTheSteadyState()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final SplitMix64 policy = new SplitMix64(3L);
        for (final String name : Environments.NAMES)
        {
            final Environment env = Environments.create(name);
            final float[] obs = new float[env.observationSize()];
            run(env, obs, policy, 20_000);
            final long before = threads.getCurrentThreadAllocatedBytes();
            run(env, obs, policy, 100_000);
            final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < 4096, name + " allocated " + allocated + " bytes in 100,000 steps");
        }
    }

    private static void run(final Environment env, final float[] obs, final SplitMix64 policy, final int steps)
    {
        env.reset(1L, obs);
        for (int i = 0; i < steps; i++)
        {
            if (env.done())
            {
                env.reset(obs);
            }
            env.step(policy.nextInt(env.actionCount()), obs);
        }
    }

    @Test
    void shouldProduceTheReferenceSplitMixStream()
    {
        // First outputs of SplitMix64 seeded with 0, as published with the reference implementation.
        final SplitMix64 random = new SplitMix64(0L);
        assertEquals(0xE220A8397B1DCDAFL, random.nextLong());
        assertEquals(0x6E789E6AA1B965F4L, random.nextLong());
        assertEquals(0x06C45D188009454FL, random.nextLong());
    }

    @Test
    void shouldDrawUnbiasedBoundedInts()
    {
        final SplitMix64 random = new SplitMix64(8L);
        final int[] counts = new int[3];
        for (int i = 0; i < 30_000; i++)
        {
            counts[random.nextInt(3)]++;
        }
        for (final int count : counts)
        {
            assertTrue(Math.abs(count - 10_000) < 400, "count=" + count);
        }
        for (int i = 0; i < 1000; i++)
        {
            final double d = random.nextDouble(-0.6, -0.4);
            assertTrue(d >= -0.6 && d < -0.4);
        }
    }
}
