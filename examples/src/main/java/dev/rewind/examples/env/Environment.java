package dev.rewind.examples.env;

/**
 * An episodic task with a vector observation and a small discrete action set, in the shape of a Gymnasium
 * environment wrapped in its {@code TimeLimit}.
 * <p>
 * The caller owns the observation buffer: {@link #reset(long, float[])}, {@link #reset(float[])} and
 * {@link #step(int, float[])} write into a {@code float[]} of at least {@link #observationSize()} elements, and the
 * outcome of the last step is read back with {@link #terminated()}, {@link #truncated()} and {@link #reachedGoal()}.
 * A learner's steady state therefore allocates nothing.
 * <p>
 * A typical loop:
 * <pre>{@code
 * final float[] obs = new float[env.observationSize()];
 * env.reset(seed, obs);
 * while (!env.done())
 * {
 *     final double reward = env.step(policy.act(obs), obs);
 * }
 * }</pre>
 * Every implementation is deterministic: the same seed and the same actions give the same observations and rewards.
 * Randomness comes from a generator owned by the instance, never from global state. Instances are not thread safe.
 */
public interface Environment
{
    /**
     * Gymnasium-style identifier, used as the environment's name in reports and file names.
     *
     * @return e.g. {@code "CartPole-v1"}.
     */
    String name();

    /**
     * Number of floats written into the observation buffer.
     *
     * @return the observation length.
     */
    int observationSize();

    /**
     * Number of discrete actions; valid actions are {@code 0 .. actionCount() - 1}.
     *
     * @return the action count.
     */
    int actionCount();

    /**
     * Steps after which an episode is truncated (Gymnasium's {@code max_episode_steps}).
     *
     * @return the step limit of one episode.
     */
    int maxEpisodeSteps();

    /**
     * Episode return at which the task counts as solved; the report measures how many environment steps a learner
     * needs to reach it.
     *
     * @return the threshold return.
     */
    double solvedReturn();

    /**
     * Mean episode return of the uniformly random policy, a reference point for the report.
     *
     * @return the random-policy return, measured as described on each implementation.
     */
    double randomReturn();

    /**
     * Whether the task ends at a goal state, so that Priority-Encouragement has a goal to propagate from.
     *
     * @return {@code true} for goal-reaching tasks (MountainCar, CliffWalking), {@code false} for CartPole.
     */
    boolean goalReaching();

    /**
     * Reseeds the environment's generator with {@code seed} and starts a new episode.
     *
     * @param seed        seed of the episode (and of the episodes that follow with {@link #reset(float[])}).
     * @param observation receives the first observation; at least {@link #observationSize()} long.
     * @throws IllegalArgumentException if {@code observation} is too short.
     */
    void reset(long seed, float[] observation);

    /**
     * Starts a new episode, drawing the initial state from the generator's current stream.
     *
     * @param observation receives the first observation; at least {@link #observationSize()} long.
     * @throws IllegalArgumentException if {@code observation} is too short.
     */
    void reset(float[] observation);

    /**
     * Applies {@code action} for one time step.
     *
     * @param action      an action in {@code 0 .. actionCount() - 1}.
     * @param observation receives the next observation; at least {@link #observationSize()} long.
     * @return the reward of this step.
     * @throws IllegalArgumentException if the action is out of range or {@code observation} is too short.
     * @throws IllegalStateException    if no episode is running: before the first reset, or after the episode ended.
     */
    double step(int action, float[] observation);

    /**
     * Writes the current observation again, e.g. after {@code setState} in a test.
     *
     * @param observation receives the current observation; at least {@link #observationSize()} long.
     * @throws IllegalArgumentException if {@code observation} is too short.
     */
    void observe(float[] observation);

    /**
     * Whether the last step reached a terminal state of the task (no bootstrapping from the next state).
     *
     * @return {@code true} if the episode ended by the task's own rule.
     */
    boolean terminated();

    /**
     * Whether the last step hit the step limit {@link #maxEpisodeSteps()}. As with Gymnasium's {@code TimeLimit},
     * this can be true on the same step as {@link #terminated()}; a learner should then treat the step as terminal.
     *
     * @return {@code true} if the episode was cut by the step limit.
     */
    boolean truncated();

    /**
     * Whether the episode is over, by termination or truncation.
     *
     * @return {@code terminated() || truncated()}.
     */
    default boolean done()
    {
        return terminated() || truncated();
    }

    /**
     * Whether the last step entered the task's goal; always {@code false} when {@link #goalReaching()} is false.
     *
     * @return {@code true} if the episode ended at the goal.
     */
    boolean reachedGoal();

    /**
     * Steps taken in the current episode.
     *
     * @return 0 right after a reset, then 1, 2, ...
     */
    int episodeStep();
}
