package dev.rewind.examples.report;

import java.util.List;

/**
 * A variant's learning curve on a common step grid: at each grid step, the mean and standard deviation across seeds
 * of each seed's smoothed return.
 * <p>
 * A seed's smoothed return at step s is the mean return of its last (up to) {@link Metrics#THRESHOLD_WINDOW}
 * episodes that ended at or before s. A seed contributes to a grid step from the end of its first episode to the end
 * of its last one plus its longest episode (the span in which its unrecorded, unfinished last episode could still have
 * been running), so {@link #count()} can be below {@link #seeds()} at either end, and is 0 where no seed has data.
 * Without that allowance the last grid step of runs with a common budget would hold only the seeds whose last episode
 * happened to end exactly on it, a biased few.
 *
 * @param variant replay strategy.
 * @param seeds   number of runs.
 * @param steps   grid steps, ascending.
 * @param mean    mean across contributing seeds; NaN where {@code count} is 0.
 * @param sd      sample standard deviation across contributing seeds (0 for one seed); NaN where {@code count} is 0.
 * @param count   number of contributing seeds at each grid step.
 */
public record LearningCurve(String variant, int seeds, double[] steps, double[] mean, double[] sd, int[] count)
{
    /**
     * Resamples runs onto a grid.
     *
     * @param variant replay strategy of the runs.
     * @param runs    runs of one environment and variant, each in episode order.
     * @param grid    grid steps, ascending.
     * @return the curve.
     */
    public static LearningCurve resample(
        final String variant, final List<List<EpisodeRecord>> runs, final double[] grid)
    {
        final int points = grid.length;
        final double[][] values = new double[runs.size()][];
        for (int r = 0; r < runs.size(); r++)
        {
            values[r] = smoothedOnGrid(runs.get(r), grid);
        }
        final double[] mean = new double[points];
        final double[] sd = new double[points];
        final int[] count = new int[points];
        for (int g = 0; g < points; g++)
        {
            int n = 0;
            for (final double[] run : values)
            {
                if (!Double.isNaN(run[g]))
                {
                    n++;
                }
            }
            final double[] sample = new double[n];
            int k = 0;
            for (final double[] run : values)
            {
                if (!Double.isNaN(run[g]))
                {
                    sample[k++] = run[g];
                }
            }
            count[g] = n;
            mean[g] = Metrics.mean(sample);
            sd[g] = Metrics.standardDeviation(sample);
        }
        return new LearningCurve(variant, runs.size(), grid.clone(), mean, sd, count);
    }

    /**
     * Evenly spaced grid from 0 to {@code maxStep}.
     *
     * @param maxStep last grid step.
     * @param points  number of grid points, at least 2.
     * @return the grid.
     */
    public static double[] grid(final long maxStep, final int points)
    {
        final double[] grid = new double[points];
        for (int i = 0; i < points; i++)
        {
            grid[i] = (double)maxStep * i / (points - 1);
        }
        return grid;
    }

    private static double[] smoothedOnGrid(final List<EpisodeRecord> run, final double[] grid)
    {
        final double[] out = new double[grid.length];
        final int episodes = run.size();
        final double[] prefix = new double[episodes + 1];
        for (int i = 0; i < episodes; i++)
        {
            prefix[i + 1] = prefix[i] + run.get(i).episodeReturn();
        }
        long longest = 0;
        for (int i = 0; i < episodes; i++)
        {
            longest = Math.max(longest, run.get(i).envSteps() - (0 == i ? 0 : run.get(i - 1).envSteps()));
        }
        final long lastStep = 0 == episodes ? -1 : run.get(episodes - 1).envSteps() + longest;
        int ended = 0;
        for (int g = 0; g < grid.length; g++)
        {
            while (ended < episodes && run.get(ended).envSteps() <= grid[g])
            {
                ended++;
            }
            if (0 == ended || grid[g] > lastStep)
            {
                out[g] = Double.NaN;
            }
            else
            {
                final int from = Math.max(0, ended - Metrics.THRESHOLD_WINDOW);
                out[g] = (prefix[ended] - prefix[from]) / (ended - from);
            }
        }
        return out;
    }
}
