package dev.rewind.examples.report;

import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The report's measures, computed on one run (the episodes of one environment, variant and seed, in episode order)
 * and then aggregated across seeds.
 * <ul>
 *     <li><b>Steps to threshold</b> of a run: the {@code envSteps} of the first episode at which the mean return of
 *     the last {@link #THRESHOLD_WINDOW} episodes (a full window, so episodes 0..8 never count) is at least the
 *     task's threshold; {@link #NOT_REACHED} if that never happens. Across seeds: the median, with a run that never
 *     reached the threshold counted as infinitely late, so the median is infinite ("not reached") when fewer than
 *     half of the seeds reached it.</li>
 *     <li><b>Final return</b> of a run: the mean return of its last {@link #FINAL_FRACTION} of episodes, rounded up
 *     to a whole episode (at least one). Across seeds: mean and sample standard deviation (n - 1; 0 for one seed).
 *     </li>
 *     <li><b>Time per step</b> of a run: the per-episode times weighted by the episode's length in steps, i.e. total
 *     time over total steps. Across seeds: the mean.</li>
 * </ul>
 */
public final class Metrics
{
    /** Episodes in the moving average that is compared with the threshold. */
    public static final int THRESHOLD_WINDOW = 10;
    /** Share of a run's last episodes that make up its final return. */
    public static final double FINAL_FRACTION = 0.10;
    /** Returned by {@link #stepsToThreshold} when the run never reached the threshold. */
    public static final long NOT_REACHED = -1L;

    private Metrics()
    {
    }

    /**
     * First environment step at which the moving average of the last {@link #THRESHOLD_WINDOW} episode returns
     * reaches {@code threshold}.
     *
     * @param run       episodes of one run in episode order.
     * @param threshold the task's threshold return.
     * @return the {@code envSteps} of the episode that completed the window, or {@link #NOT_REACHED}.
     */
    public static long stepsToThreshold(final List<EpisodeRecord> run, final double threshold)
    {
        double windowSum = 0.0;
        for (int i = 0; i < run.size(); i++)
        {
            windowSum += run.get(i).episodeReturn();
            if (i >= THRESHOLD_WINDOW)
            {
                windowSum -= run.get(i - THRESHOLD_WINDOW).episodeReturn();
            }
            if (i >= THRESHOLD_WINDOW - 1 && windowSum / THRESHOLD_WINDOW >= threshold)
            {
                return run.get(i).envSteps();
            }
        }
        return NOT_REACHED;
    }

    /**
     * Number of episodes that make up the final return of a run of {@code episodes} episodes.
     *
     * @param episodes episodes in the run.
     * @return {@code max(1, ceil(FINAL_FRACTION * episodes))}, or 0 for an empty run.
     */
    public static int finalEpisodeCount(final int episodes)
    {
        if (0 == episodes)
        {
            return 0;
        }
        return Math.max(1, (int)Math.ceil(FINAL_FRACTION * episodes - 1e-9));
    }

    /**
     * Mean return of the last {@link #FINAL_FRACTION} of a run's episodes.
     *
     * @param run episodes of one run in episode order.
     * @return the final return, NaN for an empty run.
     */
    public static double finalReturn(final List<EpisodeRecord> run)
    {
        final int count = finalEpisodeCount(run.size());
        double sum = 0.0;
        for (int i = run.size() - count; i < run.size(); i++)
        {
            sum += run.get(i).episodeReturn();
        }
        return 0 == count ? Double.NaN : sum / count;
    }

    /**
     * Per-step time of a run: per-episode times weighted by episode length.
     *
     * @param run    episodes of one run in episode order.
     * @param timeNs the per-step time of an episode, e.g. {@link EpisodeRecord#learnerNsPerStep()}.
     * @return total time over total steps in nanoseconds, NaN if the run took no steps.
     */
    public static double nsPerStep(final List<EpisodeRecord> run, final ToDoubleFunction<EpisodeRecord> timeNs)
    {
        double totalNs = 0.0;
        long totalSteps = 0;
        long previousSteps = 0;
        for (final EpisodeRecord record : run)
        {
            final long steps = record.envSteps() - previousSteps;
            previousSteps = record.envSteps();
            totalNs += timeNs.applyAsDouble(record) * steps;
            totalSteps += steps;
        }
        return 0 == totalSteps ? Double.NaN : totalNs / totalSteps;
    }

    /**
     * Arithmetic mean.
     *
     * @param values the sample.
     * @return the mean, NaN for an empty sample.
     */
    public static double mean(final double[] values)
    {
        double sum = 0.0;
        for (final double value : values)
        {
            sum += value;
        }
        return 0 == values.length ? Double.NaN : sum / values.length;
    }

    /**
     * Sample standard deviation with Bessel's correction.
     *
     * @param values the sample.
     * @return the standard deviation, 0 for a single value, NaN for an empty sample.
     */
    public static double standardDeviation(final double[] values)
    {
        if (values.length < 2)
        {
            return 0 == values.length ? Double.NaN : 0.0;
        }
        final double mean = mean(values);
        double squares = 0.0;
        for (final double value : values)
        {
            squares += (value - mean) * (value - mean);
        }
        return Math.sqrt(squares / (values.length - 1));
    }

    /**
     * Median; infinite values sort last, so they make the median infinite only if they fill the middle.
     *
     * @param values the sample, not modified.
     * @return the middle value, or the mean of the two middle values for an even count; NaN for an empty sample.
     */
    public static double median(final double[] values)
    {
        if (0 == values.length)
        {
            return Double.NaN;
        }
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        final int middle = sorted.length / 2;
        if (1 == sorted.length % 2)
        {
            return sorted[middle];
        }
        final double low = sorted[middle - 1];
        final double high = sorted[middle];
        return Double.isInfinite(high) ? high : (low + high) / 2.0;
    }
}
