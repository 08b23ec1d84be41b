package dev.rewind.examples.env;

import dev.rewind.examples.SplitMix64;

import java.util.List;
import java.util.Locale;

/**
 * Factory of the environments by name, and the random-policy measurement behind their reference returns.
 */
public final class Environments
{
    /** Names accepted by {@link #create(String)}, in the order the report lists them. */
    public static final List<String> NAMES = List.of(CartPole.NAME, MountainCar.NAME, CliffWalking.NAME);

    private Environments()
    {
    }

    /**
     * Creates a fresh environment.
     *
     * @param name one of {@link #NAMES}; the short forms {@code CartPole}, {@code MountainCar} and
     *             {@code CliffWalking} are accepted too, case-insensitively.
     * @return a new instance, to be reset before use.
     * @throws IllegalArgumentException if the name is unknown.
     */
    public static Environment create(final String name)
    {
        final String key = name.toLowerCase(Locale.ROOT);
        if (key.equals("cartpole") || key.equals("cartpole-v1"))
        {
            return new CartPole();
        }
        if (key.equals("mountaincar") || key.equals("mountaincar-v0"))
        {
            return new MountainCar();
        }
        if (key.equals("cliffwalking") || key.equals("cliffwalking-v0"))
        {
            return new CliffWalking();
        }
        throw new IllegalArgumentException("unknown environment: name=" + name + " known=" + NAMES);
    }

    /**
     * Mean episode return of the policy that picks every action uniformly at random.
     *
     * @param env      environment to measure; it is reset with {@code seed} and then stepped through
     *                 {@code episodes} episodes.
     * @param episodes number of episodes, positive.
     * @param seed     seed of both the environment and the action choices.
     * @return the mean undiscounted return.
     * @throws IllegalArgumentException if {@code episodes} is not positive.
     */
    public static double randomPolicyReturn(final Environment env, final int episodes, final long seed)
    {
        if (episodes < 1)
        {
            throw new IllegalArgumentException("episodes must be positive: episodes=" + episodes);
        }
        final SplitMix64 policy = new SplitMix64(seed ^ 0x5DEECE66DL);
        final float[] observation = new float[env.observationSize()];
        double total = 0.0;
        env.reset(seed, observation);
        for (int e = 0; e < episodes; e++)
        {
            if (e > 0)
            {
                env.reset(observation);
            }
            while (!env.done())
            {
                total += env.step(policy.nextInt(env.actionCount()), observation);
            }
        }
        return total / episodes;
    }
}
