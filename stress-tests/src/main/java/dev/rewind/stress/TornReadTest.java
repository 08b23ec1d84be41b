package dev.rewind.stress;

import dev.rewind.engine.internal.RecordDescriptor;
import dev.rewind.engine.internal.RecordRing;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJJJ_Result;

import java.lang.foreign.MemorySegment;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The torn-read guard: the writer overwrites a record (busy mark, fence, payload, release of the new generation)
 * while a reader copies it under the sequence lock ({@link RecordRing#copyPublished}, {@link RecordRing#copyOut}:
 * generation before, copy, load-load fence, generation after). A copy that is kept is always one whole record; a copy that overlapped the overwrite
 * is refused (the sampler draws again).
 *
 * <p>Observed with {@code -m quick}, 98 runs of all tests, 2 cores (command in docs/CONCURRENCY.md):
 * <pre>
 * Sample            RESULT    SAMPLES     FREQ       EXPECT
 *            1, -1, -1, -1    826,629    8.76%  Interesting  busy, rewritten or unpublished: drawn again
 *           1, 0, 100, 107  1,999,679   21.20%   Acceptable
 *           2, 1, 200, 207  6,607,046   70.04%   Acceptable
 * Fetch             RESULT    SAMPLES     FREQ       EXPECT
 *            -1, 0, -1, -1    336,395    3.68%  Interesting  slot busy
 *             0, 0, -1, -1    404,753    4.43%  Interesting  overwrite began during the copy
 *           0, 1, 100, 107  2,290,020   25.06%   Acceptable
 *           1, 1, 200, 207  6,105,226   66.82%   Acceptable
 * </pre>
 */
public final class TornReadTest
{
    private TornReadTest()
    {
    }

    /** One-slot ring holding generation 0, published; the writer will overwrite it with generation 1. */
    abstract static class OneSlot
    {
        final MemorySegment segment = Segments.ringSegment(1);
        final RecordRing ring = Segments.ring(segment, 1);
        final MemorySegment next = Segments.staged(1, 200);
        final MemorySegment copy = Segments.allocate(Segments.RECORD_LENGTH);

        OneSlot()
        {
            ring.write(0, 0, Segments.staged(1, 100), 0, 1);
            Segments.publish(segment, 1);
        }

        /** The writer's operation: overwrite slot 0 with generation 1, then publish write sequence 2. */
        void overwrite()
        {
            ring.write(0, 1, next, 0, 1);
            Segments.publish(segment, 2);
        }

        void copy(final long generation, final JJJJ_Result r)
        {
            r.r1 = generation;
            if (ring.copyOut(0, generation, copy, 0))
            {
                r.r2 = 1;
                r.r3 = Segments.payload(copy, 0, 0);
                r.r4 = Segments.payload(copy, 0, Segments.PAYLOAD_LONGS - 1);
            }
            else
            {
                r.r2 = 0;
                r.r3 = -1;
                r.r4 = -1;
            }
        }
    }

    /**
     * The samplers' path ({@link RecordRing#copyPublished}): whatever generation the slot holds, if it is below the
     * write sequence the sampler acquired, copied under the sequence lock.
     */
    @JCStressTest
    @Outcome(id = "1, 0, 100, 107", expect = ACCEPTABLE, desc = "The old record, copied whole before the overwrite.")
    @Outcome(id = "2, 1, 200, 207", expect = ACCEPTABLE, desc = "The new record, copied whole after publication.")
    @Outcome(id = "1, -1, -1, -1", expect = ACCEPTABLE_INTERESTING,
        desc = "Busy, rewritten during the copy, or newer than the write sequence read: refused, drawn again.")
    @Outcome(expect = FORBIDDEN, desc = "A torn copy kept, an unpublished record taken, or a published one refused.")
    @State
    public static class Sample extends OneSlot
    {
        /** The writer: overwrite slot 0 with generation 1, then publish. */
        @Actor
        public void writer()
        {
            overwrite();
        }

        /** A sampler: acquire the write sequence, then the guarded copy of slot 0. */
        @Actor
        public void sampler(final JJJJ_Result r)
        {
            final long published = Segments.acquirePublished(segment);
            final long generation = ring.copyPublished(0, published, copy, 0);
            r.r1 = published;
            r.r2 = generation;
            r.r3 = RecordRing.NONE == generation ? -1 : Segments.payload(copy, 0, 0);
            r.r4 = RecordRing.NONE == generation ? -1 : Segments.payload(copy, 0, Segments.PAYLOAD_LONGS - 1);
        }
    }

    /**
     * {@link RecordRing#copyOut} for a reader that takes the generation from the commit word and then insists on it
     * (as a learner re-reading a slot it sampled would); the engine's {@code fetch} now reads through
     * {@link RecordRing#copyPublished}, which {@link Sample} covers.
     */
    @JCStressTest
    @Outcome(id = "0, 1, 100, 107", expect = ACCEPTABLE, desc = "The old record, copied whole.")
    @Outcome(id = "1, 1, 200, 207", expect = ACCEPTABLE, desc = "The new record, copied whole.")
    @Outcome(id = "-1, 0, -1, -1", expect = ACCEPTABLE_INTERESTING,
        desc = "The slot was busy when read: fetch waits and tries again.")
    @Outcome(id = "0, 0, -1, -1", expect = ACCEPTABLE_INTERESTING,
        desc = "The overwrite began during the copy: refused, fetch tries again.")
    @Outcome(expect = FORBIDDEN, desc = "A torn copy kept.")
    @State
    public static class Fetch extends OneSlot
    {
        /** The writer: overwrite slot 0 with generation 1, then publish. */
        @Actor
        public void writer()
        {
            overwrite();
        }

        /** A reader: the commit word's generation, then the guarded copy. */
        @Actor
        public void reader(final JJJJ_Result r)
        {
            final long generation = ring.commitWordAcquire(0);
            if (RecordDescriptor.BUSY == generation)
            {
                r.r1 = -1;
                r.r2 = 0;
                r.r3 = -1;
                r.r4 = -1;
                return;
            }
            copy(generation, r);
        }
    }

    /**
     * Two-slot ring holding generations 0 and 1, published; the writer overwrites both in one run, the path every
     * message of two or more rows takes in {@link RecordRing#write}: both busy marks, one fence, one bulk copy, then a
     * release per record.
     */
    abstract static class TwoSlots
    {
        final MemorySegment segment = Segments.ringSegment(2);
        final RecordRing ring = Segments.ring(segment, 2);
        final MemorySegment next = Segments.staged(2, 200);
        final MemorySegment copy = Segments.allocate(Segments.RECORD_LENGTH);

        TwoSlots()
        {
            ring.write(0, 0, Segments.staged(2, 100), 0, 2);
            Segments.publish(segment, 2);
        }

        /** The writer's operation: overwrite slots 0 and 1 with generations 2 and 3 in one run, then publish 4. */
        void overwrite()
        {
            ring.write(0, 2, next, 0, 2);
            Segments.publish(segment, 4);
        }
    }

    /**
     * The samplers' path on the second record of a multi-row run (released last).
     */
    @JCStressTest
    @Outcome(id = "2, 1, 110, 117", expect = ACCEPTABLE, desc = "The old record, copied whole before the overwrite.")
    @Outcome(id = "4, 3, 210, 217", expect = ACCEPTABLE, desc = "The new record, copied whole after publication.")
    @Outcome(id = "2, -1, -1, -1", expect = ACCEPTABLE_INTERESTING,
        desc = "Busy, rewritten during the copy, or newer than the write sequence read: refused, drawn again.")
    @Outcome(expect = FORBIDDEN,
        desc = "A torn copy kept, an unpublished record taken, or a record refused after its run was published.")
    @State
    public static class SampleRun extends TwoSlots
    {
        /** The writer: overwrite both slots in one run, then publish. */
        @Actor
        public void writer()
        {
            overwrite();
        }

        /** A sampler: acquire the write sequence, then the guarded copy of slot 1. */
        @Actor
        public void sampler(final JJJJ_Result r)
        {
            final long published = Segments.acquirePublished(segment);
            final long generation = ring.copyPublished(1, published, copy, 0);
            r.r1 = published;
            r.r2 = generation;
            r.r3 = RecordRing.NONE == generation ? -1 : Segments.payload(copy, 0, 0);
            r.r4 = RecordRing.NONE == generation ? -1 : Segments.payload(copy, 0, Segments.PAYLOAD_LONGS - 1);
        }
    }
}
