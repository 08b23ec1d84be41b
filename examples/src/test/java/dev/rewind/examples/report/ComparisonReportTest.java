package dev.rewind.examples.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static dev.rewind.examples.report.SyntheticRecords.ENV_A;
import static dev.rewind.examples.report.SyntheticRecords.ENV_B;
import static dev.rewind.examples.report.SyntheticRecords.FAST;
import static dev.rewind.examples.report.SyntheticRecords.SLOW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ComparisonReportTest
{
    private static final Map<String, TaskInfo> TASKS = Map.of(
        ENV_A, new TaskInfo(10.0, 0.0),
        ENV_B, new TaskInfo(-5.0, Double.NaN));

    private final List<EpisodeRecord> records = SyntheticRecords.records();
    private final ComparisonReport report = ComparisonReport.of(records, TASKS);

    @Test
    void shouldComputeTheHandWorkedSummaries()
    {
        final List<VariantSummary> rows = report.summaries(ENV_A);
        assertEquals(2, rows.size());

        final VariantSummary fast = rows.get(0);
        assertEquals(FAST, fast.variant());
        assertEquals(3, fast.seeds());
        assertEquals(2, fast.seedsReached());
        assertEquals(150.0, fast.medianStepsToThreshold());
        assertEquals(35.0 / 3.0, fast.finalReturnMean(), 1e-12);
        final double m = 35.0 / 3.0;
        final double sd = Math.sqrt(((20 - m) * (20 - m) + (10 - m) * (10 - m) + (5 - m) * (5 - m)) / 2.0);
        assertEquals(sd, fast.finalReturnStd(), 1e-12);
        assertEquals(2.0, fast.learnerUsPerStep(), 1e-12);
        assertEquals(0.5, fast.replayUsPerStep(), 1e-12);

        final VariantSummary slow = rows.get(1);
        assertEquals(SLOW, slow.variant());
        assertEquals(2, slow.seeds());
        assertEquals(0, slow.seedsReached());
        assertFalse(slow.reachedThreshold());
        assertEquals(1.5, slow.finalReturnMean(), 1e-12);
        assertEquals(Math.sqrt(0.5), slow.finalReturnStd(), 1e-12);
        assertEquals(4.0, slow.learnerUsPerStep(), 1e-12);
        assertEquals(0.1, slow.replayUsPerStep(), 1e-12);

        final VariantSummary b = report.summaries(ENV_B).getFirst();
        assertEquals(190.0, b.medianStepsToThreshold());
        assertEquals(1, b.seedsReached());
    }

    @Test
    void shouldWriteTheExpectedMarkdownTable()
    {
        final String md = report.markdown();
        assertTrue(md.contains("| fast | 3 | 150 | 2/3 | 11.7 ± 7.6 | 2.00 | 0.50 |"), md);
        assertTrue(md.contains("| slow, paced | 2 | not reached | 0/2 | 1.5 ± 0.7 | 4.00 | 0.10 |"), md);
        assertTrue(md.contains("| fast | 1 | 190 | 1/1 | -4.0 ± 0.0 | 1.00 | 0.25 |"), md);
        assertTrue(md.contains("Best: fewest steps to threshold: **fast** (150, 2/3 seeds); highest final return: " +
            "**fast** (11.7); lowest learner time: **fast** (2.00 µs/step); lowest replay time: **slow, paced** " +
            "(0.10 µs/step)."), md);
        assertTrue(md.contains("## Grid-A"));
        assertTrue(md.contains("## Grid-B"));
        assertTrue(md.indexOf("## Grid-A") < md.indexOf("## Grid-B"), "environments in order of appearance");
        assertTrue(md.contains("Threshold 10.0; random policy 0.0."));
        assertTrue(md.contains("Threshold -5.0.\n"), "an unknown random return is left out");
        assertTrue(md.contains("![Grid-A learning curves](curves.Grid-A.svg)"));

        final List<String> tableRows = md.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| Variant"))
            .collect(Collectors.toList());
        assertEquals(3, tableRows.size(), String.join("\n", tableRows));
    }

    @Test
    void shouldNameTiesAndMissingThresholds()
    {
        final List<VariantSummary> rows = List.of(
            new VariantSummary("A", 2, 0, Double.POSITIVE_INFINITY, 5.0, 1.0, 3.0, 1.0),
            new VariantSummary("B", 2, 1, Double.POSITIVE_INFINITY, 5.04, 2.0, 2.0, 1.001),
            new VariantSummary("C", 2, 1, Double.POSITIVE_INFINITY, 4.9, 2.0, Double.NaN, 1.5));
        assertEquals("Best: fewest steps to threshold: no variant's median seed reached the threshold; highest " +
            "final return: **A**, **B** (tie) (5.0); lowest learner time: **B** (2.00 µs/step); lowest replay " +
            "time: **A**, **B** (tie) (1.00 µs/step).", ComparisonReport.bestLine(rows));
    }

    @Test
    void shouldWriteAllFilesAndReadTheCsvBack(@TempDir final Path dir) throws Exception
    {
        final List<Path> files = report.writeTo(dir.resolve("report"));
        assertEquals(Set.of("episodes.csv", "summary.md", "curves.Grid-A.svg", "curves.Grid-B.svg"),
            files.stream().map(p -> p.getFileName().toString()).collect(Collectors.toSet()));

        final Path csv = dir.resolve("report").resolve("episodes.csv");
        final List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        assertEquals("environment,variant,seed,episode,env_steps,episode_return,learner_ns_per_step," +
            "replay_ns_per_step", lines.getFirst());
        assertEquals(records.size() + 1, lines.size());
        for (int i = 0; i < records.size(); i++)
        {
            final List<String> cells = parseCsvLine(lines.get(i + 1));
            final EpisodeRecord expected = records.get(i);
            assertEquals(8, cells.size());
            assertEquals(expected.environment(), cells.get(0));
            assertEquals(expected.variant(), cells.get(1));
            assertEquals(expected.seed(), Long.parseLong(cells.get(2)));
            assertEquals(expected.episode(), Integer.parseInt(cells.get(3)));
            assertEquals(expected.envSteps(), Long.parseLong(cells.get(4)));
            assertEquals(expected.episodeReturn(), Double.parseDouble(cells.get(5)));
            assertEquals(expected.learnerNsPerStep(), Double.parseDouble(cells.get(6)));
            assertEquals(expected.replayNsPerStep(), Double.parseDouble(cells.get(7)));
        }
        assertEquals(records, EpisodeCsv.read(csv), "the library's own reader agrees");
    }

    /** A minimal RFC 4180 line parser, independent of the one in {@link EpisodeCsv}. */
    private static List<String> parseCsvLine(final String line)
    {
        final List<String> cells = new ArrayList<>();
        int i = 0;
        while (i <= line.length())
        {
            if (i < line.length() && '"' == line.charAt(i))
            {
                final StringBuilder cell = new StringBuilder();
                i++;
                while (true)
                {
                    final int quote = line.indexOf('"', i);
                    cell.append(line, i, quote);
                    if (quote + 1 < line.length() && '"' == line.charAt(quote + 1))
                    {
                        cell.append('"');
                        i = quote + 2;
                    }
                    else
                    {
                        i = quote + 1;
                        break;
                    }
                }
                cells.add(cell.toString());
                i++;
            }
            else
            {
                final int comma = line.indexOf(',', i);
                final int end = comma < 0 ? line.length() : comma;
                cells.add(line.substring(i, end));
                i = end + 1;
            }
        }
        return cells;
    }

    @Test
    void shouldDrawOneWellFormedSvgWithOneCurvePerVariant() throws Exception
    {
        final String svg = report.svg(ENV_A);
        final DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        final Document doc = factory.newDocumentBuilder()
            .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        final Element root = doc.getDocumentElement();
        assertEquals("svg", root.getLocalName());
        assertEquals("http://www.w3.org/2000/svg", root.getNamespaceURI());

        final NodeList paths = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "path");
        final List<String> curveVariants = new ArrayList<>();
        int bands = 0;
        for (int i = 0; i < paths.getLength(); i++)
        {
            final Element path = (Element)paths.item(i);
            assertFalse(path.getAttribute("d").isBlank());
            if ("curve".equals(path.getAttribute("class")))
            {
                curveVariants.add(path.getAttribute("data-variant"));
            }
            else if ("band".equals(path.getAttribute("class")))
            {
                bands++;
            }
        }
        assertEquals(List.of(FAST, SLOW), curveVariants);
        assertEquals(2, bands);
        assertFalse(svg.contains("NaN"), "no undefined coordinates");
        assertFalse(svg.contains("Infinity"));
        assertTrue(svg.contains("Grid-A: return vs environment steps"));
        assertTrue(svg.contains("threshold 10"));
        assertTrue(svg.contains("(3 seeds)"));
        assertEquals(1, doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "line").getLength() -
            countGridAndLegendLines(doc), "exactly one threshold line");
    }

    private static int countGridAndLegendLines(final Document doc)
    {
        final NodeList lines = doc.getElementsByTagNameNS("http://www.w3.org/2000/svg", "line");
        int other = 0;
        for (int i = 0; i < lines.getLength(); i++)
        {
            final String cls = ((Element)lines.item(i)).getAttribute("class");
            if (!"threshold".equals(cls))
            {
                other++;
            }
        }
        return other;
    }

    @Test
    void shouldResampleTheMovingAverageOntoTheGrid()
    {
        final List<LearningCurve> curves = report.curves(ENV_A);
        final LearningCurve fast = curves.getFirst();
        assertEquals(ComparisonReport.CURVE_POINTS, fast.steps().length);
        assertEquals(0.0, fast.steps()[0]);
        assertEquals(200.0, fast.steps()[fast.steps().length - 1]);
        assertEquals(0, fast.count()[0], "no episode has ended at step 0");
        // At step 200 every run has finished all 20 episodes: seed averages 20, 10, 5.
        final int last = fast.steps().length - 1;
        assertEquals(3, fast.count()[last]);
        assertEquals(35.0 / 3.0, fast.mean()[last], 1e-12);

        final LearningCurve one = LearningCurve.resample("x", List.of(List.of(
            new EpisodeRecord("E", "x", 1, 0, 10, 4.0, 0, 0),
            new EpisodeRecord("E", "x", 1, 1, 30, 8.0, 0, 0))), new double[]{5, 10, 29, 30, 31, 50, 51});
        assertEquals(0, one.count()[0]);
        assertEquals(4.0, one.mean()[1]);
        assertEquals(4.0, one.mean()[2]);
        assertEquals(6.0, one.mean()[3]);
        // The longest episode took 20 steps: the unrecorded last one may have run until step 50.
        assertEquals(6.0, one.mean()[4]);
        assertEquals(6.0, one.mean()[5]);
        assertEquals(0, one.count()[6], "no data beyond the last episode plus the longest episode");
    }

    @Test
    void shouldRenderADegenerateSingleEpisodeReport() throws Exception
    {
        final ComparisonReport single = ComparisonReport.of(
            List.of(new EpisodeRecord("One", "only", 7, 0, 12, 3.0, 100.0, 10.0)),
            Map.of("One", new TaskInfo(3.0, 3.0)));
        final String svg = single.svg("One");
        DocumentBuilderFactory.newInstance().newDocumentBuilder()
            .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertFalse(svg.contains("NaN"));
        assertTrue(single.markdown().contains("| only | 1 | not reached | 0/1 | 3.0 ± 0.0 | 0.10 | 0.01 |"));
    }

    @Test
    void shouldRejectInconsistentInput()
    {
        final List<EpisodeRecord> duplicate = new ArrayList<>(records);
        duplicate.add(records.getFirst());
        assertThrows(IllegalArgumentException.class, () -> ComparisonReport.of(duplicate, TASKS));
        final Map<String, TaskInfo> onlyA = Map.of(ENV_A, TASKS.get(ENV_A));
        assertThrows(IllegalArgumentException.class, () -> ComparisonReport.of(records, onlyA));
        assertThrows(IllegalArgumentException.class, () -> report.summaries("nope"));
        assertThrows(IllegalArgumentException.class, () -> new EpisodeRecord("E", "a\nb", 1, 0, 0, 0, 0, 0));
    }

    @Test
    void shouldFormatProgressLines()
    {
        final String line = ProgressLine.of(records.get(19), 83_400_000_000L);
        assertEquals("Grid-A           fast            seed   1  episodes    20  steps      200  last return     20.0" +
            "  elapsed 1m23.4s", line);
        assertEquals("12.3s", ProgressLine.duration(12_300_000_000L));
        assertEquals("1h02m03s", ProgressLine.duration(3_723_000_000_000L));
    }

    @Test
    void shouldPickNiceTicks()
    {
        assertEquals(100.0, LearningCurvePlot.niceStep(500, 6));
        assertEquals(20_000.0, LearningCurvePlot.niceStep(100_000, 6));
        assertEquals(50_000.0, LearningCurvePlot.niceStep(300_000, 6));
        assertEquals("25k", LearningCurvePlot.formatSteps(25_000, 5_000, 100_000));
        assertEquals("1.5M", LearningCurvePlot.formatSteps(1_500_000, 500_000, 3_000_000));
        assertEquals("0", LearningCurvePlot.formatSteps(0, 500_000, 3_000_000));
        assertEquals("\u2212110", LearningCurvePlot.format(-110, 10));
        assertEquals(7, LearningCurvePlot.ticks(-200, -80, 20).length);
        assertEquals(-200.0, LearningCurvePlot.ticks(-204.1, -76.3, 20)[0]);
        assertEquals(3, LearningCurvePlot.ticks(0.05, 0.31, 0.1).length);
    }
}
