package dev.rewind.stress;

import dev.rewind.engine.internal.RecordRing;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJJJ_Result;

import java.lang.foreign.MemorySegment;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Record publication: the writer commits records ({@link RecordRing#write}: busy marks, payload, release of each
 * generation) and then release-stores the write sequence; a sampler acquires the write sequence and copies a record
 * it covers ({@link RecordRing#copyPublished}, the samplers' read). Results: write sequence read, generation
 * copied, first and last payload word. A sampler that sees a record published sees all of its payload.
 *
 * <p>Observed with {@code -m quick}, 98 runs of all tests, 2 cores (command in docs/CONCURRENCY.md):
 * <pre>
 * SingleRecord      RESULT    SAMPLES     FREQ      EXPECT
 *            0, -1, -1, -1  5,466,686   50.16%  Acceptable
 *           1, 0, 100, 107  5,430,988   49.84%  Acceptable
 * Run               RESULT    SAMPLES     FREQ      EXPECT
 *            0, -1, -1, -1  5,426,865   49.66%  Acceptable
 *           2, 1, 110, 117  5,501,529   50.34%  Acceptable
 * </pre>
 */
public final class RecordPublicationTest
{
    private RecordPublicationTest()
    {
    }

    /** One record appended into an empty ring and published. */
    @JCStressTest
    @Outcome(id = "0, -1, -1, -1", expect = ACCEPTABLE, desc = "Nothing published yet: the sampler reads nothing.")
    @Outcome(id = "1, 0, 100, 107", expect = ACCEPTABLE, desc = "Published: the whole record is seen and copied.")
    @Outcome(expect = FORBIDDEN, desc = "A published record seen incomplete, or its copy refused.")
    @State
    public static class SingleRecord
    {
        final MemorySegment segment = Segments.ringSegment(2);
        final RecordRing ring = Segments.ring(segment, 2);
        final MemorySegment staged = Segments.staged(1, 100);
        final MemorySegment copy = Segments.allocate(Segments.RECORD_LENGTH);

        /** The writer: append generation 0 into slot 0, then publish write sequence 1. */
        @Actor
        public void writer()
        {
            ring.write(0, 0, staged, 0, 1);
            Segments.publish(segment, 1);
        }

        /** A sampler: acquire the write sequence; if it covers slot 0, copy the record under its sequence lock. */
        @Actor
        public void sampler(final JJJJ_Result r)
        {
            final long published = Segments.acquirePublished(segment);
            if (0 == published)
            {
                r.r1 = 0;
                r.r2 = -1;
                r.r3 = -1;
                r.r4 = -1;
                return;
            }
            r.r1 = published;
            r.r2 = ring.copyPublished(0, published, copy, 0);
            r.r3 = Segments.payload(copy, 0, 0);
            r.r4 = Segments.payload(copy, 0, Segments.PAYLOAD_LONGS - 1);
        }
    }

    /** Two records appended in one run and published together; the sampler reads the second. */
    @JCStressTest
    @Outcome(id = "0, -1, -1, -1", expect = ACCEPTABLE, desc = "Nothing published yet: the sampler reads nothing.")
    @Outcome(id = "2, 1, 110, 117", expect = ACCEPTABLE, desc = "Published: the second record is seen whole.")
    @Outcome(expect = FORBIDDEN, desc = "A published record seen incomplete, or its copy refused.")
    @State
    public static class Run
    {
        final MemorySegment segment = Segments.ringSegment(2);
        final RecordRing ring = Segments.ring(segment, 2);
        final MemorySegment staged = Segments.staged(2, 100);
        final MemorySegment copy = Segments.allocate(Segments.RECORD_LENGTH);

        /** The writer: append generations 0 and 1 into slots 0 and 1, then publish write sequence 2. */
        @Actor
        public void writer()
        {
            ring.write(0, 0, staged, 0, 2);
            Segments.publish(segment, 2);
        }

        /** A sampler: acquire the write sequence; if it covers slot 1, copy that record. */
        @Actor
        public void sampler(final JJJJ_Result r)
        {
            final long published = Segments.acquirePublished(segment);
            if (published < 2)
            {
                r.r1 = published;
                r.r2 = -1;
                r.r3 = -1;
                r.r4 = -1;
                return;
            }
            r.r1 = published;
            r.r2 = ring.copyPublished(1, published, copy, 0);
            r.r3 = Segments.payload(copy, 0, 0);
            r.r4 = Segments.payload(copy, 0, Segments.PAYLOAD_LONGS - 1);
        }
    }
}
