package dev.rewind.examples.compare;

import dev.rewind.examples.dqn.DqnConfig;
import dev.rewind.examples.env.CartPole;
import dev.rewind.examples.env.CliffWalking;
import dev.rewind.examples.env.MountainCar;

/**
 * Every per-environment choice of the comparison, in one place: the learner's hyper-parameters and the step budgets
 * of the full and quick presets. All variants of an environment share them; only the replay strategy differs.
 *
 * <p>Common to all: Double DQN, two hidden layers of 64 ReLU units, Adam (0.9, 0.999, 1e-8), Huber loss with
 * threshold 1, batch 64, gamma 0.99, epsilon-greedy exploration decaying linearly from 1 over a share of the run,
 * learning from step 1,000 on. The settings were chosen with Uniform and PER on two seeds in short probes (the
 * replay variants compared were not tuned individually).
 * <ul>
 *     <li>CartPole-v1: learning rate 2.5e-4, one learner step per environment step, soft target update tau 0.005,
 *     epsilon to 0.02 over 20% of the run, buffer 50,000, observations fed as they are. 50,000 steps (quick:
 *     12,000).</li>
 *     <li>MountainCar-v0: learning rate 1e-3, one learner step every 2 environment steps, hard target copy every 250
 *     learner steps, epsilon to 0.05 over 10% of the run, buffer 50,000, position and velocity shifted and scaled to
 *     about [-1, 1] by the task's known bounds before the network. 200,000 steps (quick: 40,000, too short to learn
 *     the task: a smoke test). Probes with one learner step per environment step, or with 100,000 steps, never
 *     reached the flag more than once.</li>
 *     <li>CliffWalking-v0: learning rate 1e-3, one learner step per environment step, soft target update tau 0.01,
 *     epsilon to 0.02 over 33% of the run, buffer 20,000, one-hot states. 20,000 steps (quick: 12,000).</li>
 * </ul>
 *
 * @param base                the learner's hyper-parameters for a full-length run.
 * @param explorationFraction share of a run's steps over which epsilon decays.
 * @param steps               environment steps of one run in the full preset.
 * @param quickSteps          environment steps of one run in the quick preset.
 */
public record Hyperparameters(DqnConfig base, double explorationFraction, long steps, long quickSteps)
{
    /** Units per hidden layer. */
    public static final int HIDDEN = 64;
    /** Minibatch rows. */
    public static final int BATCH = 64;
    /** Huber threshold (and LAP's kappa). */
    public static final float HUBER_KAPPA = 1.0f;

    /**
     * The settings of an environment.
     *
     * @param environment an environment name as {@link dev.rewind.examples.env.Environment#name()} gives it.
     * @return its settings.
     * @throws IllegalArgumentException if the environment is unknown.
     */
    public static Hyperparameters of(final String environment)
    {
        return switch (environment)
        {
            case CartPole.NAME -> new Hyperparameters(
                new DqnConfig(HIDDEN, 0.99, 2.5e-4f, BATCH, HUBER_KAPPA, 0, 0.005f, 1.0, 0.02, 10_000, 1_000, 1,
                    50_000, null, null),
                0.2, 50_000, 12_000);
            case MountainCar.NAME -> new Hyperparameters(
                new DqnConfig(HIDDEN, 0.99, 1e-3f, BATCH, HUBER_KAPPA, 250, 0.0f, 1.0, 0.05, 20_000, 1_000, 2,
                    50_000, new float[]{-0.3f, 0.0f}, new float[]{1.0f / 0.9f, 1.0f / 0.07f}),
                0.1, 200_000, 40_000);
            case CliffWalking.NAME -> new Hyperparameters(
                new DqnConfig(HIDDEN, 0.99, 1e-3f, BATCH, HUBER_KAPPA, 0, 0.01f, 1.0, 0.02, 10_000, 1_000, 1,
                    20_000, null, null),
                0.33, 20_000, 12_000);
            default -> throw new IllegalArgumentException("no hyper-parameters for environment: " + environment);
        };
    }

    /**
     * The learner's hyper-parameters for a run of {@code runSteps} environment steps: epsilon decays over
     * {@code explorationFraction} of the run, and learning starts after {@code min(learningStarts, runSteps / 5)}
     * steps (at least one batch), so that short runs explore and learn in proportion.
     *
     * @param runSteps environment steps of the run.
     * @return the configuration.
     */
    public DqnConfig dqnFor(final long runSteps)
    {
        final DqnConfig d = base;
        final long decay = Math.max(1, Math.round(explorationFraction * runSteps));
        final long starts = Math.max(d.batchSize(), Math.min(d.learningStarts(), runSteps / 5));
        return new DqnConfig(d.hidden(), d.gamma(), d.learningRate(), d.batchSize(), d.huberKappa(),
            d.targetPeriod(), d.targetTau(), d.epsilonStart(), d.epsilonEnd(), decay, starts, d.trainEvery(),
            d.bufferCapacity(), d.inputShift(), d.inputScale());
    }
}
