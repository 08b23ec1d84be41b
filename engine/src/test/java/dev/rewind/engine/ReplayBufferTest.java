package dev.rewind.engine;

import dev.rewind.kernels.Kernels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplayBufferTest
{
    static final Schema DQN = Schema.builder()
        .float32("obs", 4).int32("action").float32("reward").float32("next_obs", 4).bool("done").build();
    static final Field OBS = DQN.field("obs");
    static final Field ACTION = DQN.field("action");
    static final Field REWARD = DQN.field("reward");
    static final Field NEXT_OBS = DQN.field("next_obs");
    static final Field DONE = DQN.field("done");

    private final List<ReplayBuffer> open = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void closeAll()
    {
        open.forEach(ReplayBuffer::close);
    }

    private ReplayBuffer track(final ReplayBuffer buffer)
    {
        open.add(buffer);
        return buffer;
    }

    /** Stages transition {@code i}: obs = (i, i+1, i+2, i+3), action = i % 3, reward = i / 2, done every 10th. */
    static Transitions stage(final Transitions t, final long i)
    {
        final float f = i;
        t.beginRow()
            .put(OBS, new float[]{f, f + 1, f + 2, f + 3})
            .putInt(ACTION, (int)(i % 3))
            .putFloat(REWARD, f / 2)
            .put(NEXT_OBS, new float[]{f + 1, f + 2, f + 3, f + 4})
            .putBool(DONE, i % 10 == 9);
        if (i % 10 == 9)
        {
            t.endEpisode();
        }
        return t;
    }

    static void addRange(final ReplayBuffer buffer, final long from, final long to)
    {
        final Transitions t = buffer.newTransitions(64);
        for (long i = from; i < to; )
        {
            t.clear();
            for (int r = 0; r < 64 && i < to; r++, i++)
            {
                stage(t, i);
            }
            buffer.add(t);
        }
    }

    @Test
    void shouldOverwriteOldestFirstAndKeepGenerationsAcrossWrapAround()
    {
        final ReplayBuffer buffer = track(ReplayBuffer.builder().schema(DQN).capacity(7).build());
        addRange(buffer, 0, 19);

        assertEquals(7, buffer.size());
        assertEquals(19, buffer.writeSequence());
        final SampleBatch batch = buffer.newBatch(7);
        buffer.fetch(batch, new int[]{0, 1, 2, 3, 4, 5, 6}, 7);
        for (int row = 0; row < 7; row++)
        {
            // Generations 12..18 live in slots 12 % 7 = 5, 6, 0, 1, 2, 3, 4.
            final long expected = row >= 5 ? 7 + row : 14 + row;
            assertEquals(expected, batch.generation(row), "slot " + row);
            assertEquals(expected, (long)batch.getFloat(OBS, row, 0), "slot " + row + " holds its generation's data");
            assertEquals(expected + 4, (long)batch.getFloat(NEXT_OBS, row, 3));
            assertEquals((int)(expected % 3), batch.getInt(ACTION, row, 0));
            assertEquals(expected % 10 == 9, batch.isEpisodeEnd(row));
            assertEquals(expected % 10 == 9, batch.getBool(DONE, row, 0));
        }
    }

    @Test
    void shouldAppendABulkLargerThanTheCapacity()
    {
        final ReplayBuffer buffer = track(ReplayBuffer.builder().schema(DQN).capacity(5).prioritized().build());
        final Transitions t = buffer.newTransitions(13);
        for (int i = 0; i < 13; i++)
        {
            stage(t, i);
        }
        assertEquals(0, buffer.add(t));
        assertEquals(13, buffer.writeSequence());
        final SampleBatch batch = buffer.fetch(buffer.newBatch(5), new int[]{0, 1, 2, 3, 4}, 5);
        for (int row = 0; row < 5; row++)
        {
            final long generation = batch.generation(row);
            assertTrue(generation >= 8 && generation % 5 == row, "slot " + row + " generation " + generation);
            assertEquals(generation, (long)batch.getFloat(OBS, row, 0));
            assertEquals(0.2, buffer.probability(row), 1e-15, "all new records at the max mass");
        }
    }

    @Test
    void shouldMatchTheScalarReferenceForImportanceWeights()
    {
        for (final WeightNormalization normalization : WeightNormalization.values())
        {
            final double alpha = 0.7;
            final double eps = 1e-3;
            final double beta = 0.45;
            final int n = 37;
            final ReplayBuffer buffer = track(ReplayBuffer.builder().schema(DQN).capacity(n)
                .prioritized(alpha, eps).weightNormalization(normalization).build());
            addRange(buffer, 0, n);
            final double[] priorities = new double[n];
            final int[] indices = new int[n];
            final long[] generations = new long[n];
            for (int i = 0; i < n; i++)
            {
                priorities[i] = 0.05 + (i * 7919 % 101) / 13.0;
                indices[i] = i;
                generations[i] = i;
            }
            assertEquals(n, buffer.updatePriorities(indices, generations, priorities, n));

            // Textbook formulas, written out independently of the engine.
            final double[] p = new double[n];
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                p[i] = Math.pow(priorities[i] + eps, alpha);
                sum += p[i];
            }
            double minP = Double.MAX_VALUE;
            for (int i = 0; i < n; i++)
            {
                p[i] /= sum;
                minP = Math.min(minP, p[i]);
                assertEquals(p[i], buffer.probability(i), 1e-14);
            }

            final SampleBatch batch = buffer.sample(buffer.newBatch(16), beta, new SplittableRandom(42));
            double batchMinP = Double.MAX_VALUE;
            for (int row = 0; row < batch.size(); row++)
            {
                batchMinP = Math.min(batchMinP, p[batch.index(row)]);
            }
            double maxWeight = 0;
            for (int row = 0; row < batch.size(); row++)
            {
                final int i = batch.index(row);
                final double wi = Math.pow(n * p[i], -beta);
                final double maxW = Math.pow(n * (normalization == WeightNormalization.GLOBAL_MIN ? minP : batchMinP),
                    -beta);
                assertEquals(wi / maxW, batch.weight(row), 1e-12, normalization + " row " + row);
                assertEquals(p[i], batch.probability(row), 1e-14);
                assertEquals(i, batch.generation(row));
                maxWeight = Math.max(maxWeight, batch.weight(row));
            }
            if (normalization == WeightNormalization.BATCH_MAX)
            {
                assertEquals(1.0, maxWeight, 1e-15);
            }
            else
            {
                assertTrue(maxWeight <= 1.0 + 1e-15);
            }
        }
    }

    /**
     * Draw frequencies against p^alpha / sum p^alpha: Pearson's chi-square over 40 slots (39 degrees of freedom)
     * must stay under 72.05, the 0.1% critical value, so a correct sampler fails this 1 time in 1000 (the seed is
     * fixed, so the test is deterministic). Stratified draws are less variable than independent ones, which only
     * makes the statistic smaller. The same counts are also checked against the wrong exponent (alpha = 1), which
     * the test must reject: proof that it can fail.
     */
    @Test
    void shouldDrawInProportionToPriorityMassChiSquare()
    {
        final int n = 40;
        final double alpha = 0.6;
        final double eps = 1e-4;
        final ReplayBuffer buffer = track(ReplayBuffer.builder().schema(DQN).capacity(n).prioritized(alpha, eps)
            .build());
        addRange(buffer, 0, n);
        final double[] priorities = new double[n];
        final int[] indices = new int[n];
        final long[] generations = new long[n];
        for (int i = 0; i < n; i++)
        {
            priorities[i] = 0.1 + 0.25 * i;
            indices[i] = i;
            generations[i] = i;
        }
        buffer.updatePriorities(indices, generations, priorities, n);

        final long[] counts = new long[n];
        final SampleBatch batch = buffer.newBatch(32);
        final SplittableRandom rng = new SplittableRandom(7);
        final int rounds = 10_000;
        for (int r = 0; r < rounds; r++)
        {
            buffer.sample(batch, 0.4, rng);
            for (int row = 0; row < batch.size(); row++)
            {
                counts[batch.index(row)]++;
            }
        }
        final long draws = (long)rounds * batch.capacity();
        assertTrue(chiSquare(counts, priorities, alpha, eps, draws) < 72.05, "chi-square against p^alpha");
        assertTrue(chiSquare(counts, priorities, 1.0, eps, draws) > 72.05, "the test rejects a wrong exponent");
    }

    private static double chiSquare(
        final long[] counts, final double[] priorities, final double alpha, final double eps, final long draws)
    {
        double sum = 0;
        for (final double p : priorities)
        {
            sum += Math.pow(p + eps, alpha);
        }
        double chi = 0;
        for (int i = 0; i < counts.length; i++)
        {
            final double expected = draws * Math.pow(priorities[i] + eps, alpha) / sum;
            chi += (counts[i] - expected) * (counts[i] - expected) / expected;
        }
        return chi;
    }

    @Test
    void shouldDropUpdatesForOverwrittenSlots()
    {
        final ReplayBuffer buffer = track(ReplayBuffer.builder().schema(DQN).capacity(4).prioritized(1.0, 0.0)
            .build());
        addRange(buffer, 0, 4);
        final SampleBatch batch = buffer.fetch(buffer.newBatch(4), new int[]{0, 1, 2, 3}, 4);
        addRange(buffer, 4, 6); // overwrites slots 0 and 1 with generations 4 and 5

        final double[] priorities = {5.0, 5.0, 3.0, 1.0};
        assertEquals(2, buffer.updatePriorities(batch, priorities), "only slots 2 and 3 still hold what was sampled");
        assertEquals(2, buffer.statistics().staleUpdatesDropped());
        assertEquals(2, buffer.statistics().priorityUpdates());
        // Slots 0 and 1 keep the max mass given to new records (1.0, then the max stays 1 until the update: 3.0).
        final double total = 1.0 + 1.0 + 3.0 + 1.0;
        assertEquals(1.0 / total, buffer.probability(0), 1e-15);
        assertEquals(1.0 / total, buffer.probability(1), 1e-15);
        assertEquals(3.0 / total, buffer.probability(2), 1e-15);
        assertEquals(1.0 / total, buffer.probability(3), 1e-15);

        // The fresh occupants' own generations do apply.
        assertEquals(1, buffer.updatePriorities(new int[]{0}, new long[]{4}, new double[]{6.0}, 1));
        assertEquals(6.0 / 11.0, buffer.probability(0), 1e-15);
    }

    @Test
    void shouldGiveNewRecordsTheRunningMaximumMass()
    {
        final ReplayBuffer buffer = track(ReplayBuffer.builder().schema(DQN).capacity(8).prioritized(0.5, 0.0)
            .build());
        addRange(buffer, 0, 2);
        buffer.updatePriorities(new int[]{0, 1}, new long[]{0, 1}, new double[]{16.0, 0.25}, 2);
        addRange(buffer, 2, 3);
        // masses: 4, 0.5, then the new record at the max mass 4.
        assertEquals(4.0 / 8.5, buffer.probability(2), 1e-15);
    }

    /**
     * Single adds reach the trees in groups (MappedReplayBuffer.ADD_PUBLISH_BATCH): every read and every priority
     * update must see them, and a priority written between an add and its group's publication must survive it.
     */
    @Test
    void shouldShowSingleAddsAtOnceAndKeepPrioritiesWrittenBeforeTheirGroupIsPublished(@TempDir final Path dir)
    {
        final Path path = dir.resolve("single.replay");
        final ReplayBuffer buffer = ReplayBuffer.builder().schema(DQN).capacity(1_000).prioritized(0.5, 0.0)
            .mapped(path).build();
        final Transitions one = buffer.newTransitions(1);
        for (long g = 0; g < 5; g++)
        {
            buffer.add(stage(one.clear(), g));
        }
        assertEquals(5, buffer.size());
        // Slot 3 gets mass sqrt(0.0625) = 0.25 while rows 0..4 still wait for the trees; three more adds follow.
        assertEquals(1, buffer.updatePriorities(new int[]{3}, new long[]{3}, new double[]{0.0625}, 1));
        for (long g = 5; g < 8; g++)
        {
            buffer.add(stage(one.clear(), g));
        }
        assertEquals(1.0 / 7.25, buffer.probability(4), 1e-15, "a single add is visible to a read at once");
        assertEquals(0.25 / 7.25, buffer.probability(3), 1e-15, "the update survives the later publication");
        assertEquals(1.0 / 7.25, buffer.probability(7), 1e-15);
        assertEquals(0.0625, buffer.priority(3), 1e-15);
        final SampleBatch batch = buffer.sample(buffer.newBatch(8), 0.4, new SplittableRandom(3));
        for (int row = 0; row < batch.size(); row++)
        {
            assertTrue(batch.index(row) < 8, "only stored rows are drawn: " + batch.index(row));
            assertEquals(batch.index(row), batch.generation(row));
        }
        assertNull(((MappedReplayBuffer)buffer).trees().checkConsistency());
        // Two adds left unpublished: close publishes them, and the reopened file holds all ten at the max mass.
        buffer.add(stage(one.clear(), 8));
        buffer.add(stage(one.clear(), 9));
        buffer.close();
        final ReplayBuffer reopened = track(ReplayBuffer.builder().schema(DQN).capacity(1_000).prioritized(0.5, 0.0)
            .mapped(path).build());
        assertEquals(10, reopened.size());
        assertEquals(0.25 / 9.25, reopened.probability(3), 1e-15);
        assertEquals(1.0 / 9.25, reopened.probability(9), 1e-15);
        assertNull(((MappedReplayBuffer)reopened).trees().checkConsistency());
    }

    @Test
    void shouldRefuseBadPrioritiesAndLeaveTheBufferUnchanged()
    {
        final ReplayBuffer buffer = track(ReplayBuffer.builder().schema(DQN).capacity(8).prioritized().build());
        addRange(buffer, 0, 8);
        buffer.updatePriorities(new int[]{0, 1, 2}, new long[]{0, 1, 2}, new double[]{0.5, 2.0, 3.0}, 3);
        final double[] before = probabilities(buffer);

        for (final double bad : new double[]{Double.NaN, Double.POSITIVE_INFINITY, -0.5, Double.NEGATIVE_INFINITY})
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> buffer.updatePriorities(new int[]{3, 4}, new long[]{3, 4}, new double[]{9.0, bad}, 2));
            assertTrue(ex.getMessage().contains("priorities[1]=" + bad), ex.getMessage());
            assertArrayEquals(before, probabilities(buffer), "nothing applied, not even the valid first entry");
        }
        final IndexOutOfBoundsException range = assertThrows(IndexOutOfBoundsException.class,
            () -> buffer.updatePriorities(new int[]{3, 8}, new long[]{3, 8}, new double[]{9.0, 1.0}, 2));
        assertTrue(range.getMessage().contains("indices[1]=8"), range.getMessage());
        assertThrows(IndexOutOfBoundsException.class,
            () -> buffer.updatePriorities(new int[]{-1}, new long[]{0}, new double[]{1.0}, 1));
        assertThrows(IllegalArgumentException.class,
            () -> buffer.updatePriorities(new int[]{1}, new long[]{1}, new double[]{1.0}, 2));
        assertArrayEquals(before, probabilities(buffer));
        assertEquals(8, buffer.writeSequence());

        // A slot inside the capacity that holds no record yet: named, not counted as a stale update.
        final ReplayBuffer partial = track(ReplayBuffer.builder().schema(DQN).capacity(8).prioritized().build());
        addRange(partial, 0, 5);
        final double[] partialBefore = probabilities(partial);
        final IndexOutOfBoundsException empty = assertThrows(IndexOutOfBoundsException.class,
            () -> partial.updatePriorities(new int[]{1, 6}, new long[]{1, 6}, new double[]{9.0, 1.0}, 2));
        assertTrue(empty.getMessage().contains("indices[1]=6 size=5"), empty.getMessage());
        assertArrayEquals(partialBefore, probabilities(partial));
        assertEquals(0, partial.statistics().staleUpdatesDropped());

        // A finite priority whose mass overflows (alpha above 1): named, nothing applied.
        final ReplayBuffer steep = track(ReplayBuffer.builder().schema(DQN).capacity(8).prioritized(2.0, 1e-4).build());
        addRange(steep, 0, 8);
        final double[] steepBefore = probabilities(steep);
        final IllegalArgumentException overflow = assertThrows(IllegalArgumentException.class,
            () -> steep.updatePriorities(new int[]{3, 4}, new long[]{3, 4}, new double[]{9.0, 1e200}, 2));
        assertTrue(overflow.getMessage().contains("priorities[1]=1.0E200 gives an infinite mass"),
            overflow.getMessage());
        assertArrayEquals(steepBefore, probabilities(steep));
    }

    /**
     * A mass far beyond the largest so far rescales the trees (every leaf to a smaller unit): probabilities and
     * weights stay those of the masses, to the precision of the new unit.
     */
    @Test
    void shouldKeepProbabilitiesThroughARescaleOfTheTrees()
    {
        final ReplayBuffer buffer = track(ReplayBuffer.builder().schema(DQN).capacity(64).prioritized(1.0, 0.0)
            .build());
        addRange(buffer, 0, 64);
        final int[] all = new int[64];
        final long[] generations = new long[64];
        final double[] priorities = new double[64];
        for (int i = 0; i < 64; i++)
        {
            all[i] = i;
            generations[i] = i;
            priorities[i] = 1 + i % 5;
        }
        buffer.updatePriorities(all, generations, priorities, 64);
        // 2^30 times the largest mass: far beyond the 16x headroom.
        buffer.updatePriorities(new int[]{7}, new long[]{7}, new double[]{5.0 * (1 << 30)}, 1);
        priorities[7] = 5.0 * (1 << 30);
        double total = 0;
        for (final double p : priorities)
        {
            total += p;
        }
        for (int i = 0; i < 64; i++)
        {
            assertEquals(priorities[i] / total, buffer.probability(i), 1e-9 * priorities[i] / total, "slot " + i);
            assertEquals(priorities[i], buffer.priority(i), 1e-6 * priorities[i], "slot " + i);
        }
        final SampleBatch batch = buffer.sample(buffer.newBatch(64), 1.0, new SplittableRandom(3));
        for (int row = 0; row < 64; row++)
        {
            final double expected = 1.0 / priorities[batch.index(row)];
            assertEquals(expected, batch.weight(row), 1e-6 * expected, "weight, global min 1 over mass");
        }
    }

    private static double[] probabilities(final ReplayBuffer buffer)
    {
        final double[] p = new double[buffer.size()];
        for (int i = 0; i < p.length; i++)
        {
            p[i] = buffer.probability(i);
        }
        return p;
    }

    @Test
    void shouldRefuseFieldsOfTheWrongDtypeOrShapeBeforeTouchingTheBuffer()
    {
        final ReplayBuffer buffer = track(ReplayBuffer.builder().schema(DQN).capacity(8).build());
        final Transitions t = buffer.newTransitions(1).beginRow();
        final IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
            () -> t.put(OBS, new float[3]));
        assertTrue(shape.getMessage().contains("obs") && shape.getMessage().contains("given 3"), shape.getMessage());
        final IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class,
            () -> t.put(OBS, new double[4]));
        assertTrue(dtype.getMessage().contains("float32") && dtype.getMessage().contains("float64"),
            dtype.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.putInt(REWARD, 1));
        final Schema other = Schema.builder().float32("x").build();
        assertThrows(IllegalArgumentException.class, () -> t.putFloat(other.field("x"), 1f));
        assertThrows(IllegalArgumentException.class,
            () -> buffer.add(new Transitions(other, 1).beginRow()));
        assertThrows(IllegalStateException.class, () -> t.beginRow(), "staging full");
        assertEquals(0, buffer.size(), "nothing reached the buffer");
    }

    @Test
    void shouldRefuseBadSamplingRequests()
    {
        final ReplayBuffer buffer = track(ReplayBuffer.builder().schema(DQN).capacity(8).prioritized().build());
        final SplittableRandom rng = new SplittableRandom(1);
        final IllegalStateException empty = assertThrows(IllegalStateException.class,
            () -> buffer.sample(buffer.newBatch(1), 0.4, rng));
        assertTrue(empty.getMessage().contains("empty"), empty.getMessage());
        addRange(buffer, 0, 5);
        final IllegalArgumentException large = assertThrows(IllegalArgumentException.class,
            () -> buffer.sample(buffer.newBatch(6), 0.4, rng));
        assertTrue(large.getMessage().contains("batchSize=6 size=5"), large.getMessage());
        final IllegalArgumentException beta = assertThrows(IllegalArgumentException.class,
            () -> buffer.sample(buffer.newBatch(2), 1.5, rng));
        assertTrue(beta.getMessage().contains("beta=1.5"), beta.getMessage());
        assertThrows(IllegalArgumentException.class, () -> buffer.sample(buffer.newBatch(2), Double.NaN, rng));
        assertThrows(IndexOutOfBoundsException.class, () -> buffer.fetch(buffer.newBatch(1), new int[]{5}, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> buffer.probability(7));
        final SampleBatch batch = buffer.sample(buffer.newBatch(2), 0.4, rng);
        assertThrows(IndexOutOfBoundsException.class, () -> batch.index(2));
        assertThrows(IndexOutOfBoundsException.class, () -> batch.getFloat(OBS, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> batch.getInt(OBS, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> batch.copyTo(OBS, new float[7]));
        final ReplayBuffer uniform = track(ReplayBuffer.builder().schema(DQN).capacity(8).build());
        addRange(uniform, 0, 3);
        assertThrows(IllegalStateException.class,
            () -> uniform.updatePriorities(new int[]{0}, new long[]{0}, new double[]{1}, 1));
        // eps 0 and every priority 0: no mass to draw from, said so rather than weights of 0 / 0.
        final ReplayBuffer massless = track(ReplayBuffer.builder().schema(DQN).capacity(4).prioritized(1.0, 0.0)
            .build());
        addRange(massless, 0, 4);
        massless.updatePriorities(new int[]{0, 1, 2, 3}, new long[]{0, 1, 2, 3}, new double[4], 4);
        final IllegalStateException none = assertThrows(IllegalStateException.class,
            () -> massless.sample(massless.newBatch(2), 0.4, rng));
        assertTrue(none.getMessage().contains("no record has a positive priority mass: total=0"), none.getMessage());
        final IllegalStateException noProbability = assertThrows(IllegalStateException.class,
            () -> massless.probability(0));
        assertTrue(noProbability.getMessage().contains("total=0.0"), noProbability.getMessage());
        // A uniform buffer ignores beta but still refuses one outside [0, 1].
        final IllegalArgumentException uniformBeta = assertThrows(IllegalArgumentException.class,
            () -> uniform.sample(uniform.newBatch(2), Double.NaN, rng));
        assertTrue(uniformBeta.getMessage().contains("beta=NaN"), uniformBeta.getMessage());
        final IndexOutOfBoundsException fetched = assertThrows(IndexOutOfBoundsException.class,
            () -> uniform.fetch(uniform.newBatch(1), new int[]{3}, 1));
        assertTrue(fetched.getMessage().contains("index=3 size=3"), fetched.getMessage());
        final IndexOutOfBoundsException probability = assertThrows(IndexOutOfBoundsException.class,
            () -> uniform.probability(-1));
        assertTrue(probability.getMessage().contains("index=-1"), probability.getMessage());
    }

    @Test
    void shouldRefuseUseAfterClose()
    {
        final ReplayBuffer buffer = ReplayBuffer.builder().schema(DQN).capacity(8).prioritized().build();
        addRange(buffer, 0, 3);
        buffer.close();
        buffer.close();
        final IllegalStateException ex = assertThrows(IllegalStateException.class, buffer::size);
        assertTrue(ex.getMessage().contains("closed"), ex.getMessage());
        assertThrows(IllegalStateException.class, () -> addRange(buffer, 3, 4));
        assertThrows(IllegalStateException.class, () -> buffer.sample(buffer.newBatch(1), 0.4, new SplittableRandom()));
        assertThrows(IllegalStateException.class,
            () -> buffer.updatePriorities(new int[]{0}, new long[]{0}, new double[]{1}, 1));
        assertThrows(IllegalStateException.class, () -> buffer.sampleUniform(buffer.newBatch(1), new SplittableRandom()));
        assertThrows(IllegalStateException.class, () -> buffer.fetch(buffer.newBatch(1), new int[]{0}, 1));
        assertThrows(IllegalStateException.class, () -> buffer.probability(0));
        assertThrows(IllegalStateException.class, () -> buffer.priority(0));
        assertThrows(IllegalStateException.class, buffer::flush);
        assertThrows(IllegalStateException.class, buffer::writeSequence);
        assertThrows(IllegalStateException.class, buffer::statistics);
        // What touches no contents still answers.
        assertEquals(8, buffer.capacity());
        assertEquals(DQN, buffer.schema());
    }

    @Test
    void shouldRefuseBadConfigurationNamingTheValue()
    {
        final IllegalArgumentException capacity = assertThrows(IllegalArgumentException.class,
            () -> ReplayBuffer.builder().schema(DQN).capacity(0).build());
        assertTrue(capacity.getMessage().contains("capacity=0"), capacity.getMessage());
        final IllegalArgumentException huge = assertThrows(IllegalArgumentException.class,
            () -> ReplayBuffer.builder().schema(DQN).capacity(ReplayBufferBuilder.MAX_CAPACITY + 1).prioritized()
                .build());
        assertTrue(huge.getMessage().contains("capacity=" + (ReplayBufferBuilder.MAX_CAPACITY + 1)), huge.getMessage());
        // The largest capacity still lays out: every tree level's node count, padded, is an int, for every fan-out.
        for (int fanout = 2; fanout <= 64; fanout *= 2)
        {
            final long region = dev.rewind.engine.internal.PriorityTrees.regionLength(
                ReplayBufferBuilder.MAX_CAPACITY, fanout);
            assertTrue(region > 8L * ReplayBufferBuilder.MAX_CAPACITY, "fanout " + fanout + ": region=" + region);
        }
        final IllegalArgumentException alpha = assertThrows(IllegalArgumentException.class,
            () -> ReplayBuffer.builder().schema(DQN).capacity(4).prioritized(-1, 0.1).build());
        assertTrue(alpha.getMessage().contains("alpha=-1.0"), alpha.getMessage());
        final IllegalArgumentException eps = assertThrows(IllegalArgumentException.class,
            () -> ReplayBuffer.builder().schema(DQN).capacity(4).prioritized(0.6, Double.NaN).build());
        assertTrue(eps.getMessage().contains("eps=NaN"), eps.getMessage());
        final IllegalArgumentException fanout = assertThrows(IllegalArgumentException.class,
            () -> ReplayBuffer.builder().schema(DQN).capacity(4).prioritized().treeFanout(6).build());
        assertTrue(fanout.getMessage().contains("fanout=6"), fanout.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ReplayBuffer.builder().capacity(4).build());
    }

    @Test
    void shouldReopenAMappedFileWithTheSameRecordsByteForByte() throws Exception
    {
        final Path path = dir.resolve("replay.bin");
        final int capacity = 1000;
        final SplittableRandom rng = new SplittableRandom(3);
        final byte[][] written = new byte[capacity][];
        final double[] probabilities;
        try (ReplayBuffer buffer = ReplayBuffer.builder().schema(DQN).capacity(capacity).prioritized()
            .mapped(path).build())
        {
            addRange(buffer, 0, 1500);
            final SampleBatch batch = buffer.sample(buffer.newBatch(64), 0.5, rng);
            final double[] priorities = new double[64];
            for (int i = 0; i < 64; i++)
            {
                priorities[i] = rng.nextDouble() * 3;
            }
            buffer.updatePriorities(batch, priorities);
            probabilities = probabilities(buffer);
            final int[] all = new int[capacity];
            for (int i = 0; i < capacity; i++)
            {
                all[i] = i;
            }
            final SampleBatch everything = buffer.fetch(buffer.newBatch(capacity), all, capacity);
            for (int i = 0; i < capacity; i++)
            {
                written[i] = recordBytes(everything, i);
            }
            buffer.flush();
        }
        assertTrue(Files.exists(path), "a user-given file is kept on close");

        try (ReplayBuffer reopened = ReplayBuffer.builder().schema(DQN).capacity(capacity).prioritized()
            .mapped(path).build())
        {
            assertEquals(1500, reopened.writeSequence());
            assertEquals(capacity, reopened.size());
            assertArrayEquals(probabilities, probabilities(reopened));
            final int[] all = new int[capacity];
            for (int i = 0; i < capacity; i++)
            {
                all[i] = i;
            }
            final SampleBatch everything = reopened.fetch(reopened.newBatch(capacity), all, capacity);
            for (int i = 0; i < capacity; i++)
            {
                assertArrayEquals(written[i], recordBytes(everything, i), "slot " + i);
            }
            addRange(reopened, 1500, 1501);
            assertEquals(1500, reopened.fetch(reopened.newBatch(1), new int[]{500}, 1).generation(0),
                "appending continues where the file left off");
        }
    }

    private static byte[] recordBytes(final SampleBatch batch, final int row)
    {
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (final Field field : DQN.fields())
        {
            out.writeBytes(batch.view(field, row).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }
        out.write(batch.isEpisodeEnd(row) ? 1 : 0);
        out.writeBytes(Long.toString(batch.generation(row)).getBytes());
        return out.toByteArray();
    }

    @Test
    void shouldRefuseAFileOfAnotherSchemaOrLayoutVersion() throws Exception
    {
        final Path path = dir.resolve("replay.bin");
        try (ReplayBuffer buffer = ReplayBuffer.builder().schema(DQN).capacity(16).prioritized().mapped(path).build())
        {
            addRange(buffer, 0, 3);
        }
        final byte[] before = Files.readAllBytes(path);
        final Schema other = Schema.builder().float32("obs", 8).build();
        final IllegalStateException schema = assertThrows(IllegalStateException.class,
            () -> ReplayBuffer.builder().schema(other).capacity(16).prioritized().mapped(path).build());
        assertTrue(schema.getMessage().contains("schema mismatch: file=" + DQN.descriptor() + " code=" +
            other.descriptor()), schema.getMessage());
        final IllegalStateException capacity = assertThrows(IllegalStateException.class,
            () -> ReplayBuffer.builder().schema(DQN).capacity(17).prioritized().mapped(path).build());
        assertTrue(capacity.getMessage().contains("capacity mismatch: file=16 code=17"), capacity.getMessage());
        final IllegalStateException alpha = assertThrows(IllegalStateException.class,
            () -> ReplayBuffer.builder().schema(DQN).capacity(16).prioritized(0.7, 1e-4).mapped(path).build());
        assertTrue(alpha.getMessage().contains("alpha mismatch: file=0.6 code=0.7"), alpha.getMessage());
        assertArrayEquals(before, Files.readAllBytes(path), "a refused reopen writes nothing");

        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(path,
            java.nio.file.StandardOpenOption.WRITE))
        {
            final java.nio.ByteBuffer version = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            version.putInt(0, 7);
            channel.write(version, dev.rewind.engine.internal.FileHeaderDescriptor.LAYOUT_VERSION_OFFSET);
        }
        final IllegalStateException version = assertThrows(IllegalStateException.class,
            () -> ReplayBuffer.builder().schema(DQN).capacity(16).prioritized().mapped(path).build());
        assertTrue(version.getMessage().contains("layout version: file=7 code=" +
            dev.rewind.engine.internal.FileHeaderDescriptor.LAYOUT_VERSION), version.getMessage());

        Files.write(path, new byte[]{1, 2, 3});
        assertThrows(IllegalStateException.class,
            () -> ReplayBuffer.builder().schema(DQN).capacity(16).prioritized().mapped(path).build());
    }

    @Test
    void shouldUnmapAFileRefusedAfterMapping() throws Exception
    {
        final Path path = dir.resolve("corrupt.bin");
        try (ReplayBuffer buffer = ReplayBuffer.builder().schema(DQN).capacity(16).prioritized().mapped(path).build())
        {
            addRange(buffer, 0, 3);
        }
        // The header passes, the trees' does not: more leaves set than the capacity.
        final long treesOffset;
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(path,
            java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE))
        {
            final java.nio.ByteBuffer word = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            channel.read(word, dev.rewind.engine.internal.FileHeaderDescriptor.TREES_OFFSET_OFFSET);
            treesOffset = word.getLong(0);
            word.putLong(0, 1000).rewind();
            channel.write(word, treesOffset + dev.rewind.engine.internal.PriorityTrees.FILLED_OFFSET);
        }
        final IllegalStateException corrupt = assertThrows(IllegalStateException.class,
            () -> ReplayBuffer.builder().schema(DQN).capacity(16).prioritized().mapped(path).build());
        assertTrue(corrupt.getMessage().contains("filled=1000"), corrupt.getMessage());
        final Path maps = Path.of("/proc/self/maps");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(maps), "needs Linux's /proc/self/maps");
        final String real = path.toRealPath().toString();
        for (final String line : Files.readAllLines(maps))
        {
            assertFalse(line.endsWith(real), "still mapped: " + line);
        }
    }

    @Test
    void shouldWorkAtCapacityOne()
    {
        final ReplayBuffer buffer = track(ReplayBuffer.builder().schema(DQN).capacity(1).prioritized().build());
        addRange(buffer, 0, 3);
        assertEquals(1, buffer.size());
        assertEquals(3, buffer.writeSequence());
        final SampleBatch batch = buffer.sample(buffer.newBatch(1), 0.4, new SplittableRandom(1));
        assertEquals(0, batch.index(0));
        assertEquals(2, batch.generation(0));
        assertEquals(1.0, batch.weights()[0]);
        assertEquals(1.0, buffer.probability(0));
        assertEquals(0, buffer.updatePriorities(new int[]{0}, new long[]{1}, new double[]{5.0}, 1), "stale");
        assertEquals(1, buffer.updatePriorities(new int[]{0}, new long[]{2}, new double[]{5.0}, 1));
        assertEquals(5.0, buffer.priority(0), 1e-9);
        addRange(buffer, 3, 4);
        assertEquals(3, buffer.fetch(buffer.newBatch(1), new int[]{0}, 1).generation(0));
    }

    @Test
    void shouldReopenAFileNeverWrittenToAsEmpty()
    {
        final Path path = dir.resolve("empty.bin");
        ReplayBuffer.builder().schema(DQN).capacity(16).prioritized().mapped(path).build().close();
        try (ReplayBuffer reopened = ReplayBuffer.builder().schema(DQN).capacity(16).prioritized().mapped(path)
            .build())
        {
            assertEquals(0, reopened.writeSequence(), "no phantom record 0 adopted from a zero-filled commit word");
            assertEquals(0, reopened.size());
            addRange(reopened, 0, 3);
            assertEquals(3, reopened.size());
            assertEquals(0, reopened.fetch(reopened.newBatch(1), new int[]{0}, 1).generation(0));
        }
        try (ReplayBuffer again = ReplayBuffer.builder().schema(DQN).capacity(16).prioritized().mapped(path).build())
        {
            assertEquals(3, again.writeSequence());
        }
    }

    @Test
    void shouldDeleteTheTemporaryFileOnClose()
    {
        final ReplayBuffer buffer = ReplayBuffer.builder().schema(DQN).capacity(16).build();
        final Path path = ((MappedReplayBuffer)buffer).file().path();
        assertTrue(Files.exists(path));
        buffer.close();
        assertFalse(Files.exists(path));
    }

    @Test
    void shouldHoldAMillionRecordsOfANonPowerOfTwoCapacity()
    {
        final int capacity = 1_000_000;
        final ReplayBuffer buffer = track(ReplayBuffer.builder().schema(DQN).capacity(capacity).prioritized().build());
        addRange(buffer, 0, capacity + 12_345);
        assertEquals(capacity, buffer.size());
        assertNull(((MappedReplayBuffer)buffer).trees().checkConsistency());
        final SampleBatch batch = buffer.sample(buffer.newBatch(256), 0.4, new SplittableRandom(5));
        for (int row = 0; row < batch.size(); row++)
        {
            final int slot = batch.index(row);
            assertTrue(slot >= 0 && slot < capacity);
            assertEquals(batch.generation(row), (long)batch.getFloat(OBS, row, 0));
            assertEquals(batch.generation(row) % capacity, slot);
        }
        final int[] last = {capacity - 1, 12_344, 12_345};
        final SampleBatch edges = buffer.fetch(buffer.newBatch(3), last, 3);
        assertEquals(capacity - 1, edges.generation(0));
        assertEquals(capacity + 12_344, edges.generation(1));
        assertEquals(12_345, edges.generation(2), "the oldest record still stored");
    }

    /**
     * Twenty million random updates of a 5,000-slot tree: every internal node must still equal the sum (and min) of
     * its children exactly, the root must equal the sum of the leaves exactly, and every leaf must be reachable by a
     * descent aimed at its own interval.
     */
    @Test
    void shouldNotDriftOverTensOfMillionsOfRandomUpdates()
    {
        final int capacity = 5_000;
        final MappedReplayBuffer buffer = (MappedReplayBuffer)track(ReplayBuffer.builder().schema(DQN)
            .capacity(capacity).prioritized(0.6, 1e-4).build());
        addRange(buffer, 0, capacity);
        final SplittableRandom rng = new SplittableRandom(11);
        final int[] indices = new int[256];
        final long[] generations = new long[256];
        final double[] priorities = new double[256];
        for (int round = 0; round < 20_000_000 / 256; round++)
        {
            for (int i = 0; i < 256; i++)
            {
                indices[i] = rng.nextInt(capacity);
                generations[i] = indices[i];
                // Priorities spanning nine orders of magnitude, the worst case for rounding.
                priorities[i] = Math.pow(10, rng.nextDouble(-6, 3));
            }
            buffer.updatePriorities(indices, generations, priorities, 256);
        }
        final var trees = buffer.trees();
        assertNull(trees.checkConsistency());
        assertEquals(trees.leafSumUnits(), trees.totalUnits(), "the root is the exact sum of the leaves");

        long prefix = 0;
        final long[] target = new long[1];
        final int[] leaf = new int[1];
        final long[] mass = new long[1];
        for (int slot = 0; slot < capacity; slot++)
        {
            final long m = trees.leafUnits(slot);
            assertTrue(m > 0, "committed slot has positive mass");
            target[0] = prefix + m / 2;
            trees.descend(target, 1, leaf, mass);
            assertEquals(slot, leaf[0], "leaf reachable");
            assertEquals(m, mass[0]);
            prefix += m;
        }
        assertEquals(trees.totalUnits(), prefix);
    }

    @Test
    void shouldSampleTheSameWithScalarAndVectorKernels()
    {
        final SampleBatch[] batches = new SampleBatch[2];
        final Kernels[] kernels = {Kernels.scalar(), Kernels.best()};
        for (int k = 0; k < 2; k++)
        {
            final ReplayBuffer buffer = track(ReplayBuffer.builder().schema(DQN).capacity(3000).prioritized()
                .kernels(kernels[k]).treeFanout(16).build());
            addRange(buffer, 0, 3000);
            final SplittableRandom rng = new SplittableRandom(9);
            final int[] indices = new int[3000];
            final long[] generations = new long[3000];
            final double[] priorities = new double[3000];
            for (int i = 0; i < 3000; i++)
            {
                indices[i] = i;
                generations[i] = i;
                priorities[i] = rng.nextDouble() * 10;
            }
            buffer.updatePriorities(indices, generations, priorities, 3000);
            batches[k] = buffer.sample(buffer.newBatch(256), 0.6, rng);
        }
        for (int row = 0; row < 256; row++)
        {
            assertEquals(batches[0].index(row), batches[1].index(row), "row " + row);
            assertEquals(batches[0].weight(row), batches[1].weight(row), 1e-12);
        }
    }

    /**
     * A learner's steady state (stage, add, sample, read, update) allocates nothing: once compiled, a phase of 20,000
     * rounds may grow the thread's allocation counter by at most 1 KiB (a single boxed value or slice per round would
     * cost at least 320 KB). Until C2 compiles them, vector kernels run interpreted or in C1, which box every vector,
     * so phases repeat (at most 15) until one is clean; a real per-round allocation fails every phase.
     */
    @ParameterizedTest
    @EnumSource(WeightNormalization.class)
    void shouldAllocateNothingInTheSteadyState(final WeightNormalization normalization)
    {
        // Batch-max weights take the batch minimum with the vector min kernel, which must not box once compiled.
        final ReplayBuffer buffer = track(ReplayBuffer.builder().schema(DQN).capacity(4096).prioritized()
            .weightNormalization(normalization).build());
        addRange(buffer, 0, 4096);
        final Transitions single = buffer.newTransitions(1);
        final Transitions bulk = buffer.newTransitions(32);
        final SampleBatch batch = buffer.newBatch(64);
        final SplittableRandom rng = new SplittableRandom(1);
        final float[] obs = {1, 2, 3, 4};
        final float[] copied = new float[64 * 4];
        final double[] priorities = new double[64];
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        long allocated = Long.MAX_VALUE;
        for (int phase = 0; phase < 15 && allocated > 1024; phase++)
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            for (int round = 0; round < 20_000; round++)
            {
                single.clear().beginRow().put(OBS, obs).putInt(ACTION, round & 1).putFloat(REWARD, 1f)
                    .put(NEXT_OBS, obs).putBool(DONE, false);
                buffer.add(single);
                if ((round & 15) == 0)
                {
                    bulk.clear();
                    for (int r = 0; r < 32; r++)
                    {
                        bulk.beginRow().put(OBS, obs).putInt(ACTION, r);
                    }
                    buffer.add(bulk);
                }
                buffer.sample(batch, 0.4, rng);
                batch.copyTo(OBS, copied);
                for (int i = 0; i < 64; i++)
                {
                    priorities[i] = copied[i * 4] + batch.getFloat(REWARD, i, 0);
                }
                buffer.updatePriorities(batch, priorities);
            }
            allocated = threads.getCurrentThreadAllocatedBytes() - before;
        }
        assertTrue(allocated <= 1024, "allocated " + allocated + " bytes in 20,000 steady-state rounds");
    }
}
