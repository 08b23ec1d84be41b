package dev.rewind.examples.report;

import dev.rewind.examples.env.Environment;

/**
 * What the report needs to know about a task besides the episodes.
 *
 * @param threshold    return at which the task counts as solved (see {@link Metrics#stepsToThreshold}).
 * @param randomReturn mean return of the uniformly random policy, drawn as a reference line; NaN if unknown.
 */
public record TaskInfo(double threshold, double randomReturn)
{
    /**
     * Checks the threshold.
     *
     * @throws IllegalArgumentException if the threshold is not finite.
     */
    public TaskInfo
    {
        if (!Double.isFinite(threshold))
        {
            throw new IllegalArgumentException("threshold must be finite: threshold=" + threshold);
        }
    }

    /**
     * The task description of an environment.
     *
     * @param env the environment.
     * @return its solved return and random-policy return.
     */
    public static TaskInfo of(final Environment env)
    {
        return new TaskInfo(env.solvedReturn(), env.randomReturn());
    }
}
