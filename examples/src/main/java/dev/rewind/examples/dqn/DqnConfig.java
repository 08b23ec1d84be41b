package dev.rewind.examples.dqn;

/**
 * Hyper-parameters of a {@link DoubleDqn} learner and of the loop that feeds it.
 *
 * @param hidden            units in each of the two hidden layers.
 * @param gamma             discount factor.
 * @param learningRate      Adam step size.
 * @param batchSize         minibatch rows.
 * @param huberKappa        threshold of the Huber loss (also LAP's priority floor).
 * @param targetPeriod      learner steps between hard target copies; 0 to use {@code targetTau}.
 * @param targetTau         Polyak weight of the soft target update per learner step, used when
 *                          {@code targetPeriod == 0}.
 * @param epsilonStart      exploration rate at step 0.
 * @param epsilonEnd        exploration rate after the decay.
 * @param epsilonDecaySteps environment steps of the linear decay.
 * @param learningStarts    environment steps before the first learner step.
 * @param trainEvery        environment steps per learner step.
 * @param bufferCapacity    replay capacity in transitions.
 * @param inputShift        subtracted from each observation element before the network (null for none).
 * @param inputScale        then multiplied into each element (null for none).
 */
public record DqnConfig(
    int hidden,
    double gamma,
    float learningRate,
    int batchSize,
    float huberKappa,
    int targetPeriod,
    float targetTau,
    double epsilonStart,
    double epsilonEnd,
    long epsilonDecaySteps,
    long learningStarts,
    int trainEvery,
    int bufferCapacity,
    float[] inputShift,
    float[] inputScale)
{
    /** Adam's first-moment decay. */
    public static final float ADAM_BETA1 = 0.9f;
    /** Adam's second-moment decay. */
    public static final float ADAM_BETA2 = 0.999f;
    /** Adam's denominator offset. */
    public static final float ADAM_EPSILON = 1e-8f;

    /**
     * Checks the values.
     *
     * @throws IllegalArgumentException on a value out of range, named in the message.
     */
    public DqnConfig
    {
        if (hidden < 1 || batchSize < 1 || trainEvery < 1 || bufferCapacity < batchSize)
        {
            throw new IllegalArgumentException("hidden, batchSize, trainEvery must be positive and bufferCapacity >= " +
                "batchSize: hidden=" + hidden + " batchSize=" + batchSize + " trainEvery=" + trainEvery +
                " bufferCapacity=" + bufferCapacity);
        }
        if (!(gamma >= 0.0 && gamma <= 1.0) || !(learningRate > 0.0f) || !(huberKappa > 0.0f))
        {
            throw new IllegalArgumentException("gamma in [0, 1], learningRate and huberKappa positive: gamma=" + gamma +
                " learningRate=" + learningRate + " huberKappa=" + huberKappa);
        }
        if (targetPeriod < 0 || (0 == targetPeriod && !(targetTau > 0.0f && targetTau <= 1.0f)))
        {
            throw new IllegalArgumentException("targetPeriod >= 0, and targetTau in (0, 1] without a period: " +
                "targetPeriod=" + targetPeriod + " targetTau=" + targetTau);
        }
        if (learningStarts < batchSize || epsilonDecaySteps < 1)
        {
            throw new IllegalArgumentException("learningStarts >= batchSize and epsilonDecaySteps positive: " +
                "learningStarts=" + learningStarts + " epsilonDecaySteps=" + epsilonDecaySteps);
        }
    }

    /**
     * The exploration rate at an environment step: linear from {@code epsilonStart} to {@code epsilonEnd}.
     *
     * @param step environment steps taken.
     * @return epsilon.
     */
    public double epsilon(final long step)
    {
        final double f = Math.min(1.0, (double)step / epsilonDecaySteps);
        return epsilonStart + (epsilonEnd - epsilonStart) * f;
    }
}
