package dev.rewind.engine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * What a {@link SampleBatch} needs when a {@link ConcurrentReplay} learner fills it: its own copy of every sampled
 * record (native memory, so views behave like the mapped ones), the row numbers that address the copies, and
 * one-target scratch for redraws. Created once per batch, on its first concurrent sample.
 */
final class ConcurrentScratch
{
    final MemorySegment copies;
    final int[] rowNumbers;
    final long[] target = new long[1];
    final int[] leaf = new int[1];
    final long[] units = new long[1];
    /** The reference mass of the importance weights of the last prioritized draw. */
    double reference;

    ConcurrentScratch(final int capacity, final int recordLength)
    {
        this.copies = Arena.ofAuto().allocate((long)capacity * recordLength, 64);
        this.rowNumbers = new int[capacity];
        for (int i = 0; i < capacity; i++)
        {
            rowNumbers[i] = i;
        }
    }
}
