package dev.rewind.engine;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class ConcurrentReplayTest
{
    static final Schema SCHEMA = Schema.builder().int64("seq").float32("obs", 6).int64("check").build();
    static final Field SEQ = SCHEMA.field("seq");
    static final Field OBS = SCHEMA.field("obs");
    static final Field CHECK = SCHEMA.field("check");

    private final List<ReplayBuffer> open = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void closeAll()
    {
        for (final ReplayBuffer buffer : open)
        {
            buffer.close();
        }
    }

    private <T extends ReplayBuffer> T track(final T buffer)
    {
        open.add(buffer);
        return buffer;
    }

    static Transitions stage(final Transitions t, final long seq)
    {
        final float[] obs = new float[6];
        for (int i = 0; i < obs.length; i++)
        {
            obs[i] = seq + i;
        }
        t.beginRow().putLong(SEQ, seq).put(OBS, obs).putLong(CHECK, ~seq);
        return t;
    }

    static void assertIntact(final SampleBatch batch, final int row)
    {
        final long seq = batch.getLong(SEQ, row, 0);
        for (int i = 0; i < 6; i++)
        {
            assertEquals((float)(seq + i), batch.getFloat(OBS, row, i), "row " + row + " element " + i);
        }
        assertEquals(~seq, batch.getLong(CHECK, row, 0), "row " + row);
        assertEquals(seq, batch.generations()[row], "generation of row " + row);
    }

    private static ReplayBufferBuilder builder(final int capacity)
    {
        return ReplayBuffer.builder().schema(SCHEMA).capacity(capacity).prioritized(0.6, 1e-4).inMemory();
    }

    @Test
    void shouldPublishQueuedRowsOnlyWhenTheWriterWorks()
    {
        final ConcurrentReplay replay = track(builder(16).embeddedWriter().buildConcurrent());
        final Transitions t = replay.newTransitions(3);
        stage(stage(stage(t, 0), 1), 2);
        assertEquals(3, replay.tryAdd(t));
        assertEquals(0, replay.size());
        assertEquals(1, replay.doWork());
        assertEquals(3, replay.size());
        assertTrue(replay.awaitPublished(1, TimeUnit.SECONDS));

        // The caller of doWork() is now the writer: its adds append directly and return the generation.
        t.clear();
        stage(t, 3);
        assertEquals(3, replay.add(t));
        assertEquals(4, replay.size());
        final SampleBatch batch = replay.sample(replay.newBatch(4), 0.4, new SplittableRandom(1));
        for (int row = 0; row < 4; row++)
        {
            assertIntact(batch, row);
        }
    }

    @Test
    void shouldReturnBackPressureWhenTheIngestRingIsFullAndLoseNothing()
    {
        final ConcurrentReplay replay = track(builder(1000).embeddedWriter().ingestRingLength(1024).buildConcurrent());
        final Transitions t = replay.newTransitions(1);
        long accepted = 0;
        int result;
        while ((result = replay.tryAdd(stage(t.clear(), accepted))) > 0)
        {
            accepted += result;
        }
        assertEquals(ConcurrentReplay.BACK_PRESSURED, result);
        assertEquals(1, replay.statistics().backPressureEvents());
        assertTrue(accepted > 0);
        while (replay.doWork() > 0)
        {
            // drain
        }
        assertEquals(accepted, replay.writeSequence());
        final int[] slots = new int[(int)accepted];
        for (int i = 0; i < slots.length; i++)
        {
            slots[i] = i;
        }
        final SampleBatch batch = replay.fetch(replay.newBatch(slots.length), slots, slots.length);
        for (int row = 0; row < slots.length; row++)
        {
            assertIntact(batch, row);
        }
    }

    @Test
    void shouldReportWorkUntilTheRingIsEmptyAcrossItsWrap() throws Exception
    {
        final ConcurrentReplay replay = track(builder(100_000).embeddedWriter().ingestRingLength(1024).buildConcurrent());
        long accepted = 0;
        for (int round = 0; round < 50; round++)
        {
            // Another thread fills the ring; the ring wraps (and pads its end) every few rounds.
            final long[] added = {0};
            final long first = accepted;
            final Thread producer = new Thread(() ->
            {
                final int rows = replay.maxRowsPerAdd();
                final Transitions t = replay.newTransitions(rows);
                while (true)
                {
                    t.clear();
                    for (int r = 0; r < rows; r++)
                    {
                        stage(t, first + added[0] + r);
                    }
                    if (replay.tryAdd(t) < 0)
                    {
                        break;
                    }
                    added[0] += rows;
                }
            });
            producer.start();
            producer.join();
            assertTrue(added[0] > 0);
            accepted += added[0];
            while (replay.doWork() > 0)
            {
                // drain: doWork() reports work until nothing is left
            }
            assertEquals(accepted, replay.writeSequence(), "round " + round);
        }
    }

    @Test
    void shouldDropQueuedUpdatesWhoseSlotWasOverwritten() throws Exception
    {
        final ConcurrentReplay replay = track(builder(4).embeddedWriter().buildConcurrent());
        final Transitions t = replay.newTransitions(4);
        for (int i = 0; i < 4; i++)
        {
            stage(t, i);
        }
        replay.add(t);
        replay.doWork();

        // A learner on another thread samples, then queues its update; meanwhile the writer overwrites two slots.
        final SampleBatch batch = replay.newBatch(4);
        final Thread learner = new Thread(() -> replay.sample(batch, 0.4, new SplittableRandom(7)));
        learner.start();
        learner.join();
        t.clear();
        stage(stage(t, 4), 5);
        replay.add(t);
        final long[] sampled = batch.generations().clone();
        final AtomicReference<Integer> queued = new AtomicReference<>();
        final Thread sender = new Thread(() -> queued.set(replay.updatePriorities(batch, new double[]{0.5, 0.5, 0.5, 0.5})));
        sender.start();
        sender.join();
        assertEquals(4, queued.get());
        replay.doWork();
        long stale = 0;
        for (final long generation : sampled)
        {
            stale += generation < 2 ? 1 : 0;
        }
        final ReplayBuffer.Statistics stats = replay.statistics();
        assertEquals(stale, stats.staleUpdatesDropped());
        assertEquals(4 - stale, stats.priorityUpdates());
        // The new occupants of slots 0 and 1 kept the maximum priority.
        assertEquals(replay.priority(0), replay.priority(1), 1e-12);
    }

    @Test
    void shouldApplyOneLearnersUpdatesInTheOrderSent() throws Exception
    {
        final ConcurrentReplay replay = track(builder(8).embeddedWriter().buildConcurrent());
        final Transitions t = replay.newTransitions(8);
        for (int i = 0; i < 8; i++)
        {
            stage(t, i);
        }
        replay.add(t);
        replay.doWork();
        final Thread learner = new Thread(() ->
        {
            for (int k = 1; k <= 100; k++)
            {
                replay.updatePriorities(new int[]{3}, new long[]{3}, new double[]{k}, 1);
            }
        });
        learner.start();
        learner.join();
        while (replay.doWork() > 0)
        {
            // drain
        }
        assertEquals(100.0, replay.priority(3), 1e-9);
        assertEquals(100, replay.statistics().priorityUpdates());
    }

    @Test
    void shouldCheckUpdatesOnTheLearnersThreadBeforeQueueing()
    {
        final ConcurrentReplay replay = track(builder(8).embeddedWriter().buildConcurrent());
        // Rows queued but not yet published (no writer has worked): their slots hold no record a learner could name.
        final Transitions t = replay.newTransitions(3);
        stage(stage(stage(t, 0), 1), 2);
        assertEquals(3, replay.tryAdd(t));
        final IndexOutOfBoundsException unpublished = assertThrows(IndexOutOfBoundsException.class,
            () -> replay.updatePriorities(new int[]{0}, new long[]{0}, new double[]{1}, 1));
        assertTrue(unpublished.getMessage().contains("indices[0]=0 size=0"), unpublished.getMessage());
        assertThrows(IllegalArgumentException.class,
            () -> replay.updatePriorities(new int[]{0}, new long[]{0}, new double[]{Double.NaN}, 1));
        assertThrows(IndexOutOfBoundsException.class,
            () -> replay.updatePriorities(new int[]{8}, new long[]{0}, new double[]{1}, 1));
        // The writer's work is the three rows, nothing queued by the refused updates.
        assertTrue(replay.doWork() > 0);
        while (replay.doWork() > 0)
        {
            Thread.onSpinWait();
        }
        assertEquals(3, replay.size());
        final IndexOutOfBoundsException beyond = assertThrows(IndexOutOfBoundsException.class,
            () -> replay.updatePriorities(new int[]{1, 5}, new long[]{1, 5}, new double[]{1, 1}, 2));
        assertTrue(beyond.getMessage().contains("indices[1]=5 size=3"), beyond.getMessage());
        assertEquals(0, replay.statistics().priorityUpdates());
        assertEquals(0, replay.statistics().staleUpdatesDropped());
    }

    @Test
    void shouldHoldSamplesBackUntilTheMinimumSizeAndKeepTheRatio()
    {
        final ConcurrentReplay replay = track(builder(1000).embeddedWriter()
            .minSizeToSample(10).samplesPerInsert(2.0, 8.0).buildConcurrent());
        final Transitions t = replay.newTransitions(1);
        final SampleBatch batch = replay.newBatch(4);
        final SplittableRandom rng = new SplittableRandom(3);
        long seq = 0;
        for (; seq < 9; seq++)
        {
            assertEquals(1, replay.tryAdd(stage(t.clear(), seq)));
        }
        replay.doWork();
        assertFalse(replay.trySample(batch, 0.4, rng), "below the minimum size");
        assertEquals(1, replay.tryAdd(stage(t.clear(), seq++)));
        replay.doWork();
        // diff = 10 * 2 - 0 = 20 = spi * minSize; a batch of 4 takes it to 16 >= 20 - 8.
        assertTrue(replay.trySample(batch, 0.4, rng));
        assertTrue(replay.trySample(batch, 0.4, rng));
        assertFalse(replay.trySample(batch, 0.4, rng), "12 - 4 < 12: too many samples per insert");
        // Inserts run ahead until diff would exceed 28.
        int inserted = 0;
        while (replay.tryAdd(stage(t.clear(), seq)) > 0)
        {
            seq++;
            inserted++;
        }
        assertEquals(8, inserted);
        assertEquals(ConcurrentReplay.RATE_LIMITED, replay.tryAdd(stage(t.clear(), seq)));
        replay.doWork();
        assertTrue(replay.trySample(batch, 0.4, rng));
        assertThrows(IllegalArgumentException.class, () -> replay.trySample(replay.newBatch(15), 0.4, rng),
            "2 * 8 < 15 + 2: could never be sampled");
        assertEquals(12, replay.statistics().samples());
    }

    /**
     * A draw that fails after the limiter counted its rows (no record has mass: eps 0 and every priority 0) gives
     * them back, on a learner's thread and on the writer's: the statistics count only rows drawn.
     */
    @Test
    void shouldNotCountTheRowsOfAFailedDraw() throws InterruptedException
    {
        final ConcurrentReplay replay = track(ReplayBuffer.builder().schema(SCHEMA).capacity(8).prioritized(1.0, 0.0)
            .inMemory().embeddedWriter().buildConcurrent());
        final Transitions t = replay.newTransitions(4);
        stage(stage(stage(stage(t, 0), 1), 2), 3);
        replay.tryAdd(t);
        while (replay.doWork() > 0)
        {
            Thread.onSpinWait();
        }
        replay.updatePriorities(new int[]{0, 1, 2, 3}, new long[]{0, 1, 2, 3}, new double[4], 4);
        assertThrows(IllegalStateException.class, () -> replay.trySample(replay.newBatch(2), 0.4,
            new SplittableRandom(1)), "on the writer thread");
        final AtomicReference<Throwable> learner = new AtomicReference<>();
        final Thread other = new Thread(() ->
        {
            try
            {
                replay.trySample(replay.newBatch(2), 0.4, new SplittableRandom(2));
            }
            catch (final Throwable ex)
            {
                learner.set(ex);
            }
        });
        other.start();
        other.join();
        assertTrue(learner.get() instanceof IllegalStateException, "on a learner's thread: " + learner.get());
        assertEquals(0, replay.statistics().samples());
    }

    /**
     * A file reopened with 1,000 records under minSize 100, spi 2, errorBuffer 10: learners may draw what a fresh
     * buffer just at its minimum size may (10 rows), not the stored history's worth (about 1,800).
     */
    @Test
    void shouldRateLimitAReopenedFileAsAFreshBufferAtItsMinimumSize()
    {
        final Path file = dir.resolve("limited.replay");
        try (ReplayBuffer buffer = ReplayBuffer.builder().schema(SCHEMA).capacity(2048).prioritized().mapped(file)
            .build())
        {
            final Transitions t = buffer.newTransitions(1000);
            for (int seq = 0; seq < 1000; seq++)
            {
                stage(t, seq);
            }
            buffer.add(t);
        }
        final ConcurrentReplay replay = track(ReplayBuffer.builder().schema(SCHEMA).capacity(2048).prioritized()
            .mapped(file).minSizeToSample(100).samplesPerInsert(2.0, 10.0).embeddedWriter().buildConcurrent());
        assertEquals(1000, replay.size());
        final SplittableRandom rng = new SplittableRandom(5);
        assertTrue(replay.trySample(replay.newBatch(10), 0.4, rng));
        assertFalse(replay.trySample(replay.newBatch(1), 0.4, rng), "diff at minDiff: no more samples");
        final Transitions one = replay.newTransitions(1);
        int admitted = 0;
        while (replay.tryAdd(stage(one.clear(), 1000 + admitted)) > 0)
        {
            admitted++;
        }
        assertEquals(10, admitted, "producers held to the ratio from the reopen on");
    }

    @Test
    void shouldRefuseABatchLargerThanTheCapacityRatherThanWaitForIt()
    {
        final ConcurrentReplay replay = track(builder(8).minSizeToSample(2).embeddedWriter().buildConcurrent());
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> replay.trySample(replay.newBatch(9), 0.4, new SplittableRandom(1)));
        assertTrue(ex.getMessage().contains("batchSize=9 capacity=8"), ex.getMessage());
    }

    /**
     * A thread that queued rows before it became the embedded writer (here: more than one duty cycle publishes at
     * once) adds its next row directly; that row must still come after the queued ones.
     */
    @Test
    void shouldKeepAProducersOrderWhenItBecomesTheEmbeddedWriter()
    {
        final ConcurrentReplay replay = track(builder(16).embeddedWriter().buildConcurrent());
        final Transitions t = replay.newTransitions(1);
        for (long seq = 0; seq < 10; seq++)
        {
            assertEquals(1, replay.tryAdd(stage(t.clear(), seq)));
        }
        // One duty cycle publishes once a quarter of the ring (4 rows) waits: rows 4 to 9 stay queued.
        assertTrue(replay.doWork() > 0);
        assertTrue(replay.size() < 10, "size " + replay.size());
        assertEquals(1, replay.tryAdd(stage(t.clear(), 10)));
        replay.add(stage(t.clear(), 11));
        while (replay.doWork() > 0)
        {
            Thread.onSpinWait();
        }
        assertEquals(12, replay.writeSequence());
        final int[] slots = new int[12];
        for (int i = 0; i < 12; i++)
        {
            slots[i] = i;
        }
        final SampleBatch batch = replay.fetch(replay.newBatch(12), slots, 12);
        for (int row = 0; row < 12; row++)
        {
            assertIntact(batch, row);
        }
    }

    /**
     * close() on the embedded writer's thread while a producer is between claiming ring space and committing it:
     * the drain waits for that claim without waiting for the writer token, which the closer holds.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldCloseAnEmbeddedBufferWhileAProducerIsMidAdd() throws InterruptedException
    {
        for (int round = 0; round < 300; round++)
        {
            final ConcurrentReplay replay = builder(64).embeddedWriter().buildConcurrent();
            final CountDownLatch started = new CountDownLatch(1);
            final Thread producer = Thread.ofPlatform().daemon().unstarted(() ->
            {
                final Transitions t = replay.newTransitions(1);
                long seq = 0;
                try
                {
                    while (true)
                    {
                        replay.tryAdd(stage(t.clear(), seq++));
                        started.countDown();
                    }
                }
                catch (final IllegalStateException closed)
                {
                    // The buffer closed: the way out.
                }
            });
            producer.start();
            try
            {
                started.await();
                for (int i = 0; i < round % 7; i++)
                {
                    replay.doWork();
                }
            }
            finally
            {
                replay.close();
            }
            producer.join();
        }
    }

    /**
     * A learner whose priorities array another thread keeps changing (a caller's bug): whatever slips past the first
     * check is caught on the queued copy, so the writer never meets a bad entry and keeps working.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldKeepTheWriterAliveWhenACallerChangesItsArraysDuringAnUpdate() throws InterruptedException
    {
        final ConcurrentReplay replay = track(builder(64).buildConcurrent());
        final Transitions t = replay.newTransitions(64);
        for (int seq = 0; seq < 64; seq++)
        {
            stage(t, seq);
        }
        replay.add(t);
        assertTrue(replay.awaitPublished(10, TimeUnit.SECONDS));
        final int[] indices = new int[64];
        final long[] generations = new long[64];
        final double[] priorities = new double[64];
        for (int i = 0; i < 64; i++)
        {
            indices[i] = i;
            generations[i] = i;
            priorities[i] = 1.0;
        }
        final AtomicBoolean stop = new AtomicBoolean();
        final CountDownLatch meddling = new CountDownLatch(1);
        final Thread meddler = new Thread(() ->
        {
            meddling.countDown();
            // Each value held for a while, so that a call often checks one and copies the other.
            while (!stop.get())
            {
                priorities[63] = Double.NaN;
                for (int spin = 0; spin < 64; spin++)
                {
                    Thread.onSpinWait();
                }
                priorities[63] = 1.0;
                for (int spin = 0; spin < 64; spin++)
                {
                    Thread.onSpinWait();
                }
            }
        });
        meddler.start();
        int refused = 0;
        long accepted = 0;
        try
        {
            meddling.await();
            // At least 200,000 calls, and on until both outcomes were seen (a loaded machine may not run the meddler
            // at once), for at most 60 s.
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (int call = 0; call < 200_000 || (0 == refused || 0 == accepted) && System.nanoTime() < end; call++)
            {
                try
                {
                    replay.updatePriorities(indices, generations, priorities, 64);
                    accepted++;
                }
                catch (final IllegalArgumentException ex)
                {
                    refused++;
                }
            }
        }
        finally
        {
            stop.set(true);
            meddler.join();
        }
        assertTrue(refused > 0 && accepted > 0, "the meddler had no effect: refused " + refused);
        // The writer still works: every entry of every accepted call is applied (none is stale), and nothing of a
        // refused call.
        final long expected = 64 * accepted;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (replay.statistics().priorityUpdates() < expected && System.nanoTime() < deadline)
        {
            Thread.yield();
        }
        assertEquals(expected, replay.statistics().priorityUpdates(), "refused " + refused);
        assertEquals(0, replay.statistics().staleUpdatesDropped());
    }

    /**
     * A thread's updates queued while another thread was the embedded writer, more than one duty cycle reads, then
     * its own direct update once it is the writer: the direct one must come last.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldApplyAWritersOwnUpdateAfterTheUpdatesItQueuedBefore() throws InterruptedException
    {
        final ConcurrentReplay replay =
            track(builder(16).embeddedWriter().updateRingLength(1 << 20).buildConcurrent());
        final Transitions t = replay.newTransitions(3);
        stage(stage(stage(t, 0), 1), 2);
        replay.tryAdd(t);
        final Thread other = new Thread(() ->
        {
            while (replay.doWork() > 0)
            {
                Thread.onSpinWait();
            }
        });
        other.start();
        other.join();
        assertEquals(3, replay.size());
        final int queued = ConcurrentReplayBuffer.UPDATE_READ_LIMIT + 36;
        for (int k = 1; k <= queued; k++)
        {
            assertEquals(1, replay.updatePriorities(new int[]{0}, new long[]{0}, new double[]{k}, 1), "queued");
        }
        // This thread becomes the writer; one duty cycle reads UPDATE_READ_LIMIT messages, 36 stay queued.
        assertTrue(replay.doWork() > 0);
        // A zero-copy batch drawn here, and a row queued by another thread: the update below must not append it.
        final SampleBatch batch = replay.fetch(replay.newBatch(3), new int[]{0, 1, 2}, 3);
        final Thread producer = new Thread(() -> replay.tryAdd(stage(replay.newTransitions(1), 3)));
        producer.start();
        producer.join();
        assertEquals(1, replay.updatePriorities(new int[]{0}, new long[]{0}, new double[]{500}, 1), "applied");
        assertEquals(3, replay.size(), "the queued row waits for the next duty cycle");
        for (int row = 0; row < 3; row++)
        {
            assertIntact(batch, row);
        }
        while (replay.doWork() > 0)
        {
            Thread.onSpinWait();
        }
        assertEquals(500.0, replay.priority(0), 1e-6, "the last update sent is the one that holds");
        assertEquals(queued + 1, replay.statistics().priorityUpdates());
        assertEquals(4, replay.size());
    }

    @Test
    void shouldLeaveAFileThatWasThereAsItWasWhenTheFrontEndCannotBeBuilt() throws java.io.IOException
    {
        final Schema wide = Schema.builder().uint8("obs", 84, 84).build();
        final Path full = dir.resolve("full.replay");
        try (ReplayBuffer buffer = ReplayBuffer.builder().schema(wide).capacity(8).prioritized().mapped(full).build())
        {
            // Records, so that reopening has nothing to repair (an untouched new file's slot 0 becomes a hole).
            buffer.add(buffer.newTransitions(3).beginRow().beginRow().beginRow());
        }
        final byte[] before = java.nio.file.Files.readAllBytes(full);
        final Path empty = java.nio.file.Files.createFile(dir.resolve("empty.replay"));
        for (final Path file : new Path[]{full, empty})
        {
            assertThrows(IllegalArgumentException.class, () -> ReplayBuffer.builder().schema(wide).capacity(8)
                .prioritized().mapped(file).ingestRingLength(1024).buildConcurrent());
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(before, java.nio.file.Files.readAllBytes(full));
        assertEquals(0, java.nio.file.Files.size(empty), "an empty file is left empty");
    }

    @Test
    void shouldLeaveNoNewFileBehindWhenTheFrontEndCannotBeBuilt()
    {
        final Path file = dir.resolve("never.replay");
        final Schema wide = Schema.builder().uint8("obs", 84, 84).build();
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> ReplayBuffer.builder().schema(wide).capacity(64).prioritized().mapped(file).ingestRingLength(1024)
                .buildConcurrent());
        assertTrue(ex.getMessage().contains("ingest ring too small"), ex.getMessage());
        assertFalse(java.nio.file.Files.exists(file), "the file this build created is removed");
    }

    @Test
    void shouldDrainAcceptedRowsOnCloseAndFindThemOnReopen()
    {
        final Path file = dir.resolve("drain.replay");
        final long rows = 50_000;
        try (ConcurrentReplay replay = ReplayBuffer.builder().schema(SCHEMA).capacity(4096).prioritized()
            .mapped(file).buildConcurrent())
        {
            final Transitions t = replay.newTransitions(1);
            for (long seq = 0; seq < rows; seq++)
            {
                replay.add(stage(t.clear(), seq));
            }
        }
        try (ReplayBuffer reopened = ReplayBuffer.builder().schema(SCHEMA).capacity(4096).prioritized()
            .mapped(file).build())
        {
            assertEquals(rows, reopened.writeSequence());
            final int[] slots = {0, 1, 4095};
            final SampleBatch batch = reopened.fetch(reopened.newBatch(3), slots, 3);
            for (int row = 0; row < 3; row++)
            {
                assertIntact(batch, row);
            }
        }
    }

    @Test
    void shouldRefuseProducersAndLearnersAfterClose()
    {
        final ConcurrentReplay replay = builder(8).buildConcurrent();
        replay.close();
        replay.close();
        final Transitions t = replay.newTransitions(1);
        stage(t, 0);
        assertThrows(IllegalStateException.class, () -> replay.tryAdd(t));
        assertThrows(IllegalStateException.class, () -> replay.sample(replay.newBatch(1), 0.4, new SplittableRandom()));
    }

    @Test
    void shouldNeverHandOutATornRowWhileTheAgentWriterOverwrites() throws Exception
    {
        // A small ring lapped continuously: most sampled slots are rewritten while learners copy them.
        final ConcurrentReplay replay = track(builder(64).buildConcurrent());
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread producer = new Thread(() ->
        {
            final Transitions t = replay.newTransitions(4);
            long seq = 0;
            while (!stop.get())
            {
                t.clear();
                for (int r = 0; r < 4; r++)
                {
                    stage(t, seq + r);
                }
                if (replay.tryAdd(t) > 0)
                {
                    seq += 4;
                }
            }
        });
        producer.start();
        while (replay.writeSequence() < 64)
        {
            Thread.onSpinWait();
        }
        final Thread[] learners = new Thread[2];
        for (int l = 0; l < learners.length; l++)
        {
            final int id = l;
            learners[l] = new Thread(() ->
            {
                try
                {
                    final SampleBatch batch = replay.newBatch(32);
                    final SplittableRandom rng = new SplittableRandom(id);
                    final double[] priorities = new double[32];
                    for (int k = 0; k < 2_000; k++)
                    {
                        replay.sample(batch, 0.4, rng);
                        for (int row = 0; row < batch.size(); row++)
                        {
                            assertIntact(batch, row);
                            assertTrue(batch.weights()[row] <= 1.0 && batch.weights()[row] > 0.0);
                            priorities[row] = rng.nextDouble();
                        }
                        replay.updatePriorities(batch, priorities);
                        final SampleBatch uniform = replay.sampleUniform(batch, rng);
                        for (int row = 0; row < uniform.size(); row++)
                        {
                            assertIntact(uniform, row);
                        }
                    }
                }
                catch (final Throwable ex)
                {
                    failure.compareAndSet(null, ex);
                }
            });
            learners[l].start();
        }
        for (final Thread learner : learners)
        {
            learner.join();
        }
        stop.set(true);
        producer.join();
        assertNull(failure.get());
        final ReplayBuffer.Statistics stats = replay.statistics();
        assertEquals(2 * 2_000 * 2 * 32, stats.samples());
        assertTrue(stats.inserts() > 64);
    }

    /**
     * Learners descend the trees while the writer rewrites them, so they can see a node's prefix sums half rewritten.
     * The writer here swings the mass of the last 2,000 of 4,099 slots between 1e6 and 1e-6 as fast as it can (the
     * level under the root has 2 nodes and 6 of padding at fan-out 8, 1 and 15 at fan-out 16), while a learner
     * samples: every batch must come back, with records intact, and none may read outside the tree.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shouldKeepLearnersInsideTheTreesWhileTheWriterSwingsPriorities() throws InterruptedException
    {
        for (final int fanout : new int[] {8, 16})
        {
            final int capacity = 4_099;
            final ConcurrentReplay replay = track(ReplayBuffer.builder().schema(SCHEMA).capacity(capacity)
                .prioritized(1.0, 0.0).treeFanout(fanout).inMemory().buildConcurrent());
            fill(replay, capacity);
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread swinger = new Thread(() ->
            {
                final int n = 2_000;
                final int[] indices = new int[n];
                final long[] generations = new long[n];
                final double[] priorities = new double[n];
                for (int i = 0; i < n; i++)
                {
                    indices[i] = capacity - n + i;
                    generations[i] = capacity - n + i;
                }
                boolean high = false;
                while (!stop.get())
                {
                    high = !high;
                    java.util.Arrays.fill(priorities, high ? 1e6 : 1e-6);
                    replay.updatePriorities(indices, generations, priorities, n);
                }
            });
            swinger.start();
            final SampleBatch batch = replay.newBatch(64);
            final SplittableRandom rng = new SplittableRandom(fanout);
            long batches = 0;
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            try
            {
                while (System.nanoTime() < end)
                {
                    replay.sample(batch, 0.4, rng);
                    for (int row = 0; row < batch.size(); row++)
                    {
                        assertIntact(batch, row);
                    }
                    batches++;
                }
            }
            catch (final Throwable e)
            {
                failure.set(e);
            }
            stop.set(true);
            swinger.join();
            assertNull(failure.get(), "fanout=" + fanout + " after " + batches + " batches");
            assertTrue(batches > 100, "fanout=" + fanout + " batches=" + batches);
        }
    }

    /**
     * Learners sample while the writer rescales the trees again and again (each update multiplies the largest mass by
     * 2^8, beyond the trees' 16x headroom): every weight must be that of the masses, never of a mass read in one unit
     * against a minimum in another. With alpha 1 and eps 0 the masses are the priorities, the global minimum is 1 (the
     * untouched slots), so an untouched slot's weight is exactly 1 and a raised slot's is 2^-8k.
     */
    @Test
    void shouldNeverMixUnitsWhileTheWriterRescales() throws InterruptedException
    {
        final int capacity = 4_099;
        final int raised = 100;
        final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        int rounds = 0;
        long checked = 0;
        while (rounds < 3 || System.nanoTime() < end)
        {
            try (ConcurrentReplay replay = ReplayBuffer.builder().schema(SCHEMA).capacity(capacity)
                .prioritized(1.0, 0.0).inMemory().buildConcurrent())
            {
                fill(replay, capacity);
                final CountDownLatch applied = new CountDownLatch(1);
                final Thread raiser = new Thread(() ->
                {
                    final int[] indices = new int[raised];
                    final long[] generations = new long[raised];
                    final double[] priorities = new double[raised];
                    for (int i = 0; i < raised; i++)
                    {
                        indices[i] = i;
                        generations[i] = i;
                    }
                    for (int k = 1; k <= 5; k++)
                    {
                        java.util.Arrays.fill(priorities, Math.scalb(1.0, 8 * k));
                        replay.updatePriorities(indices, generations, priorities, raised);
                        LockSupport.parkNanos(200_000);
                    }
                    applied.countDown();
                });
                raiser.start();
                final SampleBatch batch = replay.newBatch(64);
                final SplittableRandom rng = new SplittableRandom(rounds);
                long batches = 0;
                while (applied.getCount() > 0 || batches < 50)
                {
                    replay.sample(batch, 1.0, rng);
                    for (int row = 0; row < batch.size(); row++)
                    {
                        final double weight = batch.weight(row);
                        if (batch.index(row) >= raised)
                        {
                            assertEquals(1.0, weight, "round " + rounds + " untouched slot " + batch.index(row));
                        }
                        else
                        {
                            final int exponent = Math.getExponent(weight);
                            assertTrue(weight == Math.scalb(1.0, exponent) && exponent % 8 == 0 &&
                                exponent >= -40 && exponent <= 0,
                                "round " + rounds + " raised slot " + batch.index(row) + " weight=" + weight);
                        }
                        checked++;
                    }
                    batches++;
                }
                raiser.join();
            }
            rounds++;
        }
        assertTrue(checked > 10_000, "rows checked=" + checked);
    }

    /** Adds {@code rows} records one at a time (retrying refusals) and waits until the writer has appended them. */
    private static void fill(final ConcurrentReplay replay, final int rows)
    {
        final Transitions t = replay.newTransitions(1);
        for (long seq = 0; seq < rows; )
        {
            if (replay.tryAdd(stage(t.clear(), seq)) > 0)
            {
                seq++;
            }
        }
        while (replay.writeSequence() < rows)
        {
            Thread.onSpinWait();
        }
    }
}
