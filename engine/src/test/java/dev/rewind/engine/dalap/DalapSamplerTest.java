package dev.rewind.engine.dalap;

import dev.rewind.engine.Field;
import dev.rewind.engine.ReplayBuffer;
import dev.rewind.engine.SampleBatch;
import dev.rewind.engine.Schema;
import dev.rewind.engine.Transitions;
import dev.rewind.kernels.Kernels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DalapSamplerTest
{
    private static final Schema SCHEMA = Schema.builder().float32("obs", 2).int32("action").build();
    private static final Field OBS = SCHEMA.field("obs");
    private static final Field ACTION = SCHEMA.field("action");
    private static final int SIZE = 1000;
    private static final int CLUSTER = 100;
    private static final int BATCH = 64;

    private ReplayBuffer buffer;
    private StateActionFeatures features;

    DalapSamplerTest()
    {
        use(Kernels.best());
    }

    /** Replaces the buffer and the feature extractor by fresh ones that run {@code kernels}. */
    private void use(final Kernels kernels)
    {
        if (null != buffer)
        {
            buffer.close();
        }
        buffer = ReplayBuffer.builder().schema(SCHEMA).capacity(SIZE).prioritized(1.0, 0.0).kernels(kernels).build();
        features = new StateActionFeatures(OBS, ACTION, 2, kernels);
    }

    @AfterEach
    void close()
    {
        buffer.close();
    }

    /**
     * 900 states spread over [-1, 1]^2 with random actions, then a cluster of 100 almost equal states with action 0
     * in the last slots; every state is recorded by the writer.
     */
    private void fillSpreadAndCluster()
    {
        final SplittableRandom random = new SplittableRandom(11);
        final Transitions t = buffer.newTransitions(1);
        final float[] state = new float[2];
        for (int i = 0; i < SIZE; i++)
        {
            final boolean cluster = i >= SIZE - CLUSTER;
            state[0] = cluster ? 0.5f + (float)(random.nextDouble() * 1e-3) : (float)(random.nextDouble() * 2 - 1);
            state[1] = cluster ? 0.5f + (float)(random.nextDouble() * 1e-3) : (float)(random.nextDouble() * 2 - 1);
            t.clear().beginRow().put(OBS, state).putInt(ACTION, cluster ? 0 : random.nextInt(2));
            buffer.add(t);
            features.recordInserted(state, 0);
        }
    }

    /** Gives the cluster {@code share} of the prioritized mass: cluster priority c with 100 c / (100 c + 900) = share. */
    private void shiftTowardsCluster(final double share)
    {
        final double clusterPriority = share * (SIZE - CLUSTER) / ((1 - share) * CLUSTER);
        final int[] indices = new int[SIZE];
        final long[] generations = new long[SIZE];
        final double[] priorities = new double[SIZE];
        for (int i = 0; i < SIZE; i++)
        {
            indices[i] = i;
            generations[i] = i;
            priorities[i] = i >= SIZE - CLUSTER ? clusterPriority : 1.0;
        }
        buffer.updatePriorities(indices, generations, priorities, SIZE);
        final double clusterMass = buffer.probability(SIZE - 1) * CLUSTER;
        assertEquals(share, clusterMass, 1e-9);
    }

    private static double meanIncrement(final DalapSampler sampler, final int draws, final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        double sum = 0;
        for (int i = 0; i < draws; i++)
        {
            sampler.sampleDouble(random);
            sum += sampler.prioritizedSimilarity() - sampler.uniformSimilarity();
        }
        return sum / draws;
    }

    @Test
    void shouldMeasureAnIncrementThatGrowsWithTheKnownShift()
    {
        fillSpreadAndCluster();
        final DalapSampler sampler = DalapSampler.builder(buffer, BATCH, features).build();
        // Share 0.1 is the cluster's share under uniform sampling too: no shift.
        final double[] shares = {0.1, 0.3, 0.6, 0.9};
        final double[] increments = new double[shares.length];
        for (int s = 0; s < shares.length; s++)
        {
            shiftTowardsCluster(shares[s]);
            increments[s] = meanIncrement(sampler, 200, 5);
        }
        // Measured: about -0.0005, 0.003, 0.010, 0.023; the mean of 200 draws is good to about 0.001.
        assertTrue(Math.abs(increments[0]) < 0.002, "no shift, increment=" + increments[0]);
        for (int s = 1; s < shares.length; s++)
        {
            assertTrue(increments[s] > increments[s - 1] + 0.002,
                "increment must grow with the shift: shares=" + java.util.Arrays.toString(shares) +
                    " increments=" + java.util.Arrays.toString(increments));
        }
    }

    @Test
    void shouldRaiseBetaWhenTheShiftGrowsAndLowerItWhenItShrinks()
    {
        fillSpreadAndCluster();
        final DalapBeta beta = new DalapBeta(0.4, 0.9, 0, false);
        final DalapSampler sampler = DalapSampler.builder(buffer, BATCH, features).beta(beta).build();
        shiftTowardsCluster(0.9);
        meanIncrement(sampler, 100, 3);
        final double large = sampler.beta();
        shiftTowardsCluster(0.4);
        meanIncrement(sampler, 100, 4);
        final double small = sampler.beta();
        assertTrue(large > 0.95, "beta at the largest shift seen: " + large);
        assertTrue(small < large - 0.2 && small >= 0.4, "beta after the shift shrank: " + small);
    }

    @Test
    void shouldWeightThePrioritizedRowsWithTheFreshBeta()
    {
        fillSpreadAndCluster();
        shiftTowardsCluster(0.6);
        final DalapSampler sampler = DalapSampler.builder(buffer, BATCH, features)
            .beta(new DalapBeta(0.3, 0.0, 0, false)).build();
        double minProbability = Double.POSITIVE_INFINITY;
        for (int i = 0; i < SIZE; i++)
        {
            minProbability = Math.min(minProbability, buffer.probability(i));
        }
        final SplittableRandom random = new SplittableRandom(9);
        for (int draw = 0; draw < 20; draw++)
        {
            final SampleBatch batch = sampler.sampleDouble(random);
            final double b = sampler.beta();
            for (int row = 0; row < batch.size(); row++)
            {
                final double expected = Math.pow(minProbability / batch.probability(row), b);
                assertEquals(expected, batch.weight(row), 1e-12 * expected, "row " + row);
            }
        }
    }

    @Test
    void shouldRunPsanEveryKCallsOnly()
    {
        fillSpreadAndCluster();
        final DalapSampler sampler = DalapSampler.builder(buffer, BATCH, features).psanInterval(3).build();
        final SplittableRandom random = new SplittableRandom(1);
        sampler.sampleDouble(random);
        final int[] uniformIndices = sampler.uniformBatch().indices().clone();
        sampler.sampleDouble(random);
        sampler.sampleDouble(random);
        assertArrayEquals(uniformIndices, sampler.uniformBatch().indices(), "no uniform draw between PSAN runs");
        for (int i = 3; i < 10; i++)
        {
            sampler.sampleDouble(random);
        }
        assertEquals(10, sampler.steps());
        assertEquals(4, sampler.psanRuns());
        assertTrue(sampler.extraNanos() > 0);
        assertTrue(sampler.extraNsPerStep() > 0);
    }

    @Test
    void shouldBeDeterministicUnderASeed()
    {
        // Bit-for-bit repeats are promised for the scalar kernels only: the vector kernels' exp and lane reductions
        // round differently once the JIT compiles them, so a later run in the same JVM may differ in the last bits.
        use(Kernels.scalar());
        fillSpreadAndCluster();
        shiftTowardsCluster(0.5);
        final DalapSampler first = DalapSampler.builder(buffer, BATCH, features).kernels(Kernels.scalar()).build();
        final DalapSampler second = DalapSampler.builder(buffer, BATCH, features).kernels(Kernels.scalar()).build();
        final double firstIncrement = meanIncrement(first, 50, 21);
        assertEquals(firstIncrement, meanIncrement(second, 50, 21));
        assertEquals(first.beta(), second.beta());

        // The vector kernels on the same data: the same draws, so the same increment up to float rounding. PSAN runs
        // in float32 over 64 rows of 4 features; 1e-5 is about 100 float ulps of the similarities (each near 1).
        use(Kernels.best());
        fillSpreadAndCluster();
        shiftTowardsCluster(0.5);
        final DalapSampler vector = DalapSampler.builder(buffer, BATCH, features).build();
        assertEquals(firstIncrement, meanIncrement(vector, 50, 21), 1e-5);
    }

    @Test
    void shouldStandardiseStatesAndOneHotActions()
    {
        final Transitions t = buffer.newTransitions(1);
        final float[][] states = {{1, 10}, {3, 10}, {5, 40}};
        for (int i = 0; i < states.length; i++)
        {
            t.clear().beginRow().put(OBS, states[i]).putInt(ACTION, i % 2);
            buffer.add(t);
            features.recordInserted(states[i], 0);
        }
        final SampleBatch batch = buffer.fetch(buffer.newBatch(3), new int[]{0, 1, 2}, 3);
        final float[] x = new float[3 * features.width()];
        features.extract(batch, x);
        assertEquals(4, features.width());
        final double sd0 = Math.sqrt(8.0 / 3 + 1e-8);
        final double sd1 = Math.sqrt(200.0 + 1e-8);
        assertEquals(-2 / sd0, x[0], 1e-6);
        assertEquals(-10 / sd1, x[1], 1e-6);
        assertEquals(1.0f, x[2]);
        assertEquals(0.0f, x[3]);
        assertEquals(0.0, x[4], 1e-6);
        assertEquals(0.0f, x[6]);
        assertEquals(1.0f, x[7]);
        assertEquals(20 / sd1, x[9], 1e-6);
    }

    @Test
    void shouldRefuseAUniformBuffer()
    {
        try (ReplayBuffer uniform = ReplayBuffer.builder().schema(SCHEMA).capacity(8).build())
        {
            assertThrows(IllegalArgumentException.class, () -> DalapSampler.builder(uniform, 4, features).build());
        }
        assertThrows(IllegalArgumentException.class,
            () -> DalapSampler.builder(buffer, 4, features).psanInterval(0).build());
    }
}
