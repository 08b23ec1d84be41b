package dev.rewind.examples.report;

import java.util.ArrayList;
import java.util.List;

/**
 * A small synthetic comparison whose measures are worked out by hand in the tests.
 * <p>
 * Environment {@code Grid-A}, threshold 10, random policy 0; every episode is 10 steps long, 20 episodes per run.
 * <ul>
 *     <li>{@code fast}, seed 1: returns 0 for episodes 0..9, then 20. The 10-episode average first reaches 10 at
 *     episode 14 (five 0s and five 20s), i.e. at step 150.</li>
 *     <li>{@code fast}, seed 2: returns 10 throughout; the first full window, episode 9, already averages 10: step
 *     100.</li>
 *     <li>{@code fast}, seed 3: returns 5 throughout; never reaches 10.</li>
 *     <li>{@code slow, paced}, seeds 1 and 2: returns 1 and 2 throughout; never reach 10.</li>
 * </ul>
 * Median steps of {@code fast}: median of {100, 150, infinity} = 150, 2 of 3 seeds. Final return (last 2 episodes of
 * 20): {@code fast} 20, 10, 5: mean 35/3 = 11.67, sd sqrt(((20 - 35/3)^2 + (10 - 35/3)^2 + (5 - 35/3)^2) / 2) = 7.64;
 * {@code slow, paced} 1, 2: mean 1.5, sd 0.71. Times: {@code fast} 2000 ns learner and 500 ns replay per step,
 * {@code slow, paced} 4000 ns and 100 ns.
 * <p>
 * Environment {@code Grid-B}, threshold -5: one variant {@code fast}, seed 1, returns -10 then -4 from episode 10
 * on. The window ending at episode 17 holds two -10s and eight -4s (-5.2); the one ending at episode 18 holds one -10
 * and nine -4s (-4.6): the threshold is reached at step 190.
 */
final class SyntheticRecords
{
    static final String ENV_A = "Grid-A";
    static final String ENV_B = "Grid-B";
    static final String FAST = "fast";
    static final String SLOW = "slow, paced";

    private SyntheticRecords()
    {
    }

    static List<EpisodeRecord> records()
    {
        final List<EpisodeRecord> records = new ArrayList<>();
        run(records, ENV_A, FAST, 1, 2000, 500, 0, 10, 20);
        run(records, ENV_A, FAST, 2, 2000, 500, 10, 10, 10);
        run(records, ENV_A, SLOW, 1, 4000, 100, 1, 10, 1);
        run(records, ENV_A, FAST, 3, 2000, 500, 5, 10, 5);
        run(records, ENV_A, SLOW, 2, 4000, 100, 2, 10, 2);
        run(records, ENV_B, FAST, 1, 1000, 250, -10, 10, -4);
        return records;
    }

    private static void run(
        final List<EpisodeRecord> records,
        final String env,
        final String variant,
        final long seed,
        final double learnerNs,
        final double replayNs,
        final double before,
        final int switchEpisode,
        final double after)
    {
        for (int e = 0; e < 20; e++)
        {
            records.add(new EpisodeRecord(env, variant, seed, e, 10L * (e + 1), e < switchEpisode ? before : after,
                learnerNs, replayNs));
        }
    }
}
