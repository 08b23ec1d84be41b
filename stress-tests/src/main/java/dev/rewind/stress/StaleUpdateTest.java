package dev.rewind.stress;

import dev.rewind.engine.ConcurrentReplay;
import dev.rewind.engine.Field;
import dev.rewind.engine.ReplayBuffer;
import dev.rewind.engine.SampleBatch;
import dev.rewind.engine.Schema;
import dev.rewind.engine.Transitions;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJJJ_Result;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Stale-update dropping through the whole concurrent front end ({@link ConcurrentReplay}, in memory, embedded
 * writer): a learner samples a slot and queues a priority update for it while the writer overwrites that slot. The
 * update reaches the writer through the update ring; it is applied if the slot still holds the sampled generation
 * and dropped otherwise, never applied to the new occupant.
 *
 * <p>The buffer: capacity 2, prioritized with {@code alpha = 1, eps = 0} (mass = priority), generations 0 and 1
 * stored with mass 1. The writer overwrites slot 0 with generation 2 (mass 1, the running maximum); the learner
 * samples one row and sends priority 0.25 for it; the arbiter drains the rings. Results: sampled generation,
 * updates applied, updates dropped, and slot 0's probability in hundredths.
 *
 * <p>Observed with {@code -m quick}, 98 runs of all tests, 2 cores (command in docs/CONCURRENCY.md):
 * <pre>
 *       RESULT  SAMPLES     FREQ      EXPECT
 *  0, 0, 1, 50     87,373    2.97%  Acceptable  update arrived after the overwrite: dropped
 *  0, 1, 0, 50    305,435   10.39%  Acceptable  update applied to generation 0, then the overwrite reset slot 0
 *  1, 1, 0, 80  1,493,632   50.80%  Acceptable  slot 1 sampled and updated
 *  2, 1, 0, 20  1,053,526   35.83%  Acceptable  the new record sampled and updated
 * </pre>
 */
public final class StaleUpdateTest
{
    static final Schema SCHEMA = Schema.builder().int64("value").build();
    static final Field VALUE = SCHEMA.field("value");
    private static final AtomicLong SEEDS = new AtomicLong();

    private StaleUpdateTest()
    {
    }

    /** Overwrite against a queued update. */
    @JCStressTest
    @Outcome(id = "0, 1, 0, 50", expect = ACCEPTABLE,
        desc = "Generation 0 sampled; its update reached the writer first, then the overwrite reset slot 0.")
    @Outcome(id = "0, 0, 1, 50", expect = ACCEPTABLE,
        desc = "Generation 0 sampled; its update arrived after the overwrite and was dropped.")
    @Outcome(id = "1, 1, 0, 80", expect = ACCEPTABLE, desc = "Slot 1 (generation 1) sampled and updated.")
    @Outcome(id = "2, 1, 0, 20", expect = ACCEPTABLE, desc = "The new record (generation 2) sampled and updated.")
    @Outcome(expect = FORBIDDEN, desc = "A stale update applied to the new occupant, or an update lost.")
    @State
    public static class OverwriteAgainstUpdate
    {
        final ConcurrentReplay replay = ReplayBuffer.builder().schema(SCHEMA).capacity(2).prioritized(1.0, 0.0)
            .inMemory().embeddedWriter().ingestRingLength(1024).updateRingLength(1024).buildConcurrent();
        final Transitions overwrite = replay.newTransitions(1);
        final SampleBatch batch = replay.newBatch(1);
        final SplittableRandom rng = new SplittableRandom(SEEDS.incrementAndGet());
        final double[] priority = {0.25};
        long sampled = -1;

        /** Generations 0 and 1 stored and published. */
        public OverwriteAgainstUpdate()
        {
            final Transitions initial = replay.newTransitions(2);
            initial.beginRow().putLong(VALUE, 0);
            initial.beginRow().putLong(VALUE, 1);
            replay.tryAdd(initial);
            replay.doWork();
            overwrite.beginRow().putLong(VALUE, 2);
        }

        /** The writer: a producer's add of generation 2 (into slot 0), then one duty cycle. */
        @Actor
        public void writer()
        {
            replay.tryAdd(overwrite);
            replay.doWork();
        }

        /** A learner: sample one row, send a new priority for it. */
        @Actor
        public void learner()
        {
            replay.sample(batch, 0.0, rng);
            sampled = batch.generation(0);
            replay.updatePriorities(batch, priority);
        }

        /** After both: drain what is left, then observe. */
        @Arbiter
        public void arbiter(final JJJJ_Result r)
        {
            while (replay.doWork() > 0)
            {
                Thread.onSpinWait();
            }
            final ReplayBuffer.Statistics statistics = replay.statistics();
            r.r1 = sampled;
            r.r2 = statistics.priorityUpdates();
            r.r3 = statistics.staleUpdatesDropped();
            r.r4 = Math.round(replay.probability(0) * 100);
        }
    }
}
