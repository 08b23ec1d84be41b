package dev.rewind.examples.env;

import dev.rewind.examples.SplitMix64;

/**
 * Episode bookkeeping shared by the environments: the generator, the step counter, the time limit and the checks
 * that turn misuse into exceptions. Subclasses implement only the dynamics.
 * <p>
 * Note to maintainers: {@link #advance(int)} runs the dynamics of one step and returns its reward; the terminal and
 * goal predicates are then evaluated on the new state. The flags of the last step are cleared only by a new episode.
 */
abstract class AbstractEnvironment implements Environment
{
    /** Seed used until the first {@code reset(seed, ...)}. */
    static final long DEFAULT_SEED = 0L;

    /** The environment's own generator, reseeded by {@link #reset(long, float[])}. */
    final SplitMix64 random = new SplitMix64(DEFAULT_SEED);

    private final int maxEpisodeSteps;
    private boolean running;
    private int episodeStep;
    private boolean terminated;
    private boolean truncated;
    private boolean reachedGoal;

    AbstractEnvironment(final int maxEpisodeSteps)
    {
        if (maxEpisodeSteps < 1)
        {
            throw new IllegalArgumentException("maxEpisodeSteps must be positive: maxEpisodeSteps=" + maxEpisodeSteps);
        }
        this.maxEpisodeSteps = maxEpisodeSteps;
    }

    /** Draws the initial state of an episode from {@link #random}. */
    abstract void resetState();

    /**
     * Runs the dynamics of one step.
     *
     * @param action a valid action.
     * @return the reward of the step.
     */
    abstract double advance(int action);

    /** @return whether the current state is terminal. */
    abstract boolean atTerminalState();

    /** @return whether the current state is the goal. */
    abstract boolean atGoal();

    /** @param observation receives the current state, already checked for length. */
    abstract void writeObservation(float[] observation);

    @Override
    public final int maxEpisodeSteps()
    {
        return maxEpisodeSteps;
    }

    @Override
    public final void reset(final long seed, final float[] observation)
    {
        checkObservation(observation);
        random.reseed(seed);
        reset(observation);
    }

    @Override
    public final void reset(final float[] observation)
    {
        checkObservation(observation);
        resetState();
        beginEpisode();
        writeObservation(observation);
    }

    @Override
    public final double step(final int action, final float[] observation)
    {
        if (!running)
        {
            throw new IllegalStateException(terminated || truncated ?
                "episode is over: call reset() before step(): env=" + name() :
                "no episode: call reset() before step(): env=" + name());
        }
        if (action < 0 || action >= actionCount())
        {
            throw new IllegalArgumentException(
                "action out of range: action=" + action + " actionCount=" + actionCount());
        }
        checkObservation(observation);

        final double reward = advance(action);
        episodeStep++;
        terminated = atTerminalState();
        reachedGoal = terminated && atGoal();
        truncated = episodeStep >= maxEpisodeSteps;
        running = !(terminated || truncated);
        writeObservation(observation);
        return reward;
    }

    @Override
    public final void observe(final float[] observation)
    {
        checkObservation(observation);
        writeObservation(observation);
    }

    @Override
    public final boolean terminated()
    {
        return terminated;
    }

    @Override
    public final boolean truncated()
    {
        return truncated;
    }

    @Override
    public final boolean reachedGoal()
    {
        return reachedGoal;
    }

    @Override
    public final int episodeStep()
    {
        return episodeStep;
    }

    /** Starts an episode from the state the subclass has just set. */
    final void beginEpisode()
    {
        running = true;
        episodeStep = 0;
        terminated = false;
        truncated = false;
        reachedGoal = false;
    }

    private void checkObservation(final float[] observation)
    {
        if (observation.length < observationSize())
        {
            throw new IllegalArgumentException(
                "observation buffer too short: length=" + observation.length + " observationSize=" + observationSize());
        }
    }

    @Override
    public String toString()
    {
        return name();
    }
}
