package dev.rewind.jmh.engine;

import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import net.openhft.chronicle.bytes.MappedBytes;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Memory-mapped access as the engine does it, through FFM ({@code java.lang.foreign}, what Rewind uses), beside
 * Chronicle Bytes ({@code MappedBytes}, the baseline) on a file of the same size, in the same class: the accesses of
 * the engine's hot paths.
 * <ul>
 *     <li>{@code randomLoads256}: 256 independent 8-byte loads at random cache lines, the pattern of a batch's tree
 *     leaves;</li>
 *     <li>{@code groupSteps256}: 256 steps of a tree descent, each choosing the child of a random 64-byte group of 8
 *     prefix sums whose prefix first exceeds a target: FFM loads the group as one vector and compares it at once;
 *     Chronicle Bytes has no vector access, so it reads the 8 longs (and so does {@code ffmScalarGroupSteps256}, to
 *     tell the vector's share from the library's);</li>
 *     <li>{@code appendRecord}: a 64-byte record copied from the heap into the next slot of a ring, then its commit
 *     word release-stored (the record protocol of {@code RecordRing}).</li>
 * </ul>
 * Chronicle Bytes needs the flags of {@code @Fork} below on JDK 25 (docs/DECISIONS.md).
 *
 * <p>Run: {@code java -jar jmh/target/benchmarks.jar MappedMemoryBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
    "-Dchronicle.analytics.disable=true", "-Xms1g", "-Xmx2g"})
@State(Scope.Benchmark)
public class MappedMemoryBenchmark
{
    private static final int OPS = 256;
    private static final int ROUNDS = 4096;
    private static final int RECORD = 64;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle COMMIT = ValueLayout.JAVA_LONG.varHandle();
    private static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;

    /** Region size in MiB; 8 is the leaf level of a 2^20-slot tree. */
    @Param({"8"})
    public int mebibytes;

    private Path ffmFile;
    private Path chronicleFile;
    private Arena arena;
    private MemorySegment segment;
    private MappedBytes bytes;
    /** Per round: 256 line offsets, and a target within each line's group. */
    private long[][] lines;
    private long[][] targets;
    private final byte[] record = new byte[RECORD];
    private long slots;
    private long nextSlot;
    private int round;

    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        final long length = (long)mebibytes << 20;
        ffmFile = Files.createTempFile("rewind-ffm-", ".bin");
        chronicleFile = Files.createTempFile("rewind-chronicle-", ".bin");
        arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(ffmFile, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            segment = channel.map(FileChannel.MapMode.READ_WRITE, 0, length, arena);
        }
        bytes = MappedBytes.singleMappedBytes(chronicleFile.toFile(), length);
        // Every group of 8 longs holds rising prefix sums 1..8 x 100, the same in both files.
        for (long at = 0; at < length; at += Long.BYTES)
        {
            final long value = (at / Long.BYTES % 8 + 1) * 100;
            segment.set(LONG, at, value);
            bytes.writeLong(at, value);
        }
        final SplittableRandom rng = new SplittableRandom(11);
        lines = new long[ROUNDS][OPS];
        targets = new long[ROUNDS][OPS];
        for (int r = 0; r < ROUNDS; r++)
        {
            for (int i = 0; i < OPS; i++)
            {
                lines[r][i] = rng.nextLong(length / 64) * 64;
                targets[r][i] = rng.nextLong(800);
            }
        }
        rng.nextBytes(record);
        slots = length / RECORD;
        // Both sides must agree before anything is timed.
        for (int r = 0; r < 8; r++)
        {
            round = r;
            final long ffm = ffmGroupSteps256();
            round = r;
            final long chronicle = chronicleGroupSteps256();
            round = r;
            final long scalar = ffmScalarGroupSteps256();
            if (ffm != chronicle || ffm != scalar)
            {
                throw new IllegalStateException("group steps disagree: ffm=" + ffm + " chronicle=" + chronicle +
                    " ffm scalar=" + scalar);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        arena.close();
        bytes.releaseLast();
        Files.deleteIfExists(ffmFile);
        Files.deleteIfExists(chronicleFile);
    }

    /** FFM: 256 random loads. */
    @Benchmark
    public long ffmRandomLoads256()
    {
        final long[] offsets = lines[round++ & (ROUNDS - 1)];
        final MemorySegment s = segment;
        long sink = 0;
        for (int i = 0; i < OPS; i++)
        {
            sink ^= s.get(LONG, offsets[i]);
        }
        return sink;
    }

    /** Chronicle Bytes: 256 random loads. */
    @Benchmark
    public long chronicleRandomLoads256()
    {
        final long[] offsets = lines[round++ & (ROUNDS - 1)];
        final MappedBytes b = bytes;
        long sink = 0;
        for (int i = 0; i < OPS; i++)
        {
            sink ^= b.readLong(offsets[i]);
        }
        return sink;
    }

    /** FFM: 256 descent steps, one vector compare each. */
    @Benchmark
    public long ffmGroupSteps256()
    {
        final int r = round++ & (ROUNDS - 1);
        final long[] offsets = lines[r];
        final long[] wanted = targets[r];
        final MemorySegment s = segment;
        long chosen = 0;
        for (int i = 0; i < OPS; i++)
        {
            long above = 0;
            for (int base = 0; base < 8; base += L.length())
            {
                above |= LongVector.fromMemorySegment(L, s, offsets[i] + ((long)base << 3), ByteOrder.LITTLE_ENDIAN)
                    .compare(VectorOperators.GT, wanted[i]).toLong() << base;
            }
            chosen += Long.numberOfTrailingZeros(above);
        }
        return chosen;
    }

    /** Chronicle Bytes: 256 descent steps, eight loads and compares each. */
    @Benchmark
    public long chronicleGroupSteps256()
    {
        final int r = round++ & (ROUNDS - 1);
        final long[] offsets = lines[r];
        final long[] wanted = targets[r];
        final MappedBytes b = bytes;
        long chosen = 0;
        for (int i = 0; i < OPS; i++)
        {
            final long group = offsets[i];
            final long target = wanted[i];
            // Count the prefixes at or below the target (they rise): the first child above it. Branch-free: the
            // sign of target - prefix (no overflow at these values).
            int child = 0;
            for (int c = 0; c < 8; c++)
            {
                child += 1 - (int)((target - b.readLong(group + ((long)c << 3))) >>> 63);
            }
            chosen += child == 8 ? 64 : child;
        }
        return chosen;
    }

    /** FFM read the way Chronicle Bytes must be: the same eight scalar loads per step, to separate the two causes. */
    @Benchmark
    public long ffmScalarGroupSteps256()
    {
        final int r = round++ & (ROUNDS - 1);
        final long[] offsets = lines[r];
        final long[] wanted = targets[r];
        final MemorySegment s = segment;
        long chosen = 0;
        for (int i = 0; i < OPS; i++)
        {
            final long group = offsets[i];
            final long target = wanted[i];
            int child = 0;
            for (int c = 0; c < 8; c++)
            {
                child += 1 - (int)((target - s.get(LONG, group + ((long)c << 3))) >>> 63);
            }
            chosen += child == 8 ? 64 : child;
        }
        return chosen;
    }

    /** FFM: one record into the next slot, then its commit word released. */
    @Benchmark
    public long ffmAppendRecord()
    {
        final long slot = nextSlot;
        nextSlot = slot + 1 == slots ? 0 : slot + 1;
        final long at = slot * RECORD;
        MemorySegment.copy(record, 0, segment, ValueLayout.JAVA_BYTE, at + Long.BYTES, RECORD - Long.BYTES);
        COMMIT.setRelease(segment, at, slot);
        return slot;
    }

    /** Chronicle Bytes: one record into the next slot, then its commit word written ordered. */
    @Benchmark
    public long chronicleAppendRecord()
    {
        final long slot = nextSlot;
        nextSlot = slot + 1 == slots ? 0 : slot + 1;
        final long at = slot * RECORD;
        bytes.write(at + Long.BYTES, record, 0, RECORD - Long.BYTES);
        bytes.writeOrderedLong(at, slot);
        return slot;
    }
}
