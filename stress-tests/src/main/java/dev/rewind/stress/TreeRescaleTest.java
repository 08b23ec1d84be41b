package dev.rewind.stress;

import dev.rewind.engine.internal.PriorityTrees;
import dev.rewind.kernels.Kernels;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJJ_Result;

import java.lang.foreign.MemorySegment;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The sequence lock of a rescale: the writer sets a mass too large for the trees' unit, which moves every leaf to a
 * smaller exponent (each leaf's units shifted right, the unit doubled as often) while a learner reads two leaves and
 * the unit between {@link PriorityTrees#readBegin()} and {@link PriorityTrees#readValid(long)}. A read that the lock
 * validates never mixes the units: both masses come out right. A read it rejects may mix them, and the learner reads
 * again ({@code ConcurrentReplayBuffer.drawPrioritized}).
 *
 * <p>The trees: capacity 8, fan-out 2, leaves 0 and 1 at masses 1 and 3 (exponent 54: 1 is {@code 2^54} units).
 * The writer sets leaf 2 to 1,000, beyond the leaf limit of {@code 2^59} units: exponent 45, every leaf shifted by 9.
 * Results: whether the read validated, then the two masses in hundredths as read.
 */
@JCStressTest
@Outcome(id = "1, 100, 300", expect = ACCEPTABLE, desc = "A validated read: one unit, before or after the rescale.")
@Outcome(id = "0, .*", expect = ACCEPTABLE_INTERESTING,
    desc = "The rescale ran during the read: rejected, whatever it saw (perhaps mixed units); the learner reads again.")
@Outcome(expect = FORBIDDEN, desc = "A validated read with mixed units.")
@State
public class TreeRescaleTest
{
    static final int CAPACITY = 8;
    static final int FANOUT = 2;

    final MemorySegment segment = Segments.allocate(PriorityTrees.regionLength(CAPACITY, FANOUT));
    final PriorityTrees trees = new PriorityTrees(segment, 0, CAPACITY, FANOUT, Kernels.best());

    /** Leaves 0 and 1 at masses 1 and 3. */
    public TreeRescaleTest()
    {
        trees.clear();
        trees.set(0, 1.0);
        trees.set(1, 3.0);
    }

    /** The writer: a mass beyond the leaf limit rescales the trees. */
    @Actor
    public void writer()
    {
        trees.set(2, 1000.0);
    }

    /** A learner's read of two leaves in one unit. */
    @Actor
    public void learner(final JJJ_Result r)
    {
        final long begun = trees.readBegin();
        final long first = trees.leafUnits(0);
        final long second = trees.leafUnits(1);
        final double unit = trees.unit();
        r.r1 = trees.readValid(begun) ? 1 : 0;
        r.r2 = hundredths(first * unit);
        r.r3 = hundredths(second * unit);
    }

    /**
     * Hundredths of a mass; one read in the wrong unit is 2^9 times too small or too large.
     */
    private static long hundredths(final double mass)
    {
        return Math.round(mass * 100);
    }
}
