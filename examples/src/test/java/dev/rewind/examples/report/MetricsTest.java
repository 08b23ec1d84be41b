package dev.rewind.examples.report;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsTest
{
    private static List<EpisodeRecord> run(final double... returns)
    {
        final List<EpisodeRecord> run = new ArrayList<>();
        for (int e = 0; e < returns.length; e++)
        {
            run.add(new EpisodeRecord("E", "V", 1, e, 7L * (e + 1), returns[e], 0.0, 0.0));
        }
        return run;
    }

    @Test
    void shouldNeedAFullWindowBeforeTheThresholdCounts()
    {
        // Nine perfect episodes are not enough: the window is 10 episodes.
        assertEquals(Metrics.NOT_REACHED, Metrics.stepsToThreshold(run(9, 9, 9, 9, 9, 9, 9, 9, 9), 5.0));
        // Ten episodes averaging exactly the threshold reach it at the tenth: 10 * 7 steps.
        assertEquals(70L, Metrics.stepsToThreshold(run(0, 10, 0, 10, 0, 10, 0, 10, 0, 10), 5.0));
        // Window 2..11 is the first to average 6: (8 * 6 + 2 * 6) / 10 after the two leading zeros slide out.
        assertEquals(84L, Metrics.stepsToThreshold(run(0, 0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6), 6.0));
    }

    @Test
    void shouldAverageTheLastTenPercentOfEpisodes()
    {
        assertEquals(1, Metrics.finalEpisodeCount(1));
        assertEquals(1, Metrics.finalEpisodeCount(10));
        assertEquals(2, Metrics.finalEpisodeCount(11));
        assertEquals(2, Metrics.finalEpisodeCount(20));
        assertEquals(10, Metrics.finalEpisodeCount(100));
        assertEquals(15.0, Metrics.finalReturn(run(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 20)));
        assertTrue(Double.isNaN(Metrics.finalReturn(List.of())));
    }

    @Test
    void shouldWeightEpisodeTimesByEpisodeLength()
    {
        final List<EpisodeRecord> run = List.of(
            new EpisodeRecord("E", "V", 1, 0, 10, 0.0, 1000.0, 0.0),
            new EpisodeRecord("E", "V", 1, 1, 40, 0.0, 3000.0, 0.0));
        assertEquals((10 * 1000.0 + 30 * 3000.0) / 40, Metrics.nsPerStep(run, EpisodeRecord::learnerNsPerStep));
    }

    @Test
    void shouldTreatUnreachedSeedsAsInfinitelyLateInTheMedian()
    {
        final double inf = Double.POSITIVE_INFINITY;
        assertEquals(150.0, Metrics.median(new double[]{150, inf, 100}));
        assertEquals(125.0, Metrics.median(new double[]{150, 100}));
        assertEquals(inf, Metrics.median(new double[]{150, inf}));
        assertEquals(inf, Metrics.median(new double[]{inf, 1, inf}));
        assertEquals(Math.sqrt(0.5), Metrics.standardDeviation(new double[]{1, 2}), 1e-15);
        assertEquals(0.0, Metrics.standardDeviation(new double[]{3}));
    }
}
