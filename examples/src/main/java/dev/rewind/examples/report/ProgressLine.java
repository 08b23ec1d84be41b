package dev.rewind.examples.report;

import java.util.Locale;

/**
 * One human-readable line per finished run, for the console of a long comparison, e.g.
 * <pre>
 * CartPole-v1      DALAP           seed   3  episodes   412  steps   100000  last return    500.0  elapsed 1m23.4s
 * </pre>
 */
public final class ProgressLine
{
    private ProgressLine()
    {
    }

    /**
     * Formats a progress line.
     *
     * @param environment environment name.
     * @param variant     replay strategy.
     * @param seed        seed of the run.
     * @param episodes    episodes finished.
     * @param envSteps    environment steps taken.
     * @param lastReturn  return of the last episode.
     * @param elapsedNs   wall time of the run so far, nanoseconds.
     * @return the line, without line terminator.
     */
    public static String format(
        final String environment,
        final String variant,
        final long seed,
        final int episodes,
        final long envSteps,
        final double lastReturn,
        final long elapsedNs)
    {
        return String.format(Locale.ROOT,
            "%-16s %-15s seed %3d  episodes %5d  steps %8d  last return %8.1f  elapsed %s",
            environment, variant, seed, episodes, envSteps, lastReturn, duration(elapsedNs));
    }

    /**
     * Formats a progress line from the run's last episode.
     *
     * @param last      the run's last finished episode.
     * @param elapsedNs wall time of the run so far, nanoseconds.
     * @return the line, without line terminator.
     */
    public static String of(final EpisodeRecord last, final long elapsedNs)
    {
        return format(last.environment(), last.variant(), last.seed(), last.episode() + 1, last.envSteps(),
            last.episodeReturn(), elapsedNs);
    }

    /**
     * A duration as {@code 12.3s}, {@code 4m05.0s} or {@code 1h02m03s}.
     *
     * @param nanos duration in nanoseconds, not negative.
     * @return the formatted duration.
     */
    public static String duration(final long nanos)
    {
        final double seconds = nanos / 1e9;
        if (seconds < 60.0)
        {
            return String.format(Locale.ROOT, "%.1fs", seconds);
        }
        final long wholeSeconds = nanos / 1_000_000_000L;
        if (wholeSeconds < 3600)
        {
            return String.format(Locale.ROOT, "%dm%04.1fs", wholeSeconds / 60, seconds - 60 * (wholeSeconds / 60));
        }
        return String.format(Locale.ROOT, "%dh%02dm%02ds", wholeSeconds / 3600, wholeSeconds / 60 % 60,
            wholeSeconds % 60);
    }
}
