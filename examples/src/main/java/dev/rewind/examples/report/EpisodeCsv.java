package dev.rewind.examples.report;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code episodes.csv} format: a header line, then one line per episode in the column order of
 * {@link EpisodeRecord}. Numbers are written with {@link Double#toString(double)} and {@link Long#toString(long)},
 * so they read back exactly; names are quoted as in RFC 4180 when they contain a comma or a quote (a
 * record's names never contain line breaks).
 */
public final class EpisodeCsv
{
    /** Header line (without line terminator). */
    public static final String HEADER =
        "environment,variant,seed,episode,env_steps,episode_return,learner_ns_per_step,replay_ns_per_step";

    private static final int COLUMNS = 8;

    private EpisodeCsv()
    {
    }

    /**
     * One record as a CSV line, without line terminator; a driver can append these as runs finish.
     *
     * @param record the episode.
     * @return the CSV line.
     */
    public static String format(final EpisodeRecord record)
    {
        return quote(record.environment()) + ',' + quote(record.variant()) + ',' + record.seed() + ',' +
            record.episode() + ',' + record.envSteps() + ',' + record.episodeReturn() + ',' +
            record.learnerNsPerStep() + ',' + record.replayNsPerStep();
    }

    /**
     * Writes the header and every record, replacing the file.
     *
     * @param file    target file.
     * @param records episodes, written in the given order.
     * @throws UncheckedIOException if the file cannot be written.
     */
    public static void write(final Path file, final List<EpisodeRecord> records)
    {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8))
        {
            out.write(HEADER);
            out.write('\n');
            for (final EpisodeRecord record : records)
            {
                out.write(format(record));
                out.write('\n');
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write " + file, ex);
        }
    }

    /**
     * Reads a file written by {@link #write} (or by appending {@link #format} lines after {@link #HEADER}).
     *
     * @param file source file.
     * @return the records in file order.
     * @throws UncheckedIOException     if the file cannot be read.
     * @throws IllegalArgumentException if the header or a line is malformed.
     */
    public static List<EpisodeRecord> read(final Path file)
    {
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read " + file, ex);
        }
        if (lines.isEmpty() || !HEADER.equals(lines.getFirst()))
        {
            throw new IllegalArgumentException("not an episodes file (header differs): file=" + file);
        }
        final List<EpisodeRecord> records = new ArrayList<>(lines.size() - 1);
        for (int i = 1; i < lines.size(); i++)
        {
            final String line = lines.get(i);
            if (line.isEmpty())
            {
                continue;
            }
            final List<String> cells = split(line);
            if (COLUMNS != cells.size())
            {
                throw new IllegalArgumentException("line " + (i + 1) + " has " + cells.size() + " columns: " + line);
            }
            records.add(new EpisodeRecord(
                cells.get(0),
                cells.get(1),
                Long.parseLong(cells.get(2)),
                Integer.parseInt(cells.get(3)),
                Long.parseLong(cells.get(4)),
                Double.parseDouble(cells.get(5)),
                Double.parseDouble(cells.get(6)),
                Double.parseDouble(cells.get(7))));
        }
        return records;
    }

    private static String quote(final String value)
    {
        if (value.indexOf(',') < 0 && value.indexOf('"') < 0)
        {
            return value;
        }
        return '"' + value.replace("\"", "\"\"") + '"';
    }

    private static List<String> split(final String line)
    {
        final List<String> cells = new ArrayList<>(COLUMNS);
        final StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++)
        {
            final char c = line.charAt(i);
            if (quoted)
            {
                if ('"' == c && i + 1 < line.length() && '"' == line.charAt(i + 1))
                {
                    cell.append('"');
                    i++;
                }
                else if ('"' == c)
                {
                    quoted = false;
                }
                else
                {
                    cell.append(c);
                }
            }
            else if ('"' == c)
            {
                quoted = true;
            }
            else if (',' == c)
            {
                cells.add(cell.toString());
                cell.setLength(0);
            }
            else
            {
                cell.append(c);
            }
        }
        cells.add(cell.toString());
        return cells;
    }
}
