package dev.rewind.jmh.engine;

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
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * What the machine charges for the memory traffic of a priority update: 256 independent 8-byte loads at random
 * cache lines of a region, the pattern of one batch's leaves, in a memory-mapped file (as the engine's trees) and in
 * an on-heap {@code long[]} of the same size. The loads do not depend on each other, so the core overlaps as many
 * misses as it can; the time per load is the floor under any structure that must touch that many random lines of a
 * region that large. Sizes span the 8 MiB of leaves at 2^20 slots.
 *
 * <p>Run: {@code java -jar jmh/target/benchmarks.jar RandomLoadBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx4g"})
@State(Scope.Benchmark)
public class RandomLoadBenchmark
{
    static final int LOADS = 256;
    static final int ROUNDS = 4096;

    /** Region size in MiB. */
    @Param({"1", "4", "8", "16", "64"})
    public int mebibytes;

    private Path file;
    private Arena arena;
    private MemorySegment mapped;
    private long[] heap;
    private long[][] lineOffsets;
    private int round;

    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        final long bytes = (long)mebibytes << 20;
        file = Files.createTempFile("rewind-random-load-", ".bin");
        arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
        }
        heap = new long[(int)(bytes / Long.BYTES)];
        for (long at = 0; at < bytes; at += Long.BYTES)
        {
            mapped.set(ValueLayout.JAVA_LONG, at, at);
            heap[(int)(at / Long.BYTES)] = at;
        }
        final SplittableRandom rng = new SplittableRandom(7);
        lineOffsets = new long[ROUNDS][LOADS];
        for (final long[] offsets : lineOffsets)
        {
            for (int i = 0; i < LOADS; i++)
            {
                offsets[i] = rng.nextLong(bytes / 64) * 64;
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        arena.close();
        Files.deleteIfExists(file);
    }

    /** 256 random loads from the mapped file. */
    @Benchmark
    public long mappedLoads256()
    {
        final long[] offsets = lineOffsets[round++ & (ROUNDS - 1)];
        final MemorySegment segment = mapped;
        long sink = 0;
        for (int i = 0; i < LOADS; i++)
        {
            sink ^= segment.get(ValueLayout.JAVA_LONG, offsets[i]);
        }
        return sink;
    }

    /** Baseline: 256 random loads from an on-heap array. */
    @Benchmark
    public long heapLoads256()
    {
        final long[] offsets = lineOffsets[round++ & (ROUNDS - 1)];
        final long[] array = heap;
        long sink = 0;
        for (int i = 0; i < LOADS; i++)
        {
            sink ^= array[(int)(offsets[i] >>> 3)];
        }
        return sink;
    }
}
