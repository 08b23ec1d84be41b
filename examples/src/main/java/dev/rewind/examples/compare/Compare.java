package dev.rewind.examples.compare;

import dev.rewind.examples.env.Environment;
import dev.rewind.examples.env.Environments;
import dev.rewind.examples.report.ComparisonReport;
import dev.rewind.examples.report.EpisodeCsv;
import dev.rewind.examples.report.EpisodeRecord;
import dev.rewind.examples.report.ProgressLine;
import dev.rewind.examples.report.TaskInfo;
import dev.rewind.kernels.Kernels;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The replay-strategy comparison, Rewind's main job: every variant on every environment over several seeds, with a
 * progress line per finished run, written as a report directory.
 * <pre>
 * rewind compare [--quick] [--seeds N] [--first-seed S] [--envs a,b] [--variants a,b] [--steps N] [--out DIR]
 *                [--threads N]
 * </pre>
 * The report directory holds {@code episodes.csv}, {@code summary.md} and {@code curves.<environment>.svg} (see
 * {@link ComparisonReport}), plus {@code costs.md} (where the time per step goes, DALAP's PSAN and
 * Priority-Encouragement included) and {@code run.md} (the command, running time, machine and settings).
 * {@code episodes.partial.csv} grows as runs finish, so an interrupted comparison keeps what it did; the final
 * {@code episodes.csv} is sorted by environment, variant and seed whatever order the runs finished in.
 *
 * <p>Runs go to a pool of {@code --threads} workers (default: the available processors). Each run draws all its
 * randomness from generators derived from its seed, so the order and number of threads do not matter. With
 * {@code --scalar} the episodes are bit-for-bit the same on every run. With the vector kernels (the default) they are
 * the same once the JIT has compiled the kernels, but a run that starts while they are still interpreted can drift
 * after a few thousand steps: the Vector API's {@code pow}, {@code exp} and floating-point lane reductions may round
 * differently in interpreted and compiled code (each within the kernels' documented tolerance).
 */
public final class Compare
{
    /** Default number of seeds. */
    public static final int SEEDS_DEFAULT = 10;
    /** Default number of seeds of the quick preset. */
    public static final int QUICK_SEEDS_DEFAULT = 3;
    /** Default report directory, relative to the working directory. */
    public static final String OUT_DEFAULT = "results/compare";
    /** File the finished runs' episodes are appended to as they finish. */
    public static final String PARTIAL_FILE = "episodes.partial.csv";
    /** File with the cost breakdown. */
    public static final String COSTS_FILE = "costs.md";
    /** File with the command, running time and settings. */
    public static final String RUN_FILE = "run.md";

    private Compare()
    {
    }

    /**
     * The parsed command line.
     *
     * @param quick        the quick preset (shorter runs, fewer seeds by default).
     * @param seeds        number of seeds.
     * @param firstSeed    first seed; the seeds are {@code firstSeed .. firstSeed + seeds - 1}.
     * @param environments environment names, in report order.
     * @param variants     variants, in report order.
     * @param steps        environment steps per run overriding the preset, or 0.
     * @param out          report directory.
     * @param threads      worker threads.
     * @param scalar       run the scalar kernels instead of the best available (bit-reproducible, slower).
     */
    public record Options(
        boolean quick, int seeds, long firstSeed, List<String> environments, List<Variant> variants, long steps,
        Path out, int threads, boolean scalar)
    {
        /**
         * Steps of one run on an environment.
         *
         * @param environment the environment name.
         * @return the override, or the preset's budget.
         */
        public long stepsFor(final String environment)
        {
            if (steps > 0)
            {
                return steps;
            }
            final Hyperparameters h = Hyperparameters.of(environment);
            return quick ? h.quickSteps() : h.steps();
        }

        /**
         * Parses the arguments after {@code compare}.
         *
         * @param args the arguments.
         * @return the options.
         * @throws IllegalArgumentException on an unknown or malformed argument.
         */
        public static Options parse(final String... args)
        {
            boolean quick = false;
            Integer seeds = null;
            long firstSeed = 1;
            List<String> envs = Environments.NAMES;
            List<Variant> variants = List.of(Variant.values());
            long steps = 0;
            Path out = Path.of(OUT_DEFAULT);
            int threads = Runtime.getRuntime().availableProcessors();
            boolean scalar = false;
            for (int i = 0; i < args.length; i++)
            {
                final String arg = args[i];
                switch (arg)
                {
                    case "--quick" -> quick = true;
                    case "--seeds" -> seeds = positive(arg, value(args, ++i, arg));
                    case "--first-seed" -> firstSeed = Long.parseLong(value(args, ++i, arg));
                    case "--envs" -> envs = Arrays.stream(value(args, ++i, arg).split(","))
                        .map(s -> Environments.create(s.trim()).name()).distinct().toList();
                    case "--variants" -> variants = Arrays.stream(value(args, ++i, arg).split(","))
                        .map(Variant::parse).distinct().toList();
                    case "--steps" -> steps = positive(arg, value(args, ++i, arg));
                    case "--out" -> out = Path.of(value(args, ++i, arg));
                    case "--threads" -> threads = positive(arg, value(args, ++i, arg));
                    case "--scalar" -> scalar = true;
                    default -> throw new IllegalArgumentException("unknown argument: " + arg + "\n" + usage());
                }
            }
            final int n = null != seeds ? seeds : quick ? QUICK_SEEDS_DEFAULT : SEEDS_DEFAULT;
            return new Options(quick, n, firstSeed, envs, variants, steps, out, threads, scalar);
        }

        private static String value(final String[] args, final int i, final String name)
        {
            if (i >= args.length)
            {
                throw new IllegalArgumentException(name + " needs a value\n" + usage());
            }
            return args[i];
        }

        private static int positive(final String name, final String value)
        {
            final int v = Integer.parseInt(value);
            if (v < 1)
            {
                throw new IllegalArgumentException(name + " must be positive: " + value);
            }
            return v;
        }
    }

    /**
     * The usage text.
     *
     * @return the text.
     */
    public static String usage()
    {
        return """
            usage: rewind compare [options]
              --quick           the quick preset: shorter runs and 3 seeds (a few minutes on 2 cores)
              --seeds N         seeds per variant and environment (default 10, 3 with --quick)
              --first-seed S    first seed (default 1)
              --envs a,b        environments (default CartPole-v1,MountainCar-v0,CliffWalking-v0)
              --variants a,b    variants (default Uniform,PER,LAP,DALAP,DALAP-noPE,PE-only)
              --steps N         environment steps per run, overriding the preset's budgets
              --out DIR         report directory (default results/compare)
              --threads N       parallel runs (default: available processors)
              --scalar          run the scalar kernels: bit-for-bit reproducible runs, slower""";
    }

    /**
     * Command-line entry point.
     *
     * @param args the arguments after {@code compare}.
     */
    public static void main(final String[] args)
    {
        final Options options;
        try
        {
            options = Options.parse(args);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println(ex.getMessage());
            System.exit(2);
            return;
        }
        run(options, System.out, "rewind compare " + String.join(" ", args));
    }

    /**
     * Runs the comparison and writes the report.
     *
     * @param options the options.
     * @param log     where progress lines go.
     * @param command the command line, recorded in {@code run.md}.
     * @return the files of the report directory.
     */
    public static List<Path> run(final Options options, final PrintStream log, final String command)
    {
        final Kernels kernels = options.scalar() ? Kernels.scalar() : Kernels.best();
        final List<Run> runs = new ArrayList<>();
        for (final String env : options.environments())
        {
            for (long s = options.firstSeed(); s < options.firstSeed() + options.seeds(); s++)
            {
                for (final Variant v : options.variants())
                {
                    runs.add(new Run(env, v, s, options.stepsFor(env)));
                }
            }
        }
        final Path out = options.out();
        final Path partial = out.resolve(PARTIAL_FILE);
        try
        {
            Files.createDirectories(out);
            Files.writeString(partial, EpisodeCsv.HEADER + "\n", StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot create " + out, ex);
        }
        log.printf(Locale.ROOT, "rewind compare: %d runs (%d environments x %d variants x %d seeds) on %d threads, " +
                "kernels %s, report in %s%n", runs.size(), options.environments().size(), options.variants().size(),
            options.seeds(), options.threads(), kernels.description(), out);

        final Instant started = Instant.now();
        final long start = System.nanoTime();
        final Map<Run, Run.Result> results = new LinkedHashMap<>();
        final ExecutorService pool = Executors.newFixedThreadPool(options.threads(), r ->
        {
            final Thread t = new Thread(r, "rewind-run");
            t.setDaemon(true);
            return t;
        });
        try
        {
            final ExecutorCompletionService<Map.Entry<Run, Run.Result>> done = new ExecutorCompletionService<>(pool);
            for (final Run run : runs)
            {
                done.submit(() -> Map.entry(run, run.execute(Hyperparameters.of(run.environment()), kernels)));
            }
            for (int finished = 1; finished <= runs.size(); finished++)
            {
                final Future<Map.Entry<Run, Run.Result>> next = done.take();
                final Map.Entry<Run, Run.Result> entry = next.get();
                final Run run = entry.getKey();
                final Run.Result result = entry.getValue();
                results.put(run, result);
                appendPartial(partial, result.episodes());
                final long elapsed = System.nanoTime() - start;
                final long eta = (long)((double)elapsed / finished * (runs.size() - finished));
                final String line = result.episodes().isEmpty() ?
                    String.format(Locale.ROOT, "%-16s %-15s seed %3d  no episode finished in %d steps",
                        run.environment(), run.variant().label(), run.seed(), run.steps()) :
                    ProgressLine.of(result.episodes().getLast(), result.wallNs());
                log.printf(Locale.ROOT, "[%3d/%d] %s  (total %s, about %s left)%n", finished, runs.size(), line,
                    ProgressLine.duration(elapsed), ProgressLine.duration(eta));
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", ex);
        }
        catch (final ExecutionException ex)
        {
            throw new IllegalStateException("a run failed: " + ex.getCause(), ex.getCause());
        }
        finally
        {
            pool.shutdownNow();
        }
        final long wallNs = System.nanoTime() - start;

        final List<Run> ordered = new ArrayList<>(results.keySet());
        ordered.sort(Comparator.comparingInt((Run r) -> options.environments().indexOf(r.environment()))
            .thenComparingInt(r -> options.variants().indexOf(r.variant()))
            .thenComparingLong(Run::seed));
        final List<EpisodeRecord> records = new ArrayList<>();
        for (final Run run : ordered)
        {
            records.addAll(results.get(run).episodes());
        }
        final Map<String, TaskInfo> tasks = new LinkedHashMap<>();
        for (final String env : options.environments())
        {
            tasks.put(env, TaskInfo.of(Environments.create(env)));
        }
        final List<Path> files = new ArrayList<>(ComparisonReport.of(records, tasks).writeTo(out));
        try
        {
            final Path costs = out.resolve(COSTS_FILE);
            Files.writeString(costs, costs(options, ordered, results), StandardCharsets.UTF_8);
            files.add(costs);
            final Path about = out.resolve(RUN_FILE);
            Files.writeString(about, about(options, command, started, wallNs, kernels), StandardCharsets.UTF_8);
            files.add(about);
            Files.deleteIfExists(partial);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write report to " + out, ex);
        }
        log.printf(Locale.ROOT, "rewind compare: done in %s; report in %s%n", ProgressLine.duration(wallNs),
            out.resolve(ComparisonReport.SUMMARY_FILE));
        return files;
    }

    private static void appendPartial(final Path partial, final List<EpisodeRecord> episodes)
    {
        final StringBuilder lines = new StringBuilder(episodes.size() * 96);
        for (final EpisodeRecord e : episodes)
        {
            lines.append(EpisodeCsv.format(e)).append('\n');
        }
        try
        {
            Files.writeString(partial, lines, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot append to " + partial, ex);
        }
    }

    /** The cost breakdown: per environment and variant, means across seeds. */
    static String costs(final Options options, final List<Run> ordered, final Map<Run, Run.Result> results)
    {
        final StringBuilder md = new StringBuilder(4096);
        md.append("# Where the time per step goes\n\n");
        md.append("Means across seeds, in microseconds. *Learner* is the whole loop per environment step (acting, ")
            .append("environment, storing, sampling, training); *replay* is the part spent in the buffer (add, ")
            .append("sample, priority updates, and for DALAP and PE their extra work). *DALAP extra* is the ")
            .append("uniform draw, feature rows, PSAN and re-weighting per learner step; *PE* is ")
            .append("Priority-Encouragement per environment step. Runs shared the machine's cores, so absolute ")
            .append("times include contention.\n");
        for (final String env : options.environments())
        {
            md.append("\n## ").append(env).append("\n\n");
            md.append("| Variant | Learner µs/step | Replay µs/step | DALAP extra µs/learner step | PE µs/step | ")
                .append("Goals per run | Final beta |\n");
            md.append("|:--|--:|--:|--:|--:|--:|--:|\n");
            for (final Variant v : options.variants())
            {
                double learner = 0;
                double replay = 0;
                double extra = 0;
                double pe = 0;
                double goals = 0;
                double beta = 0;
                int n = 0;
                for (final Run run : ordered)
                {
                    if (run.environment().equals(env) && run.variant() == v)
                    {
                        final Run.Result r = results.get(run);
                        learner += r.wallNs() / 1e3 / run.steps();
                        replay += r.replayNs() / 1e3 / run.steps();
                        extra += 0 == r.learnerSteps() ? 0 : r.dalapExtraNs() / 1e3 / r.learnerSteps();
                        pe += r.peNs() / 1e3 / run.steps();
                        goals += r.goals();
                        beta += r.lastBeta();
                        n++;
                    }
                }
                if (0 == n)
                {
                    continue;
                }
                md.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %s | %s | %.1f | %s |%n", v.label(),
                    learner / n, replay / n, v.dalapBeta() ? String.format(Locale.ROOT, "%.2f", extra / n) : "-",
                    v.priorityEncouragement() ? String.format(Locale.ROOT, "%.3f", pe / n) : "-", goals / n,
                    Double.isNaN(beta) ? "-" : String.format(Locale.ROOT, "%.3f", beta / n)));
            }
        }
        return md.toString();
    }

    private static String about(
        final Options options, final String command, final Instant started, final long wallNs, final Kernels kernels)
    {
        final StringBuilder md = new StringBuilder(2048);
        md.append("# How this report was made\n\n");
        md.append("- Command: `").append(command).append("`\n");
        md.append("- Started: ").append(started.truncatedTo(ChronoUnit.SECONDS)).append("; running time ")
            .append(ProgressLine.duration(wallNs)).append(" on ").append(options.threads()).append(" threads (")
            .append(Runtime.getRuntime().availableProcessors()).append(" processors available)\n");
        md.append("- JVM: ").append(System.getProperty("java.vm.name")).append(' ')
            .append(System.getProperty("java.version")).append("; kernels: ").append(kernels.description())
            .append('\n');
        md.append("- Seeds: ").append(options.firstSeed()).append(" to ")
            .append(options.firstSeed() + options.seeds() - 1).append(options.quick() ? " (quick preset)" : "")
            .append('\n');
        md.append("- Variants: ").append(String.join(", ", options.variants().stream().map(Variant::label).toList()))
            .append('\n');
        md.append("\n| Environment | Steps per run | Learning starts | Epsilon decay steps | Buffer |\n");
        md.append("|:--|--:|--:|--:|--:|\n");
        for (final String env : options.environments())
        {
            final long steps = options.stepsFor(env);
            final var dqn = Hyperparameters.of(env).dqnFor(steps);
            md.append("| ").append(env).append(" | ").append(steps).append(" | ").append(dqn.learningStarts())
                .append(" | ").append(dqn.epsilonDecaySteps()).append(" | ").append(dqn.bufferCapacity())
                .append(" |\n");
        }
        md.append("\nThe learner's other settings are in `dev.rewind.examples.compare.Hyperparameters`, the variants' ")
            .append("in `dev.rewind.examples.compare.Variant`. DALAP is a reconstruction of DALAP from its ")
            .append("published description (`dev.rewind.engine.dalap`).\n");
        return md.toString();
    }

    /**
     * Task info of an environment, for callers that rebuild a report from {@code episodes.csv}.
     *
     * @param environment an environment name.
     * @return its threshold and random-policy return.
     */
    public static TaskInfo task(final String environment)
    {
        final Environment env = Environments.create(environment);
        return TaskInfo.of(env);
    }
}
