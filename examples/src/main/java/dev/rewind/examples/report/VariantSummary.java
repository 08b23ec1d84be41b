package dev.rewind.examples.report;

/**
 * One row of the summary table: a variant's measures on one environment, aggregated across seeds as defined in
 * {@link Metrics}.
 *
 * @param variant                replay strategy.
 * @param seeds                  number of seeds (runs).
 * @param seedsReached           seeds whose moving average reached the threshold.
 * @param medianStepsToThreshold median environment steps to the threshold; {@code +Infinity} if not reached by the
 *                               median seed.
 * @param finalReturnMean        mean across seeds of the final return.
 * @param finalReturnStd         sample standard deviation across seeds of the final return.
 * @param learnerUsPerStep       learner wall time per environment step, microseconds, mean across seeds.
 * @param replayUsPerStep        replay time per environment step, microseconds, mean across seeds.
 */
public record VariantSummary(
    String variant,
    int seeds,
    int seedsReached,
    double medianStepsToThreshold,
    double finalReturnMean,
    double finalReturnStd,
    double learnerUsPerStep,
    double replayUsPerStep)
{
    /**
     * Whether the median seed reached the threshold.
     *
     * @return {@code true} if {@link #medianStepsToThreshold()} is finite.
     */
    public boolean reachedThreshold()
    {
        return Double.isFinite(medianStepsToThreshold);
    }
}
