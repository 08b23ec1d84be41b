package dev.rewind.engine.dalap;

/**
 * DALAP's importance exponent (a reconstruction of DALAP from its published description): {@code beta} grows with
 * the Similarity-Increment {@code D = I_p - I_t}, the amount by which prioritized sampling has made a minibatch more
 * alike than a uniform one.
 * <pre>
 * D_ema  = bias-corrected exponential moving average of D, decay {@code smoothing}
 * scale  = max |D_ema| seen since the warm-up ended
 * beta   = betaMin + (1 - betaMin) * clamp(|D_ema| / scale, 0, 1)      (signed: D_ema instead of |D_ema|)
 * </pre>
 * During the first {@code warmup} increments {@code beta = betaMin} and no scale is recorded, so that the scale is
 * set by a smoothed value rather than by the first noisy draw. The EMA starts at 0 and is divided by
 * {@code 1 - smoothing^t} (as Adam's moments are), so early values are not biased towards 0.
 *
 * <p>Every parameter is named and has a default: {@link #BETA_MIN_DEFAULT}, {@link #SMOOTHING_DEFAULT},
 * {@link #WARMUP_DEFAULT}, unsigned. Not thread-safe: one learner thread.
 */
public final class DalapBeta implements BetaPolicy
{
    /** Default lower end of beta, PER's starting value. */
    public static final double BETA_MIN_DEFAULT = 0.4;
    /** Default decay of the moving average of the increment. */
    public static final double SMOOTHING_DEFAULT = 0.99;
    /** Default number of increments before the scale is recorded: the time constant {@code 1 / (1 - 0.99)}. */
    public static final int WARMUP_DEFAULT = 100;

    private final double betaMin;
    private final double smoothing;
    private final int warmup;
    private final boolean signed;

    private double average;
    private double decayPower = 1.0;
    private double smoothed;
    private double scale;
    private double last = Double.NaN;
    private long observations;
    private double beta;

    /**
     * The defaults: {@code betaMin} 0.4, smoothing 0.99, warm-up 100 increments, unsigned.
     */
    public DalapBeta()
    {
        this(BETA_MIN_DEFAULT, SMOOTHING_DEFAULT, WARMUP_DEFAULT, false);
    }

    /**
     * A policy with explicit parameters.
     *
     * @param betaMin   beta when the increment is 0, in {@code [0, 1]}.
     * @param smoothing decay of the moving average, in {@code [0, 1)} (0: no smoothing).
     * @param warmup    increments before the scale is recorded, {@code >= 0}.
     * @param signed    if true a negative smoothed increment gives {@code betaMin}; if false its magnitude counts.
     * @throws IllegalArgumentException on a value out of range, named in the message.
     */
    public DalapBeta(final double betaMin, final double smoothing, final int warmup, final boolean signed)
    {
        if (!(betaMin >= 0.0 && betaMin <= 1.0))
        {
            throw new IllegalArgumentException("betaMin must be in [0, 1]: betaMin=" + betaMin);
        }
        if (!(smoothing >= 0.0 && smoothing < 1.0))
        {
            throw new IllegalArgumentException("smoothing must be in [0, 1): smoothing=" + smoothing);
        }
        if (warmup < 0)
        {
            throw new IllegalArgumentException("warmup must be >= 0: warmup=" + warmup);
        }
        this.betaMin = betaMin;
        this.smoothing = smoothing;
        this.warmup = warmup;
        this.signed = signed;
        this.beta = betaMin;
    }

    /**
     * Folds one similarity increment in and recomputes beta.
     *
     * @param increment {@code D = I_p - I_t}, finite.
     * @return the new beta, in {@code [betaMin, 1]}.
     * @throws IllegalArgumentException if the increment is not finite.
     */
    public double update(final double increment)
    {
        if (!Double.isFinite(increment))
        {
            throw new IllegalArgumentException("increment must be finite: increment=" + increment);
        }
        last = increment;
        observations++;
        average = smoothing * average + (1.0 - smoothing) * increment;
        decayPower *= smoothing;
        smoothed = average / (1.0 - decayPower);
        if (observations <= warmup)
        {
            beta = betaMin;
            return beta;
        }
        scale = Math.max(scale, Math.abs(smoothed));
        final double ratio = scale > 0.0 ? (signed ? smoothed : Math.abs(smoothed)) / scale : 0.0;
        beta = betaMin + (1.0 - betaMin) * Math.clamp(ratio, 0.0, 1.0);
        return beta;
    }

    /**
     * The current beta, whatever the step: the value set by the last {@link #update}, {@code betaMin} before it.
     *
     * @param step ignored.
     * @return beta in {@code [betaMin, 1]}.
     */
    @Override
    public double beta(final long step)
    {
        return beta;
    }

    /**
     * The current beta.
     *
     * @return beta in {@code [betaMin, 1]}.
     */
    public double beta()
    {
        return beta;
    }

    /**
     * The smoothed increment {@code D_ema}.
     *
     * @return the bias-corrected moving average, 0 before the first update.
     */
    public double smoothedIncrement()
    {
        return smoothed;
    }

    /**
     * The last raw increment passed to {@link #update}.
     *
     * @return {@code D}, NaN before the first update.
     */
    public double lastIncrement()
    {
        return last;
    }

    /**
     * The normalising scale, the largest {@code |D_ema|} seen after the warm-up.
     *
     * @return the scale, 0 until the warm-up has passed.
     */
    public double scale()
    {
        return scale;
    }

    /**
     * Increments folded in so far.
     *
     * @return the count.
     */
    public long observations()
    {
        return observations;
    }

    /**
     * The lower end of beta.
     *
     * @return {@code betaMin}.
     */
    public double betaMin()
    {
        return betaMin;
    }

    @Override
    public String toString()
    {
        return "DalapBeta{betaMin=" + betaMin + ", smoothing=" + smoothing + ", warmup=" + warmup + ", signed=" +
            signed + ", beta=" + beta + '}';
    }
}
