package dev.rewind.stress;

import dev.rewind.engine.ConcurrentReplay;
import dev.rewind.engine.ReplayBuffer;
import dev.rewind.engine.ReplayBufferBuilder;
import dev.rewind.engine.SampleBatch;
import dev.rewind.engine.Transitions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static dev.rewind.stress.SoakRecords.CHECKSUM;
import static dev.rewind.stress.SoakRecords.PRODUCER;
import static dev.rewind.stress.SoakRecords.SEQ;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Soak: {@code P} producer threads and {@code L} learner threads on one mapped {@link ConcurrentReplay} (agent
 * writer) for a configurable time. Learners check every sampled row (payload and checksum), send new priorities,
 * and remember the last priority they sent for each (slot, generation) they own ({@code generation % L}); at the
 * end the test checks that no torn row was ever sampled, that every acknowledged insert is stored or was overwritten
 * in FIFO order (per producer, the stored sequence numbers are exactly its last ones, in generation order), and that
 * each slot's priority is the one a replay of the accepted updates gives.
 *
 * <p>Tunables (system properties): {@code rewind.soak.seconds} (default 3; minutes by hand),
 * {@code rewind.soak.producers} (3), {@code rewind.soak.learners} (2), {@code rewind.soak.capacity} (65536).
 */
class SoakTest
{
    static final String SECONDS_PROP_NAME = "rewind.soak.seconds";
    static final long SECONDS_DEFAULT = 3;
    static final double ALPHA = 0.6;
    static final double EPS = 1e-4;
    static final int BATCH = 64;

    @TempDir
    Path dir;

    @Test
    void shouldNeverTearLoseOrMisapplyUnderProducersAndLearners() throws Exception
    {
        soak(ReplayBuffer.builder(), "plain");
    }

    @Test
    void shouldKeepTheSampleToInsertRatioUnderTheRateLimiter() throws Exception
    {
        final double spi = 8.0;
        final double errorBuffer = 4096.0;
        final int minSize = 2048;
        final Result result = soak(ReplayBuffer.builder().minSizeToSample(minSize).samplesPerInsert(spi, errorBuffer),
            "limited");
        // Once everything is drained: inserts * spi - samples stays within the error buffer (one batch of slack per
        // learner for a sample in flight when the producers stopped, one add per producer above the upper bound).
        final double diff = result.inserts * spi - result.samples;
        final double lower = spi * minSize - errorBuffer - BATCH;
        final double upper = spi * minSize + errorBuffer + spi * 8 * Integer.getInteger("rewind.soak.producers", 3);
        assertTrue(diff >= lower && diff <= upper, "diff=" + diff + " not in [" + lower + ", " + upper + "]");
        System.out.printf("soak limited: samples/inserts=%.3f (target %.1f)%n",
            (double)result.samples / result.inserts, spi);
    }

    record Result(long inserts, long samples)
    {
    }

    private Result soak(final ReplayBufferBuilder builder, final String name) throws Exception
    {
        final long seconds = Long.getLong(SECONDS_PROP_NAME, SECONDS_DEFAULT);
        final int producers = Integer.getInteger("rewind.soak.producers", 3);
        final int learners = Integer.getInteger("rewind.soak.learners", 2);
        final int capacity = Integer.getInteger("rewind.soak.capacity", 1 << 16);
        final AtomicBoolean stopProducers = new AtomicBoolean();
        final AtomicBoolean stopLearners = new AtomicBoolean();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final long[] acked = new long[producers];
        final long[] refusals = new long[producers];
        final Learner[] learnerState = new Learner[learners];

        try (ConcurrentReplay replay = builder.schema(SoakRecords.SCHEMA).capacity(capacity).prioritized(ALPHA, EPS)
            .mapped(dir.resolve(name + ".replay")).buildConcurrent())
        {
            final List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++)
            {
                final int id = p;
                threads.add(start("producer-" + p, failure, () ->
                {
                    final Transitions t = replay.newTransitions(8);
                    final SplittableRandom rng = new SplittableRandom(id);
                    final float[] scratch = new float[SoakRecords.PAYLOAD];
                    long seq = 0;
                    while (!stopProducers.get())
                    {
                        final int rows = 1 + rng.nextInt(8);
                        t.clear();
                        for (int r = 0; r < rows; r++)
                        {
                            SoakRecords.stage(t, id, seq + r, scratch);
                        }
                        final int result = replay.tryAdd(t);
                        if (result > 0)
                        {
                            seq += result;
                        }
                        else
                        {
                            refusals[id]++;
                            Thread.yield();
                        }
                    }
                    acked[id] = seq;
                }));
            }
            while (replay.size() < BATCH)
            {
                Thread.sleep(1);
            }
            final List<Thread> learnerThreads = new ArrayList<>();
            for (int l = 0; l < learners; l++)
            {
                final Learner learner = new Learner(l, learners, capacity);
                learnerState[l] = learner;
                learnerThreads.add(start("learner-" + l, failure, () -> learner.run(replay, stopLearners)));
            }
            Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
            stopProducers.set(true);
            for (final Thread thread : threads)
            {
                thread.join();
            }
            // Learners go on a little longer: the rate limiter may hold them until then, and they keep sampling
            // while the last rows are published.
            Thread.sleep(50);
            stopLearners.set(true);
            for (final Thread thread : learnerThreads)
            {
                thread.join();
            }
            assertNull(failure.get(), () -> "a thread failed: " + failure.get());

            // Every acknowledged row is published; every queued update is applied or dropped.
            assertTrue(replay.awaitPublished(10, TimeUnit.SECONDS));
            long sent = 0;
            long sampled = 0;
            long verified = 0;
            for (final Learner learner : learnerState)
            {
                sent += learner.sent;
                sampled += learner.sampled;
                verified += learner.verified;
            }
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (replay.statistics().priorityUpdates() + replay.statistics().staleUpdatesDropped() < sent &&
                System.nanoTime() < deadline)
            {
                Thread.sleep(1);
            }
            final ReplayBuffer.Statistics stats = replay.statistics();
            long totalAcked = 0;
            long totalRefusals = 0;
            for (int p = 0; p < producers; p++)
            {
                totalAcked += acked[p];
                totalRefusals += refusals[p];
            }
            assertEquals(totalAcked, stats.inserts(), "every acknowledged insert was appended, none twice");
            assertEquals(sent, stats.priorityUpdates() + stats.staleUpdatesDropped(), "every update reached the writer");
            assertEquals(sampled, stats.samples());
            // Refused adds, plus the times a learner found the update ring full.
            assertTrue(stats.backPressureEvents() >= totalRefusals, "back-pressure events " +
                stats.backPressureEvents() + " < refused adds " + totalRefusals);

            checkFifo(replay, acked, capacity);
            checkPriorities(replay, learnerState, capacity);
            System.out.printf("soak %s: %d s, %d producers, %d learners, capacity %d: %d inserts (%.2f M/s), " +
                "%d rows sampled and verified (%.2f M/s), %d updates sent, %d applied, %d stale dropped, " +
                "%d back-pressure events%n", name, seconds, producers, learners, capacity, stats.inserts(),
                stats.inserts() / 1e6 / seconds, verified, verified / 1e6 / seconds, sent, stats.priorityUpdates(),
                stats.staleUpdatesDropped(), stats.backPressureEvents());
            return new Result(stats.inserts(), stats.samples());
        }
    }

    private static Thread start(final String name, final AtomicReference<Throwable> failure, final Runnable body)
    {
        final Thread thread = new Thread(() ->
        {
            try
            {
                body.run();
            }
            catch (final Throwable ex)
            {
                failure.compareAndSet(null, ex);
            }
        }, name);
        thread.start();
        return thread;
    }

    /**
     * Stored records in generation order: per producer, exactly its last acknowledged sequence numbers, contiguous.
     */
    private static void checkFifo(final ConcurrentReplay replay, final long[] acked, final int capacity)
    {
        final long written = replay.writeSequence();
        final int size = replay.size();
        final long oldest = Math.max(0, written - capacity);
        final long[] next = new long[acked.length];
        final long[] stored = new long[acked.length];
        java.util.Arrays.fill(next, -1);
        final int chunk = 1024;
        final SampleBatch batch = replay.newBatch(chunk);
        final int[] slots = new int[chunk];
        final float[] scratch = new float[SoakRecords.PAYLOAD];
        for (long generation = oldest; generation < written; )
        {
            final int count = (int)Math.min(chunk, written - generation);
            for (int i = 0; i < count; i++)
            {
                slots[i] = (int)((generation + i) % capacity);
            }
            replay.fetch(batch, slots, count);
            for (int row = 0; row < count; row++)
            {
                assertEquals(generation + row, batch.generation(row), "generation in slot " + slots[row]);
                final String broken = SoakRecords.check(batch, row, scratch);
                if (null != broken)
                {
                    fail("stored record broken: " + broken);
                }
                final int producer = batch.getInt(PRODUCER, row, 0);
                final long seq = batch.getLong(SEQ, row, 0);
                if (-1 != next[producer] && seq != next[producer])
                {
                    fail("producer " + producer + ": seq " + seq + " follows " + (next[producer] - 1) +
                        " in generation order (lost, duplicated or reordered insert)");
                }
                next[producer] = seq + 1;
                stored[producer]++;
            }
            generation += count;
        }
        long total = 0;
        for (int p = 0; p < acked.length; p++)
        {
            total += stored[p];
            if (stored[p] > 0)
            {
                assertEquals(acked[p], next[p], "producer " + p + ": newest stored record is its last acknowledged");
            }
        }
        assertEquals(size, total);
    }

    /** Each slot's priority equals the last update its owning learner sent for its generation, else the maximum. */
    private static void checkPriorities(final ConcurrentReplay replay, final Learner[] learners, final int capacity)
    {
        final long written = replay.writeSequence();
        final long oldest = Math.max(0, written - capacity);
        final double maxPriority = Math.pow(1.0, 1.0 / ALPHA) - EPS;
        int updated = 0;
        for (long generation = oldest; generation < written; generation++)
        {
            final int slot = (int)(generation % capacity);
            final Learner owner = learners[(int)(generation % learners.length)];
            final double expected = owner.sentGeneration[slot] == generation ? owner.sentPriority[slot] : maxPriority;
            final double actual = replay.priority(slot);
            if (Math.abs(actual - expected) > 1e-9 * Math.max(1.0, expected) + 1e-12)
            {
                fail("slot " + slot + " generation " + generation + ": priority " + actual + ", replay of the " +
                    "accepted updates gives " + expected);
            }
            updated += owner.sentGeneration[slot] == generation ? 1 : 0;
        }
        System.out.printf("priorities: %d slots checked, %d hold a learner's update%n", written - oldest, updated);
    }

    /** One learner thread's loop and what it sent. */
    static final class Learner
    {
        final int id;
        final int learners;
        final long[] sentGeneration;
        final double[] sentPriority;
        long sent;
        long sampled;
        long verified;

        Learner(final int id, final int learners, final int capacity)
        {
            this.id = id;
            this.learners = learners;
            this.sentGeneration = new long[capacity];
            this.sentPriority = new double[capacity];
            java.util.Arrays.fill(sentGeneration, -1);
        }

        void run(final ConcurrentReplay replay, final AtomicBoolean stop)
        {
            final SampleBatch batch = replay.newBatch(BATCH);
            final SplittableRandom rng = new SplittableRandom(1000 + id);
            final float[] scratch = new float[SoakRecords.PAYLOAD];
            final int[] slots = new int[BATCH];
            final long[] generations = new long[BATCH];
            final double[] priorities = new double[BATCH];
            long round = 0;
            while (!stop.get())
            {
                if (!replay.sample(batch, 0.4, rng, 10, TimeUnit.MILLISECONDS))
                {
                    continue;
                }
                sampled += batch.size();
                int count = 0;
                for (int row = 0; row < batch.size(); row++)
                {
                    final String broken = SoakRecords.check(batch, row, scratch);
                    if (null != broken)
                    {
                        throw new AssertionError("torn or wrong row sampled: " + broken);
                    }
                    final double weight = batch.weights()[row];
                    if (!(weight > 0.0 && weight <= 1.0))
                    {
                        throw new AssertionError("importance weight " + weight);
                    }
                    if (batch.getLong(CHECKSUM, row, 0) == 0)
                    {
                        throw new AssertionError("empty record sampled");
                    }
                    verified++;
                    final long generation = batch.generation(row);
                    if (generation % learners == id)
                    {
                        final int slot = batch.index(row);
                        final double priority = (SoakRecords.mix(generation * 31 + round) >>> 11) * 0x1.0p-53 * 0.99;
                        slots[count] = slot;
                        generations[count] = generation;
                        priorities[count] = priority;
                        count++;
                        if (generation >= sentGeneration[slot])
                        {
                            sentGeneration[slot] = generation;
                            sentPriority[slot] = priority;
                        }
                    }
                }
                replay.updatePriorities(slots, generations, priorities, count);
                sent += count;
                round++;
            }
        }
    }
}
