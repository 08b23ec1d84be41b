package dev.rewind.engine.dalap;

import dev.rewind.engine.ReplayBuffer;
import dev.rewind.engine.SampleBatch;

/**
 * DALAP's Priority-Encouragement (a reconstruction of DALAP from its published description): when an episode ends
 * at a goal, the transitions just before the goal transition {@code G} get extra priority, decaying with their
 * distance from it, and the decay coefficient itself decays over episodes so that the encouragement fades as
 * training goes on.
 * <pre>
 * rho_e = rho0 * lambda^e                       e = episodes ended before this one
 * K     = largest k with rho_e^k >= cutoff      (0 once rho_e < cutoff)
 * p'_{G-k} = p_{G-k} + rho_e^k * p_G            k = 1 .. K
 * p'_{G-k} = min(p'_{G-k}, max(p_{G-k}, p_G))   if capped (the default)
 * </pre>
 * Priorities are raw ({@link ReplayBuffer#priority}); the increment uses {@code p_G} without the buffer's
 * minimum-priority term (eps), which the buffer adds once when it stores the lifted value. Without the cap, a goal
 * reached while its neighbours still hold the running maximum would raise that maximum by up to {@code rho_e} times
 * itself at every goal, and every later insert with it; the cap lifts a neighbour at most to the goal's own priority
 * (or keeps its own, if higher), so the running maximum never moves.
 *
 * <h2>Only the goal's episode, only through the writer</h2>
 * The lift stops at the episode's first transition ({@code firstGeneration}), at the previous episode's end marker
 * ({@link SampleBatch#isEpisodeEnd}), and at the oldest transition still stored. It is applied with
 * {@link ReplayBuffer#updatePriorities} and the slots' generations, so it obeys the stale-update rule like any other
 * priority update: a slot overwritten in between is never touched.
 *
 * <p>Defaults: {@link #RHO0_DEFAULT}, {@link #LAMBDA_DEFAULT}, {@link #CUTOFF_DEFAULT}, capped. Not thread-safe:
 * call it from the buffer's writer thread. Allocates nothing per call.
 */
public final class PriorityEncouragement
{
    /** Default decay coefficient of the first episode. */
    public static final double RHO0_DEFAULT = 0.9;
    /** Default per-episode decay of the coefficient. */
    public static final double LAMBDA_DEFAULT = 0.995;
    /** Default smallest share of {@code p_G} still given: it fixes the horizon {@code K}. */
    public static final double CUTOFF_DEFAULT = 1e-3;

    private final ReplayBuffer buffer;
    private final double rho0;
    private final double lambda;
    private final double cutoff;
    private final boolean capped;
    private final int maxHorizon;
    private final SampleBatch neighbours;
    private final int[] slots;
    private final int[] liftIndices;
    private final long[] liftGenerations;
    private final double[] liftPriorities;

    private long episodes;
    private long goals;
    private long lifted;
    private long nanos;

    /**
     * Priority-Encouragement with the defaults.
     *
     * @param buffer a prioritized buffer whose raw priorities can be read back.
     */
    public PriorityEncouragement(final ReplayBuffer buffer)
    {
        this(buffer, RHO0_DEFAULT, LAMBDA_DEFAULT, CUTOFF_DEFAULT, true);
    }

    /**
     * Priority-Encouragement with explicit parameters.
     *
     * @param buffer a prioritized buffer whose raw priorities can be read back.
     * @param rho0   decay coefficient of the first episode, in {@code (0, 1)}.
     * @param lambda per-episode decay of the coefficient, in {@code (0, 1]}.
     * @param cutoff smallest share of {@code p_G} given, in {@code (0, 1)}.
     * @param capped whether a neighbour is lifted at most to {@code max(its priority, p_G)}.
     * @throws IllegalArgumentException on a value out of range, named in the message.
     */
    public PriorityEncouragement(
        final ReplayBuffer buffer, final double rho0, final double lambda, final double cutoff, final boolean capped)
    {
        if (!buffer.isPrioritized())
        {
            throw new IllegalArgumentException("Priority-Encouragement needs a prioritized buffer");
        }
        if (!(rho0 > 0.0 && rho0 < 1.0))
        {
            throw new IllegalArgumentException("rho0 must be in (0, 1): rho0=" + rho0);
        }
        if (!(lambda > 0.0 && lambda <= 1.0))
        {
            throw new IllegalArgumentException("lambda must be in (0, 1]: lambda=" + lambda);
        }
        if (!(cutoff > 0.0 && cutoff < 1.0))
        {
            throw new IllegalArgumentException("cutoff must be in (0, 1): cutoff=" + cutoff);
        }
        this.buffer = buffer;
        this.rho0 = rho0;
        this.lambda = lambda;
        this.cutoff = cutoff;
        this.capped = capped;
        this.maxHorizon = Math.min(horizon(rho0, cutoff), buffer.capacity() - 1);
        this.neighbours = buffer.newBatch(maxHorizon + 1);
        this.slots = new int[maxHorizon + 1];
        this.liftIndices = new int[Math.max(1, maxHorizon)];
        this.liftGenerations = new long[Math.max(1, maxHorizon)];
        this.liftPriorities = new double[Math.max(1, maxHorizon)];
    }

    /**
     * The horizon for a coefficient: the largest {@code k} with {@code rho^k >= cutoff}.
     *
     * @param rho    the coefficient, in {@code [0, 1)}.
     * @param cutoff the smallest share, in {@code (0, 1)}.
     * @return {@code K >= 0}; 0 when {@code rho < cutoff}.
     */
    public static int horizon(final double rho, final double cutoff)
    {
        if (rho < cutoff)
        {
            return 0;
        }
        int k = (int)Math.floor(Math.log(cutoff) / Math.log(rho));
        // Correct the floor for rounding of the logarithms: rho^k >= cutoff > rho^(k+1).
        while (k > 0 && Math.pow(rho, k) < cutoff)
        {
            k--;
        }
        while (Math.pow(rho, k + 1) >= cutoff)
        {
            k++;
        }
        return k;
    }

    /**
     * The coefficient the next goal will use, {@code rho0 * lambda^e}.
     *
     * @return {@code rho_e}.
     */
    public double rho()
    {
        return rho0 * Math.pow(lambda, episodes);
    }

    /**
     * The horizon the next goal will use (bounded by the buffer's capacity).
     *
     * @return {@code K}.
     */
    public int horizon()
    {
        return Math.min(horizon(rho(), cutoff), maxHorizon);
    }

    /**
     * Counts an ended episode and, if it ended at the goal, lifts the priorities of the transitions before its last
     * one. Call it on the writer thread right after adding the episode's last transition.
     *
     * @param firstGeneration generation of the episode's first transition (returned by {@code add}), or {@code -1} if
     *                        unknown (the previous episode's end marker then bounds the lift).
     * @param lastGeneration  generation of the episode's last transition, the goal {@code G}.
     * @param reachedGoal     whether the episode ended at the goal; if false only the episode is counted.
     * @return the number of slots lifted.
     * @throws IllegalArgumentException if {@code lastGeneration} is not a stored generation or precedes
     *                                  {@code firstGeneration}.
     */
    public int episodeEnded(final long firstGeneration, final long lastGeneration, final boolean reachedGoal)
    {
        final double rho = rho();
        episodes++;
        if (!reachedGoal)
        {
            return 0;
        }
        final long start = System.nanoTime();
        final long written = buffer.writeSequence();
        final int capacity = buffer.capacity();
        final long oldest = Math.max(0, written - capacity);
        if (lastGeneration < oldest || lastGeneration >= written || lastGeneration < firstGeneration)
        {
            throw new IllegalArgumentException("lastGeneration must be stored and not precede firstGeneration: " +
                "lastGeneration=" + lastGeneration + " firstGeneration=" + firstGeneration + " stored=[" + oldest +
                ", " + written + ")");
        }
        goals++;
        long reach = Math.min(horizon(rho, cutoff), maxHorizon);
        reach = Math.min(reach, lastGeneration - oldest);
        if (firstGeneration >= 0)
        {
            reach = Math.min(reach, lastGeneration - firstGeneration);
        }
        final int k = (int)reach;
        if (0 == k)
        {
            nanos += System.nanoTime() - start;
            return 0;
        }
        for (int j = 0; j <= k; j++)
        {
            slots[j] = (int)((lastGeneration - j) % capacity);
        }
        final SampleBatch rows = buffer.fetch(neighbours, slots, k + 1);
        final double goalPriority = buffer.priority(slots[0]);
        int count = 0;
        double share = 1.0;
        for (int j = 1; j <= k; j++)
        {
            // A previous episode's last transition, or a slot no longer holding G - j, ends the lift.
            if (rows.generation(j) != lastGeneration - j || rows.isEpisodeEnd(j))
            {
                break;
            }
            share *= rho;
            final double current = buffer.priority(slots[j]);
            double raised = current + share * goalPriority;
            if (capped)
            {
                raised = Math.min(raised, Math.max(current, goalPriority));
            }
            liftIndices[count] = slots[j];
            liftGenerations[count] = lastGeneration - j;
            liftPriorities[count] = raised;
            count++;
        }
        final int applied = buffer.updatePriorities(liftIndices, liftGenerations, liftPriorities, count);
        lifted += applied;
        nanos += System.nanoTime() - start;
        return applied;
    }

    /**
     * Episodes counted so far.
     *
     * @return {@code e}.
     */
    public long episodes()
    {
        return episodes;
    }

    /**
     * Episodes that ended at the goal so far.
     *
     * @return the count.
     */
    public long goals()
    {
        return goals;
    }

    /**
     * Slots lifted so far.
     *
     * @return the count.
     */
    public long lifted()
    {
        return lifted;
    }

    /**
     * Wall time spent lifting priorities.
     *
     * @return nanoseconds.
     */
    public long nanos()
    {
        return nanos;
    }
}
