package dev.rewind.engine;

import dev.rewind.engine.internal.RecordDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recovery of a file whose writer died mid-append, reproduced exactly: records committed but not yet published,
 * and records marked busy by an overwrite that never finished. The fault test in stress-tests kills a real process;
 * this one makes each state deterministic.
 */
class RecoveryTest
{
    static final int CAPACITY = 16;

    @TempDir
    Path dir;

    private ReplayBuffer open(final Path file)
    {
        return ReplayBuffer.builder().schema(ConcurrentReplayTest.SCHEMA).capacity(CAPACITY).prioritized()
            .mapped(file).build();
    }

    @Test
    void shouldAdoptCommittedRecordsAndTurnBusyOnesIntoHoles()
    {
        final Path file = dir.resolve("crash.replay");
        {
            final ReplayBuffer buffer = open(file);
            final MappedReplayBuffer mapped = (MappedReplayBuffer)buffer;
            final Transitions t = buffer.newTransitions(20);
            for (int i = 0; i < 20; i++)
            {
                ConcurrentReplayTest.stage(t, i);
            }
            buffer.add(t);

            // The writer appended generations 20..22 (slots 4..6) but died before publishing them ...
            final Transitions more = buffer.newTransitions(3);
            for (int i = 20; i < 23; i++)
            {
                ConcurrentReplayTest.stage(more, i);
            }
            mapped.append(more.rows, 0, 3);
            // ... and had marked slots 7 and 8 busy for the next run, whose payload never arrived.
            final MemorySegment segment = mapped.file().segment();
            final long recordsOffset = mapped.file().recordsOffset();
            final int recordLength = ConcurrentReplayTest.SCHEMA.recordLength();
            for (int slot = 7; slot <= 8; slot++)
            {
                RecordDescriptor.LONG_HANDLE.setRelease(segment, recordsOffset + (long)slot * recordLength,
                    RecordDescriptor.BUSY);
            }
            assertEquals(23, mapped.writeSequence());
            mapped.closeAsIfKilled();
        }
        try (ReplayBuffer reopened = open(file))
        {
            assertEquals(23, reopened.writeSequence(), "committed records adopted");
            assertEquals(0.0, reopened.probability(7));
            assertEquals(0.0, reopened.probability(8));
            assertNotEquals(0.0, reopened.probability(6));
            final SampleBatch batch = reopened.newBatch(8);
            final SplittableRandom rng = new SplittableRandom(3);
            for (int k = 0; k < 500; k++)
            {
                for (final SampleBatch drawn : new SampleBatch[]{reopened.sample(batch, 0.4, rng),
                    reopened.sampleUniform(batch, rng)})
                {
                    for (int row = 0; row < drawn.size(); row++)
                    {
                        final int slot = drawn.index(row);
                        assertNotEquals(7, slot, "hole sampled");
                        assertNotEquals(8, slot, "hole sampled");
                        ConcurrentReplayTest.assertIntact(drawn, row);
                    }
                }
            }
            // The holes are the next slots written: appending two records fills them.
            final Transitions t = reopened.newTransitions(2);
            ConcurrentReplayTest.stage(ConcurrentReplayTest.stage(t, 23), 24);
            reopened.add(t);
            assertNotEquals(0.0, reopened.probability(7));
            assertNotEquals(0.0, reopened.probability(8));
        }
    }

    /**
     * A hole inside the ring (an overwrite cut short, which no insert has filled since) is never a stable record:
     * the concurrent front end's fetch gives up on it after its redraw timeout, as sampling does, instead of
     * spinning for ever.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldGiveUpFetchingAHoleInsteadOfSpinning()
    {
        final Path file = dir.resolve("hole.replay");
        {
            final MappedReplayBuffer mapped = (MappedReplayBuffer)open(file);
            addRows(mapped, 0, 20);
            mapped.flush();
            // Slot 4 holds generation 4 + 16 = 20 next; the writer marked it busy and died.
            RecordDescriptor.LONG_HANDLE.setRelease(mapped.file().segment(),
                mapped.file().recordsOffset() + 4L * ConcurrentReplayTest.SCHEMA.recordLength(), RecordDescriptor.BUSY);
            mapped.closeAsIfKilled();
        }
        try (ConcurrentReplay replay = ReplayBuffer.builder().schema(ConcurrentReplayTest.SCHEMA).capacity(CAPACITY)
            .prioritized().mapped(file).buildConcurrent())
        {
            assertEquals(16, replay.size());
            final SampleBatch fetched = replay.fetch(replay.newBatch(1), new int[]{5}, 1);
            ConcurrentReplayTest.assertIntact(fetched, 0);
            final long start = System.nanoTime();
            final IllegalStateException ex = assertThrows(IllegalStateException.class,
                () -> replay.fetch(replay.newBatch(1), new int[]{4}, 1));
            assertTrue(ex.getMessage().contains("no stable committed record"), ex.getMessage());
            assertTrue(System.nanoTime() - start >= ConcurrentReplayBuffer.REDRAW_TIMEOUT_NS, "gave up too early");
        }
    }

    @Test
    void shouldRecoverThroughTheConcurrentFrontEnd()
    {
        final Path file = dir.resolve("concurrent.replay");
        {
            final MappedReplayBuffer mapped = (MappedReplayBuffer)open(file);
            final Transitions t = mapped.newTransitions(5);
            for (int i = 0; i < 5; i++)
            {
                ConcurrentReplayTest.stage(t, i);
            }
            mapped.append(t.rows, 0, 5);
            mapped.closeAsIfKilled();
        }
        try (ConcurrentReplay replay = ReplayBuffer.builder().schema(ConcurrentReplayTest.SCHEMA).capacity(CAPACITY)
            .prioritized().mapped(file).buildConcurrent())
        {
            assertEquals(5, replay.writeSequence());
            final SampleBatch batch = replay.sample(replay.newBatch(5), 0.4, new SplittableRandom(1));
            for (int row = 0; row < 5; row++)
            {
                ConcurrentReplayTest.assertIntact(batch, row);
            }
        }
    }

    /**
     * Single adds wait to be published in groups of {@link MappedReplayBuffer#ADD_PUBLISH_BATCH}; each returned, so a
     * crash after them must lose none, also when more of them wait than the ring holds (a ring smaller than a group),
     * when one bulk add is larger than the ring, and when the ring was already full.
     */
    @ParameterizedTest(name = "capacity {0}")
    @ValueSource(ints = {1, 10, 16, 100})
    void shouldLoseNoReturnedAddWhenTheProcessDiesBeforeAPublish(final int capacity)
    {
        final int[][] runs = {
            {5},                            // fewer rows than a publish group, and than most rings
            {25},                           // one bulk add of more rows than small rings hold
            {3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},  // single adds past small rings
        };
        for (int r = 0; r < runs.length; r++)
        {
            for (final boolean fullFirst : new boolean[]{false, true})
            {
                final Path file = dir.resolve("killed-" + capacity + "-" + r + "-" + fullFirst + ".replay");
                long written = 0;
                final MappedReplayBuffer buffer = (MappedReplayBuffer)ReplayBuffer.builder()
                    .schema(ConcurrentReplayTest.SCHEMA).capacity(capacity).prioritized().mapped(file).build();
                if (fullFirst)
                {
                    written = addRows(buffer, written, capacity);
                    buffer.flush();
                }
                for (final int rows : runs[r])
                {
                    written = addRows(buffer, written, rows);
                }
                buffer.closeAsIfKilled();

                try (ReplayBuffer reopened = ReplayBuffer.builder().schema(ConcurrentReplayTest.SCHEMA)
                    .capacity(capacity).prioritized().mapped(file).build())
                {
                    final String what = "capacity " + capacity + " run " + r + " full first " + fullFirst;
                    assertEquals(written, reopened.writeSequence(), what);
                    final int size = (int)Math.min(written, capacity);
                    assertEquals(size, reopened.size(), what);
                    final int[] all = new int[size];
                    for (int i = 0; i < size; i++)
                    {
                        all[i] = i;
                    }
                    final SampleBatch batch = reopened.fetch(reopened.newBatch(size), all, size);
                    final boolean[] seen = new boolean[size];
                    for (int row = 0; row < size; row++)
                    {
                        // Each slot holds the row its generation names, and the generations are the newest ones.
                        ConcurrentReplayTest.assertIntact(batch, row);
                        final long generation = batch.generation(row);
                        assertTrue(generation >= written - size && generation < written, what + " row " + row);
                        seen[(int)(generation - (written - size))] = true;
                        assertTrue(reopened.probability(row) > 0.0, what + " slot " + row + " has mass");
                    }
                    for (int i = 0; i < size; i++)
                    {
                        assertTrue(seen[i], what + ": generation " + (written - size + i) + " lost");
                    }
                    final SplittableRandom rng = new SplittableRandom(capacity);
                    for (int k = 0; k < 20; k++)
                    {
                        final SampleBatch drawn = reopened.sampleUniform(reopened.newBatch(size), rng);
                        for (int row = 0; row < size; row++)
                        {
                            ConcurrentReplayTest.assertIntact(drawn, row);
                        }
                    }
                }
            }
        }
    }

    private static long addRows(final ReplayBuffer buffer, final long from, final int rows)
    {
        final Transitions t = buffer.newTransitions(rows);
        for (int i = 0; i < rows; i++)
        {
            ConcurrentReplayTest.stage(t, from + i);
        }
        buffer.add(t);
        return from + rows;
    }
}
