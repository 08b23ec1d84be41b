package dev.rewind.examples.report;

/**
 * One finished training episode of one run (environment, replay variant, seed).
 *
 * @param environment      environment name, e.g. {@code CartPole-v1}.
 * @param variant          replay strategy, e.g. {@code PER}.
 * @param seed             seed of the run.
 * @param episode          0-based index of the episode within the run.
 * @param envSteps         environment steps taken by the run so far, including this episode's.
 * @param episodeReturn    undiscounted return of the episode.
 * @param learnerNsPerStep mean wall time per environment step of the whole learner loop during this episode
 *                         (acting, storing, sampling, training), in nanoseconds.
 * @param replayNsPerStep  mean wall time per environment step spent in the replay buffer during this episode
 *                         (insert, sample, priority updates), in nanoseconds.
 */
public record EpisodeRecord(
    String environment,
    String variant,
    long seed,
    int episode,
    long envSteps,
    double episodeReturn,
    double learnerNsPerStep,
    double replayNsPerStep)
{
    /**
     * Checks the fields.
     *
     * @throws IllegalArgumentException if a name is blank or has a line break, or a count is negative.
     * @throws NullPointerException     if a name is null.
     */
    public EpisodeRecord
    {
        if (environment.isBlank() || variant.isBlank() || hasLineBreak(environment) || hasLineBreak(variant))
        {
            throw new IllegalArgumentException("environment and variant must be non-blank single lines: environment=" +
                environment + " variant=" + variant);
        }
        if (episode < 0 || envSteps < 0)
        {
            throw new IllegalArgumentException(
                "episode and envSteps must not be negative: episode=" + episode + " envSteps=" + envSteps);
        }
    }

    private static boolean hasLineBreak(final String name)
    {
        return name.indexOf('\n') >= 0 || name.indexOf('\r') >= 0;
    }
}
