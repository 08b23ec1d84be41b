package dev.rewind.engine;

import dev.rewind.engine.internal.RecordDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

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
        try (ReplayBuffer buffer = open(file))
        {
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

    @Test
    void shouldRecoverThroughTheConcurrentFrontEnd()
    {
        final Path file = dir.resolve("concurrent.replay");
        try (ReplayBuffer buffer = open(file))
        {
            final MappedReplayBuffer mapped = (MappedReplayBuffer)buffer;
            final Transitions t = buffer.newTransitions(5);
            for (int i = 0; i < 5; i++)
            {
                ConcurrentReplayTest.stage(t, i);
            }
            mapped.append(t.rows, 0, 5);
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
}
