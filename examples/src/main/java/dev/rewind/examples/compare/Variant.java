package dev.rewind.examples.compare;

import dev.rewind.engine.ReplayBufferBuilder;
import dev.rewind.engine.dalap.BetaPolicy;

import java.util.Locale;

/**
 * The replay strategies the comparison runs. Each maps to a buffer configuration, a beta policy and whether
 * Priority-Encouragement is on; the priority parameters are the same for PER, DALAP and the ablations, so that those
 * rows differ only in beta and PE.
 * <table>
 *     <caption>Variants</caption>
 *     <tr><th>variant</th><th>priorities</th><th>beta</th><th>PE</th></tr>
 *     <tr><td>Uniform</td><td>none</td><td>(no weights)</td><td>no</td></tr>
 *     <tr><td>PER</td><td>{@code (|d| + eps)^0.6}</td><td>linear 0.4 to 1 over the run</td><td>no</td></tr>
 *     <tr><td>LAP</td><td>{@code max(|d|, 1)^0.4}</td><td>(no weights, as in Fujimoto et al. 2020)</td><td>no</td></tr>
 *     <tr><td>DALAP</td><td>as PER</td><td>DALAP (PSAN similarity increment)</td><td>yes</td></tr>
 *     <tr><td>DALAP-noPE</td><td>as PER</td><td>DALAP</td><td>no</td></tr>
 *     <tr><td>PE-only</td><td>as PER</td><td>linear 0.4 to 1, as PER</td><td>yes</td></tr>
 * </table>
 * DALAP here is a reconstruction of DALAP from its published description (see {@code dev.rewind.engine.dalap}). On a
 * task without a goal (CartPole) PE never fires, so PE-only runs as PER and DALAP as DALAP-noPE there.
 */
public enum Variant
{
    /** Uniform replay. */
    UNIFORM("Uniform"),
    /** Proportional PER with beta annealed 0.4 to 1. */
    PER("PER"),
    /** Loss-adjusted priorities, unweighted Huber loss. */
    LAP("LAP"),
    /** DALAP: PSAN beta and Priority-Encouragement. */
    DALAP("DALAP"),
    /** DALAP without Priority-Encouragement. */
    DALAP_NO_PE("DALAP-noPE"),
    /** PER with Priority-Encouragement. */
    PE_ONLY("PE-only");

    /** PER's and DALAP's priority exponent (PER paper, proportional variant). */
    public static final double PER_ALPHA = 0.6;
    /** PER's offset against zero priority. */
    public static final double PER_EPS = 1e-4;
    /** PER's initial beta, annealed linearly to 1 over the run. */
    public static final double PER_BETA_START = 0.4;
    /** LAP's priority exponent (Fujimoto, Meger and Precup 2020, their DQN setting). */
    public static final double LAP_ALPHA = 0.4;
    /** LAP's priority floor, equal to the Huber threshold of the loss (1). */
    public static final double LAP_KAPPA = 1.0;

    private final String label;

    Variant(final String label)
    {
        this.label = label;
    }

    /**
     * The name used in reports and on the command line.
     *
     * @return e.g. {@code DALAP-noPE}.
     */
    public String label()
    {
        return label;
    }

    /**
     * Parses a variant by label or constant name, case-insensitively ({@code dalap-nope}, {@code DALAP_NO_PE}).
     *
     * @param name the name.
     * @return the variant.
     * @throws IllegalArgumentException if no variant has that name.
     */
    public static Variant parse(final String name)
    {
        final String key = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (final Variant v : values())
        {
            if (v.label.toLowerCase(Locale.ROOT).equals(key) || v.name().toLowerCase(Locale.ROOT).replace('_', '-')
                .equals(key))
            {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown variant: " + name + " (known: Uniform, PER, LAP, DALAP, " +
            "DALAP-noPE, PE-only)");
    }

    /**
     * Whether sampling is prioritized.
     *
     * @return false only for {@link #UNIFORM}.
     */
    public boolean prioritized()
    {
        return UNIFORM != this;
    }

    /**
     * Whether beta comes from DALAP's PSAN.
     *
     * @return true for {@link #DALAP} and {@link #DALAP_NO_PE}.
     */
    public boolean dalapBeta()
    {
        return DALAP == this || DALAP_NO_PE == this;
    }

    /**
     * Whether Priority-Encouragement is on.
     *
     * @return true for {@link #DALAP} and {@link #PE_ONLY}.
     */
    public boolean priorityEncouragement()
    {
        return DALAP == this || PE_ONLY == this;
    }

    /**
     * Whether the loss is weighted by importance weights.
     *
     * @return false for {@link #UNIFORM} and {@link #LAP}.
     */
    public boolean importanceWeights()
    {
        return UNIFORM != this && LAP != this;
    }

    /**
     * Sets the buffer's sampling mode for this variant.
     *
     * @param builder the builder.
     * @return the builder.
     */
    public ReplayBufferBuilder configure(final ReplayBufferBuilder builder)
    {
        return switch (this)
        {
            case UNIFORM -> builder.uniform();
            case LAP -> builder.lapPrioritized(LAP_ALPHA, LAP_KAPPA);
            default -> builder.prioritized(PER_ALPHA, PER_EPS);
        };
    }

    /**
     * The beta policy of the variants that do not use DALAP's: PER's linear annealing over the run, or a constant 0
     * for the unweighted variants.
     *
     * @param learnerSteps learner steps in the run (the annealing horizon).
     * @return the policy.
     */
    public BetaPolicy scheduledBeta(final long learnerSteps)
    {
        return importanceWeights() ? BetaPolicy.linear(PER_BETA_START, 1.0, Math.max(1, learnerSteps)) :
            BetaPolicy.constant(0.0);
    }

    @Override
    public String toString()
    {
        return label;
    }
}
