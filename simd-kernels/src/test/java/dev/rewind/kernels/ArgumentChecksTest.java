package dev.rewind.kernels;

import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Both kernels reject bad arguments with an {@link IllegalArgumentException} that names the bad value.
 */
class ArgumentChecksTest
{
    static Stream<Kernels> kernels()
    {
        return Stream.of(Fixtures.SCALAR, Fixtures.VECTOR);
    }

    private static void assertRejected(final Executable call, final String expectedInMessage)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, call);
        assertTrue(ex.getMessage().contains(expectedInMessage),
            "message '" + ex.getMessage() + "' should contain '" + expectedInMessage + "'");
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void shouldRejectBadTransformArguments(final Kernels kernels)
    {
        final double[] d = new double[8];
        final double[] out = new double[8];
        assertRejected(() -> kernels.perPriority(d, 0, out, 0, 8, -0.5, 0.0), "alpha=-0.5");
        assertRejected(() -> kernels.perPriority(d, 0, out, 0, 8, Double.NaN, 0.0), "alpha=NaN");
        assertRejected(() -> kernels.perPriority(d, 0, out, 0, 8, 0.6, -1e-6), "eps=-1.0E-6");
        assertRejected(() -> kernels.perPriority(d, 1, out, 0, 8, 0.6, 0.0), "dOff=1 n=8 d.length=8");
        assertRejected(() -> kernels.perPriority(d, 0, out, 0, -1, 0.6, 0.0), "n=-1");
        assertRejected(() -> kernels.lapPriority(d, 0, out, 0, 8, 0.4, 0.0), "kappa=0.0");
        assertRejected(() -> kernels.lapPriority(d, 0, out, 0, 8, 0.4, Double.POSITIVE_INFINITY), "kappa=Infinity");
        assertRejected(() -> kernels.importanceWeights(d, out, 8, 0.0, 0.4), "refMass=0.0");
        assertRejected(() -> kernels.importanceWeights(d, out, 8, 1.0, -0.1), "beta=-0.1");
        assertRejected(() -> kernels.importanceWeights(d, out, 9, 1.0, 0.4), "needed=9");
        assertRejected(() -> kernels.sequencePriorities(d, 0, 2, 4, 1.5, out, 0), "eta=1.5");
        assertRejected(() -> kernels.sequencePriorities(d, 0, 2, 0, 0.9, out, 0), "length=0");
        assertRejected(() -> kernels.valueRescale(new float[4], 0, new float[4], 0, 4, -1e-3f), "eps=");
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void shouldRejectBadReductionArguments(final Kernels kernels)
    {
        assertRejected(() -> kernels.min(new double[4], 0), "n=0");
        assertRejected(() -> kernels.max(new double[4], 5), "needed=5");
        assertRejected(() -> kernels.sum(new double[4], -2), "needed=-2");
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment segment = arena.allocate(64);
            assertRejected(() -> kernels.min(segment, 0, 0), "n=0");
            assertRejected(() -> kernels.sum(segment, 0, -1), "n=-1");
            assertThrows(IndexOutOfBoundsException.class, () -> kernels.sum(segment, 0, 9));
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void shouldRejectBadFixedPointTreeArguments(final Kernels kernels)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment segment = arena.allocate(1024);
            final long[] offsets = {0, 64};
            for (final int fanout : new int[] {3, 1, 128, 0, -8, 6})
            {
                assertRejected(() -> kernels.descendFixedPoint(segment, offsets, fanout, new long[1], 1, new int[1],
                    new long[1]), "fanout=" + fanout);
                assertRejected(() -> kernels.addToPrefixes(segment, 64, fanout, 8, new int[] {0}, new long[] {1}, 1),
                    "fanout=" + fanout);
            }
            assertRejected(() -> kernels.descendFixedPoint(segment, new long[] {0}, 8, new long[1], 1, new int[1],
                new long[1]), "levelOffsets.length=1");
            assertRejected(() -> kernels.descendFixedPoint(segment, new long[0], 8, new long[1], 1, new int[1],
                new long[1]), "levelOffsets.length=0");
            assertRejected(() -> kernels.descendFixedPoint(segment, offsets, 8, new long[1], 2, new int[2],
                new long[2]), "targets.length=1 needed=2");
            assertRejected(() -> kernels.descendFixedPoint(segment, offsets, 8, new long[2], 2, new int[1],
                new long[2]), "outLeaf.length=1 needed=2");
            assertRejected(() -> kernels.descendFixedPoint(segment, offsets, 8, new long[2], 2, new int[2],
                new long[1]), "outMass.length=1 needed=2");
            assertRejected(() -> kernels.descendFixedPoint(segment, offsets, 8, new long[2], -1, new int[2],
                new long[2]), "needed=-1");
            // A negative target is named with its index, and nothing is written before the check fails.
            final int[] leaf = {-7, -7, -7};
            final long[] mass = {-7, -7, -7};
            assertRejected(() -> kernels.descendFixedPoint(segment, offsets, 8, new long[] {0, 3, -5}, 3, leaf, mass),
                "targets[2]=-5");
            assertArrayEquals(new int[] {-7, -7, -7}, leaf);
            assertArrayEquals(new long[] {-7, -7, -7}, mass);
            assertRejected(() -> kernels.descendFixedPoint(segment, offsets, 8, new long[] {Long.MIN_VALUE}, 1,
                new int[1], new long[1]), "targets[0]=-9223372036854775808");
            // A node outside [0, existing).
            assertRejected(() -> kernels.addToPrefixes(segment, 64, 8, 5, new int[] {-1}, new long[] {1}, 1),
                "nodes[0]=-1");
            assertRejected(() -> kernels.addToPrefixes(segment, 64, 8, 5, new int[] {0, 5}, new long[] {1, 1}, 2),
                "nodes[1]=5");
            assertRejected(() -> kernels.addToPrefixes(segment, 64, 8, 0, new int[] {0}, new long[] {1}, 1),
                "nodes[0]=0");
            assertRejected(() -> kernels.addToPrefixes(segment, 64, 8, 5, new int[] {0}, new long[] {1, 1}, 2),
                "nodes.length=1 needed=2");
            assertRejected(() -> kernels.addToPrefixes(segment, 64, 8, 5, new int[] {0, 1}, new long[] {1}, 2),
                "deltas.length=1 needed=2");
            assertRejected(() -> kernels.addToPrefixes(segment, 64, 8, 5, new int[1], new long[1], -1),
                "needed=-1");
            assertThrows(IndexOutOfBoundsException.class,
                () -> kernels.addToPrefixes(segment, 1016, 8, 8, new int[] {0}, new long[] {1}, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> kernels.descendFixedPoint(segment,
                new long[] {0, 1020}, 8, new long[1], 1, new int[1], new long[1]));
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void shouldRejectBadLearnerArguments(final Kernels kernels)
    {
        final float[] x = new float[16];
        assertRejected(() -> kernels.denseForward(x, 4, 4, new float[15], 0, new float[4], 0, 4,
            Activation.RELU, new float[16]), "w.length=15");
        assertRejected(() -> kernels.denseForward(x, 4, 0, new float[16], 0, new float[4], 0, 4,
            Activation.RELU, new float[16]), "in=0");
        assertRejected(() -> kernels.adamStep(x, x, x, x, 16, 1e-3f, 1.0f, 0.999f, 1e-8f, 1), "beta1=1.0");
        assertRejected(() -> kernels.adamStep(x, x, x, x, 16, 1e-3f, 0.9f, 0.999f, 1e-8f, 0), "step=0");
        assertRejected(() -> kernels.adamStep(x, x, x, x, 16, -1e-3f, 0.9f, 0.999f, 1e-8f, 1), "learningRate=");
        assertRejected(() -> kernels.huberLoss(x, x, null, 16, 0.0f, null), "kappa=0.0");
        assertRejected(() -> kernels.argmaxRows(x, 5, 4, new int[5]), "x.length=16 needed=20");
        assertRejected(() -> kernels.confusion(new double[6], 2, 0, new double[2]), "clusters=0");
        assertRejected(() -> kernels.confusionContributionLoss(new double[6], 2, 3, Double.NaN, 1.0,
            new double[2], new double[3], null), "k1=NaN");
        assertRejected(() -> kernels.standardise(x, 5, 4, new float[4], new float[4], new float[20]),
            "x.length=16 needed=20");
    }
}
