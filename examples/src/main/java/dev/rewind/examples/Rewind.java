package dev.rewind.examples;

import dev.rewind.examples.compare.Compare;
import dev.rewind.examples.report.ComparisonReport;
import dev.rewind.examples.report.EpisodeCsv;
import dev.rewind.examples.report.EpisodeRecord;
import dev.rewind.examples.report.TaskInfo;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code rewind} command: {@code rewind compare [options]} runs the replay-strategy comparison;
 * {@code rewind report DIR} rebuilds a report directory's summary and plots from its {@code episodes.csv} (or
 * {@code episodes.partial.csv} of an interrupted comparison).
 */
public final class Rewind
{
    private Rewind()
    {
    }

    /**
     * Entry point.
     *
     * @param args the sub-command and its arguments.
     */
    public static void main(final String[] args)
    {
        if (0 == args.length || "help".equals(args[0]) || "--help".equals(args[0]) || "-h".equals(args[0]))
        {
            System.out.println("usage: rewind compare [options]   run the replay-strategy comparison");
            System.out.println("       rewind report DIR          rebuild DIR's summary and plots from its episodes");
            System.out.println();
            System.out.println(Compare.usage());
            return;
        }
        final String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0])
        {
            case "compare" -> Compare.main(rest);
            case "report" -> report(rest);
            default ->
            {
                System.err.println("unknown command: " + args[0] + " (try: rewind help)");
                System.exit(2);
            }
        }
    }

    private static void report(final String[] args)
    {
        if (1 != args.length)
        {
            System.err.println("usage: rewind report DIR");
            System.exit(2);
        }
        final Path dir = Path.of(args[0]);
        Path csv = dir.resolve(ComparisonReport.EPISODES_FILE);
        if (!csv.toFile().exists())
        {
            csv = dir.resolve(Compare.PARTIAL_FILE);
        }
        final List<EpisodeRecord> records = EpisodeCsv.read(csv);
        final Map<String, TaskInfo> tasks = new LinkedHashMap<>();
        for (final EpisodeRecord r : records)
        {
            tasks.computeIfAbsent(r.environment(), Compare::task);
        }
        ComparisonReport.of(records, tasks).writeTo(dir).forEach(p -> System.out.println("wrote " + p));
    }
}
