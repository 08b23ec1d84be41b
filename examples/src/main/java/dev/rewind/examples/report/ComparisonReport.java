package dev.rewind.examples.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The replay-strategy comparison: per-episode records in, a report directory out.
 * <pre>{@code
 * final ComparisonReport report = ComparisonReport.of(records, Map.of("CartPole-v1", TaskInfo.of(new CartPole())));
 * report.writeTo(Path.of("results/report"));
 * }</pre>
 * The directory receives {@code episodes.csv} (every record, see {@link EpisodeCsv}), {@code summary.md} (a table per
 * environment with the measures of {@link Metrics}, the best variant by each measure, and the plot) and
 * {@code curves.<environment>.svg} (see {@link LearningCurvePlot}).
 * <p>
 * Environments and variants are listed in the order they first appear in the records, so the caller controls the
 * order; each variant keeps its colour across all plots.
 */
public final class ComparisonReport
{
    /** File name of the per-episode data. */
    public static final String EPISODES_FILE = "episodes.csv";
    /** File name of the markdown summary. */
    public static final String SUMMARY_FILE = "summary.md";
    /** Number of points of the common step grid of the learning curves. */
    public static final int CURVE_POINTS = 200;

    /**
     * Okabe-Ito colours, distinguishable with the common colour-vision deficiencies, ordered so that the first six are
     * far apart (yellow, too light on white, is left out; dark grey stands in).
     */
    private static final String[] PALETTE =
        {"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#4D4D4D", "#56B4E9", "#8C564B"};

    private final List<EpisodeRecord> records;
    private final Map<String, TaskInfo> tasks;
    private final Map<String, Map<String, List<List<EpisodeRecord>>>> runs;
    private final Map<String, String> colours = new LinkedHashMap<>();

    private ComparisonReport(
        final List<EpisodeRecord> records,
        final Map<String, TaskInfo> tasks,
        final Map<String, Map<String, List<List<EpisodeRecord>>>> runs)
    {
        this.records = records;
        this.tasks = tasks;
        this.runs = runs;
        for (final EpisodeRecord record : records)
        {
            if (!colours.containsKey(record.variant()))
            {
                colours.put(record.variant(), PALETTE[colours.size() % PALETTE.length]);
            }
        }
    }

    /**
     * Groups the records into runs and checks them.
     *
     * @param records every finished episode, of any environments, variants and seeds, in any order.
     * @param tasks   threshold and random-policy return of each environment that appears in the records.
     * @return the report, ready to render.
     * @throws IllegalArgumentException if an environment has no task, if a run repeats an episode index, or if a
     *                                  run's step counts decrease.
     */
    public static ComparisonReport of(final List<EpisodeRecord> records, final Map<String, TaskInfo> tasks)
    {
        final Map<String, Map<String, Map<Long, List<EpisodeRecord>>>> bySeed = new LinkedHashMap<>();
        for (final EpisodeRecord record : records)
        {
            if (!tasks.containsKey(record.environment()))
            {
                throw new IllegalArgumentException("no task info for environment: environment=" +
                    record.environment() + " known=" + tasks.keySet());
            }
            bySeed.computeIfAbsent(record.environment(), k -> new LinkedHashMap<>())
                .computeIfAbsent(record.variant(), k -> new LinkedHashMap<>())
                .computeIfAbsent(record.seed(), k -> new ArrayList<>())
                .add(record);
        }
        final Map<String, Map<String, List<List<EpisodeRecord>>>> runs = new LinkedHashMap<>();
        bySeed.forEach((environment, variants) ->
        {
            final Map<String, List<List<EpisodeRecord>>> byVariant = new LinkedHashMap<>();
            variants.forEach((variant, seeds) ->
            {
                final List<List<EpisodeRecord>> list = new ArrayList<>();
                for (final List<EpisodeRecord> run : seeds.values())
                {
                    run.sort(Comparator.comparingInt(EpisodeRecord::episode));
                    checkRun(run);
                    list.add(List.copyOf(run));
                }
                byVariant.put(variant, List.copyOf(list));
            });
            runs.put(environment, byVariant);
        });
        return new ComparisonReport(List.copyOf(records), Map.copyOf(tasks), runs);
    }

    private static void checkRun(final List<EpisodeRecord> run)
    {
        for (int i = 1; i < run.size(); i++)
        {
            final EpisodeRecord previous = run.get(i - 1);
            final EpisodeRecord current = run.get(i);
            if (previous.episode() == current.episode() || current.envSteps() < previous.envSteps())
            {
                throw new IllegalArgumentException("inconsistent run: environment=" + current.environment() +
                    " variant=" + current.variant() + " seed=" + current.seed() + " episode=" + current.episode() +
                    " envSteps=" + current.envSteps() + " previous episode=" + previous.episode() +
                    " previous envSteps=" + previous.envSteps());
            }
        }
    }

    /**
     * Environments in order of first appearance.
     *
     * @return the environment names.
     */
    public List<String> environments()
    {
        return List.copyOf(runs.keySet());
    }

    /**
     * Variants in order of first appearance across all environments.
     *
     * @return the variant names.
     */
    public List<String> variants()
    {
        return List.copyOf(colours.keySet());
    }

    /**
     * The table rows of one environment.
     *
     * @param environment an environment of the records.
     * @return one summary per variant, in order of first appearance.
     * @throws IllegalArgumentException if the environment has no records.
     */
    public List<VariantSummary> summaries(final String environment)
    {
        final TaskInfo task = tasks.get(environment);
        final List<VariantSummary> rows = new ArrayList<>();
        variantsOf(environment).forEach((variant, seedRuns) ->
        {
            final int n = seedRuns.size();
            final double[] steps = new double[n];
            final double[] finals = new double[n];
            final double[] learner = new double[n];
            final double[] replay = new double[n];
            int reached = 0;
            for (int i = 0; i < n; i++)
            {
                final List<EpisodeRecord> run = seedRuns.get(i);
                final long s = Metrics.stepsToThreshold(run, task.threshold());
                steps[i] = Metrics.NOT_REACHED == s ? Double.POSITIVE_INFINITY : s;
                reached += Metrics.NOT_REACHED == s ? 0 : 1;
                finals[i] = Metrics.finalReturn(run);
                learner[i] = Metrics.nsPerStep(run, EpisodeRecord::learnerNsPerStep) / 1_000.0;
                replay[i] = Metrics.nsPerStep(run, EpisodeRecord::replayNsPerStep) / 1_000.0;
            }
            rows.add(new VariantSummary(variant, n, reached, Metrics.median(steps), Metrics.mean(finals),
                Metrics.standardDeviation(finals), Metrics.mean(learner), Metrics.mean(replay)));
        });
        return rows;
    }

    /**
     * The learning curves of one environment on a grid of {@link #CURVE_POINTS} steps from 0 to the longest run.
     *
     * @param environment an environment of the records.
     * @return one curve per variant, in order of first appearance.
     * @throws IllegalArgumentException if the environment has no records.
     */
    public List<LearningCurve> curves(final String environment)
    {
        final Map<String, List<List<EpisodeRecord>>> variants = variantsOf(environment);
        long maxStep = 1;
        for (final List<List<EpisodeRecord>> seedRuns : variants.values())
        {
            for (final List<EpisodeRecord> run : seedRuns)
            {
                maxStep = Math.max(maxStep, run.getLast().envSteps());
            }
        }
        final double[] grid = LearningCurve.grid(maxStep, CURVE_POINTS);
        final List<LearningCurve> curves = new ArrayList<>();
        variants.forEach((variant, seedRuns) -> curves.add(LearningCurve.resample(variant, seedRuns, grid)));
        return curves;
    }

    /**
     * The learning-curve plot of one environment.
     *
     * @param environment an environment of the records.
     * @return the SVG document.
     * @throws IllegalArgumentException if the environment has no records.
     */
    public String svg(final String environment)
    {
        return LearningCurvePlot.render(environment, tasks.get(environment), curves(environment), colours);
    }

    /**
     * File name of an environment's plot: {@code curves.<environment>.svg}, with characters other than letters,
     * digits, '.', '_' and '-' replaced by '_'.
     *
     * @param environment environment name.
     * @return the file name.
     */
    public static String svgFileName(final String environment)
    {
        return "curves." + environment.replaceAll("[^A-Za-z0-9._-]", "_") + ".svg";
    }

    /**
     * The markdown summary: definitions, then per environment the table, the best variant by each measure and the
     * plot.
     *
     * @return the content of {@code summary.md}.
     */
    public String markdown()
    {
        final StringBuilder md = new StringBuilder(8 * 1024);
        long totalSteps = 0;
        int runCount = 0;
        for (final Map<String, List<List<EpisodeRecord>>> variants : runs.values())
        {
            for (final List<List<EpisodeRecord>> seedRuns : variants.values())
            {
                runCount += seedRuns.size();
                for (final List<EpisodeRecord> run : seedRuns)
                {
                    totalSteps += run.getLast().envSteps();
                }
            }
        }
        md.append("# Replay-strategy comparison\n\n");
        md.append(runCount).append(" runs, ").append(records.size()).append(" episodes, ").append(totalSteps)
            .append(" environment steps. Every episode is in [").append(EPISODES_FILE).append("](")
            .append(EPISODES_FILE).append(").\n\n");
        md.append("How the numbers are computed:\n\n");
        md.append("- **Steps to threshold**: for each seed, the environment step at which the mean return of the last ")
            .append(Metrics.THRESHOLD_WINDOW).append(" episodes (a full window) first reaches the task's threshold. ")
            .append("The table gives the median across seeds, a seed that never reached it counting as infinitely ")
            .append("late (\"not reached\" when the median seed did not reach it), and how many seeds reached it.\n");
        md.append("- **Final return**: for each seed, the mean return of its last ")
            .append(String.format(Locale.ROOT, "%.0f%%", Metrics.FINAL_FRACTION * 100))
            .append(" of episodes (rounded up, at least one); mean and sample standard deviation across seeds.\n");
        md.append("- **Learner / replay time per step**: for each seed, total time over total environment steps ")
            .append("(per-episode times weighted by episode length); mean across seeds, in microseconds. Learner ")
            .append("time is the whole training loop; replay time is the part spent in the replay buffer.\n");
        md.append("- **Best**: fewest steps to threshold (ties broken by more seeds reaching it), highest final ")
            .append("return, lowest times. A lead smaller than the standard deviations is not evidence of a real ")
            .append("difference.\n");
        md.append("- **Plots**: the mean across seeds of each seed's ").append(Metrics.THRESHOLD_WINDOW)
            .append("-episode moving average, resampled onto ").append(CURVE_POINTS)
            .append(" evenly spaced steps; the band is plus or minus one standard deviation across seeds.\n");

        for (final String environment : runs.keySet())
        {
            final TaskInfo task = tasks.get(environment);
            final List<VariantSummary> rows = summaries(environment);
            md.append("\n## ").append(environment).append("\n\n");
            md.append("Threshold ").append(number(task.threshold(), 1));
            if (Double.isFinite(task.randomReturn()))
            {
                md.append("; random policy ").append(number(task.randomReturn(), 1));
            }
            md.append(".\n\n");
            md.append("| Variant | Seeds | Steps to threshold (median) | Seeds reaching threshold | ")
                .append("Final return (mean ± sd) | Learner µs/step | Replay µs/step |\n");
            md.append("|:--|--:|--:|--:|--:|--:|--:|\n");
            for (final VariantSummary row : rows)
            {
                md.append("| ").append(row.variant().replace("|", "\\|"))
                    .append(" | ").append(row.seeds())
                    .append(" | ").append(row.reachedThreshold() ?
                        String.format(Locale.ROOT, "%d", Math.round(row.medianStepsToThreshold())) : "not reached")
                    .append(" | ").append(row.seedsReached()).append('/').append(row.seeds())
                    .append(" | ").append(number(row.finalReturnMean(), 1)).append(" ± ")
                    .append(number(row.finalReturnStd(), 1))
                    .append(" | ").append(number(row.learnerUsPerStep(), 2))
                    .append(" | ").append(number(row.replayUsPerStep(), 2))
                    .append(" |\n");
            }
            md.append('\n').append(bestLine(rows)).append("\n\n");
            md.append("![").append(environment).append(" learning curves](").append(svgFileName(environment))
                .append(")\n");
        }
        return md.toString();
    }

    /**
     * The sentence naming the best variant by each measure, computed from the rows.
     *
     * @param rows the table of one environment.
     * @return e.g. {@code Best: fewest steps to threshold: PER (12000, 10/10 seeds); ...}.
     */
    static String bestLine(final List<VariantSummary> rows)
    {
        final StringBuilder line = new StringBuilder("Best: ");
        final Comparator<VariantSummary> bySteps = Comparator
            .comparingDouble((VariantSummary r) -> r.reachedThreshold() ?
                (double)Math.round(r.medianStepsToThreshold()) : Double.POSITIVE_INFINITY)
            .thenComparing(Comparator.comparingInt(VariantSummary::seedsReached).reversed());
        final List<VariantSummary> fastest = best(rows, bySteps);
        if (fastest.isEmpty() || !fastest.getFirst().reachedThreshold())
        {
            line.append("fewest steps to threshold: no variant's median seed reached the threshold");
        }
        else
        {
            final VariantSummary top = fastest.getFirst();
            line.append("fewest steps to threshold: ").append(names(fastest)).append(" (")
                .append(Math.round(top.medianStepsToThreshold())).append(", ").append(top.seedsReached()).append('/')
                .append(top.seeds()).append(" seeds)");
        }
        appendBest(line, rows, "highest final return", VariantSummary::finalReturnMean, true, 1, "");
        appendBest(line, rows, "lowest learner time", VariantSummary::learnerUsPerStep, false, 2, " µs/step");
        appendBest(line, rows, "lowest replay time", VariantSummary::replayUsPerStep, false, 2, " µs/step");
        return line.append('.').toString();
    }

    /**
     * Appends the variants with the best value of a measure, compared at the precision the table shows so that the
     * sentence never separates numbers that read the same; rows without a value (NaN) are left out.
     */
    private static void appendBest(
        final StringBuilder line,
        final List<VariantSummary> rows,
        final String label,
        final ToDoubleFunction<VariantSummary> measure,
        final boolean higherIsBetter,
        final int decimals,
        final String unit)
    {
        final double scale = Math.pow(10, decimals);
        final List<VariantSummary> valued = rows.stream().filter(r -> !Double.isNaN(measure.applyAsDouble(r))).toList();
        final ToDoubleFunction<VariantSummary> shown = r -> Math.round(measure.applyAsDouble(r) * scale) / scale;
        final Comparator<VariantSummary> ascending = Comparator.comparingDouble(shown);
        final List<VariantSummary> top = best(valued, higherIsBetter ? ascending.reversed() : ascending);
        if (!top.isEmpty())
        {
            line.append("; ").append(label).append(": ").append(names(top)).append(" (")
                .append(number(measure.applyAsDouble(top.getFirst()), decimals)).append(unit).append(')');
        }
    }

    /** All rows tied for first place under the comparator. */
    private static List<VariantSummary> best(final List<VariantSummary> rows, final Comparator<VariantSummary> order)
    {
        final List<VariantSummary> sorted = new ArrayList<>(rows);
        sorted.sort(order);
        final List<VariantSummary> top = new ArrayList<>();
        for (final VariantSummary row : sorted)
        {
            if (top.isEmpty() || 0 == order.compare(top.getFirst(), row))
            {
                top.add(row);
            }
        }
        return top;
    }

    private static String names(final List<VariantSummary> rows)
    {
        final StringBuilder names = new StringBuilder();
        for (final VariantSummary row : rows)
        {
            names.append(names.isEmpty() ? "" : ", ").append("**").append(row.variant()).append("**");
        }
        return rows.size() > 1 ? names + " (tie)" : names.toString();
    }

    private static String number(final double value, final int decimals)
    {
        return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    private Map<String, List<List<EpisodeRecord>>> variantsOf(final String environment)
    {
        final Map<String, List<List<EpisodeRecord>>> variants = runs.get(environment);
        if (null == variants)
        {
            throw new IllegalArgumentException("no records for environment: environment=" + environment);
        }
        return variants;
    }

    /**
     * Writes {@code episodes.csv}, {@code summary.md} and one {@code curves.<environment>.svg} per environment,
     * creating the directory if needed and replacing existing files.
     *
     * @param directory the report directory.
     * @return the files written.
     * @throws UncheckedIOException if a file cannot be written.
     */
    public List<Path> writeTo(final Path directory)
    {
        final List<Path> written = new ArrayList<>();
        try
        {
            Files.createDirectories(directory);
            final Path csv = directory.resolve(EPISODES_FILE);
            EpisodeCsv.write(csv, records);
            written.add(csv);
            final Path summary = directory.resolve(SUMMARY_FILE);
            Files.writeString(summary, markdown(), StandardCharsets.UTF_8);
            written.add(summary);
            for (final String environment : runs.keySet())
            {
                final Path svg = directory.resolve(svgFileName(environment));
                Files.writeString(svg, svg(environment), StandardCharsets.UTF_8);
                written.add(svg);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write report to " + directory, ex);
        }
        return written;
    }
}
