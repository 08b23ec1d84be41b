package dev.rewind.engine.dalap;

/**
 * How the importance exponent {@code beta} of the weights {@code w_i = (N P(i))^-beta / max w} is chosen at each
 * learner step: held constant, annealed linearly (PER's 0.4 to 1), or set by DALAP's similarity increment
 * ({@link DalapBeta}).
 */
public interface BetaPolicy
{
    /**
     * The exponent to use at a learner step.
     *
     * @param step learner steps taken so far, from 0.
     * @return beta in {@code [0, 1]}.
     */
    double beta(long step);

    /**
     * A fixed exponent.
     *
     * @param beta the exponent, in {@code [0, 1]}.
     * @return the policy.
     * @throws IllegalArgumentException if beta is outside {@code [0, 1]}.
     */
    static BetaPolicy constant(final double beta)
    {
        checkBeta("beta", beta);
        return step -> beta;
    }

    /**
     * Linear annealing, as in the PER paper: {@code from + (to - from) * min(1, step / steps)}.
     *
     * @param from  beta at step 0, in {@code [0, 1]} (PER: 0.4).
     * @param to    beta from {@code steps} on, in {@code [0, 1]} (PER: 1).
     * @param steps length of the ramp in learner steps, positive.
     * @return the policy.
     * @throws IllegalArgumentException if an end is outside {@code [0, 1]} or {@code steps < 1}.
     */
    static BetaPolicy linear(final double from, final double to, final long steps)
    {
        checkBeta("from", from);
        checkBeta("to", to);
        if (steps < 1)
        {
            throw new IllegalArgumentException("steps must be positive: steps=" + steps);
        }
        return step -> step >= steps ? to : from + (to - from) * ((double)Math.max(0, step) / steps);
    }

    private static void checkBeta(final String name, final double beta)
    {
        if (!(beta >= 0.0 && beta <= 1.0))
        {
            throw new IllegalArgumentException(name + " must be in [0, 1]: " + name + "=" + beta);
        }
    }
}
