package dev.rewind.examples.compare;

import dev.rewind.examples.env.Environments;
import dev.rewind.examples.report.ComparisonReport;
import dev.rewind.examples.report.EpisodeCsv;
import dev.rewind.examples.report.EpisodeRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CompareEndToEndTest
{
    private static final List<Variant> VARIANTS = List.of(Variant.PER, Variant.DALAP, Variant.UNIFORM);

    @TempDir
    Path dir;

    private static List<EpisodeRecord> tiny(final Path out, final int threads, final boolean scalar)
    {
        final Compare.Options options = new Compare.Options(false, 2, 1, Environments.NAMES, VARIANTS, 400, out,
            threads, scalar);
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        Compare.run(options, new PrintStream(log, true, StandardCharsets.UTF_8), "rewind compare (test)");
        final String text = log.toString(StandardCharsets.UTF_8);
        assertEquals(3 * 3 * 2, text.lines().filter(l -> l.startsWith("[")).count(), text);
        return EpisodeCsv.read(out.resolve(ComparisonReport.EPISODES_FILE));
    }

    @Test
    void shouldRunATinyComparisonAndWriteAReportThatParses() throws Exception
    {
        final Path out = dir.resolve("report");
        final List<EpisodeRecord> records = tiny(out, 2, false);

        assertEquals(Set.copyOf(Environments.NAMES),
            records.stream().map(EpisodeRecord::environment).collect(Collectors.toSet()));
        assertEquals(Set.of("PER", "DALAP", "Uniform"),
            records.stream().map(EpisodeRecord::variant).collect(Collectors.toSet()));
        assertEquals(Set.of(1L, 2L), records.stream().map(EpisodeRecord::seed).collect(Collectors.toSet()));
        for (final EpisodeRecord r : records)
        {
            assertTrue(r.envSteps() <= 400 && r.learnerNsPerStep() > 0 && r.replayNsPerStep() > 0, r.toString());
        }

        final String summary = Files.readString(out.resolve(ComparisonReport.SUMMARY_FILE));
        for (final String env : Environments.NAMES)
        {
            assertTrue(summary.contains("## " + env), env);
            final Path svg = out.resolve(ComparisonReport.svgFileName(env));
            final Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile());
            assertEquals("svg", doc.getDocumentElement().getTagName());
            assertTrue(doc.getElementsByTagName("path").getLength() > 0, "curves drawn for " + env);
        }
        final long tableRows = summary.lines().filter(l -> l.startsWith("| PER |") || l.startsWith("| DALAP |") ||
            l.startsWith("| Uniform |")).count();
        assertEquals(9, tableRows, summary);
        assertTrue(Files.readString(out.resolve(Compare.COSTS_FILE)).contains("| DALAP |"));
        assertTrue(Files.readString(out.resolve(Compare.RUN_FILE)).contains("rewind compare (test)"));
        assertFalse(Files.exists(out.resolve(Compare.PARTIAL_FILE)), "partial file removed when done");
    }

    @Test
    void shouldGiveTheSameEpisodesWithOneThreadOrTwo()
    {
        // Scalar kernels: bit-for-bit reproducible whatever the JIT has compiled so far.
        final List<EpisodeRecord> one = tiny(dir.resolve("one"), 1, true);
        final List<EpisodeRecord> two = tiny(dir.resolve("two"), 2, true);
        assertEquals(one.size(), two.size());
        for (int i = 0; i < one.size(); i++)
        {
            final EpisodeRecord a = one.get(i);
            final EpisodeRecord b = two.get(i);
            assertEquals(List.of(a.environment(), a.variant(), a.seed(), a.episode(), a.envSteps(), a.episodeReturn()),
                List.of(b.environment(), b.variant(), b.seed(), b.episode(), b.envSteps(), b.episodeReturn()));
        }
    }

    @Test
    void shouldParseTheCommandLine()
    {
        final Compare.Options quick = Compare.Options.parse("--quick", "--envs", "cartpole,CliffWalking",
            "--variants", "dalap-nope,per", "--out", "x", "--threads", "1", "--scalar");
        assertTrue(quick.quick());
        assertTrue(quick.scalar());
        assertEquals(Compare.QUICK_SEEDS_DEFAULT, quick.seeds());
        assertEquals(List.of("CartPole-v1", "CliffWalking-v0"), quick.environments());
        assertEquals(List.of(Variant.DALAP_NO_PE, Variant.PER), quick.variants());
        assertEquals(Hyperparameters.of("CartPole-v1").quickSteps(), quick.stepsFor("CartPole-v1"));
        final Compare.Options full = Compare.Options.parse("--seeds", "4", "--steps", "1000");
        assertEquals(4, full.seeds());
        assertEquals(6, full.variants().size());
        assertEquals(1000, full.stepsFor("MountainCar-v0"));
        assertEquals(Compare.SEEDS_DEFAULT, Compare.Options.parse().seeds());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> Compare.Options.parse("--bogus"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> Compare.Options.parse("--variants", "nope"));
    }
}
