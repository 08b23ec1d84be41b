package dev.rewind.engine.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

abstract class PaddedCounterLhsPad
{
    byte p000, p001, p002, p003, p004, p005, p006, p007, p008, p009, p010, p011, p012, p013, p014, p015;
    byte p016, p017, p018, p019, p020, p021, p022, p023, p024, p025, p026, p027, p028, p029, p030, p031;
    byte p032, p033, p034, p035, p036, p037, p038, p039, p040, p041, p042, p043, p044, p045, p046, p047;
    byte p048, p049, p050, p051, p052, p053, p054, p055, p056, p057, p058, p059, p060, p061, p062, p063;
}

abstract class PaddedCounterValue extends PaddedCounterLhsPad
{
    long value;
}

abstract class PaddedCounterRhsPad extends PaddedCounterValue
{
    byte p064, p065, p066, p067, p068, p069, p070, p071, p072, p073, p074, p075, p076, p077, p078, p079;
    byte p080, p081, p082, p083, p084, p085, p086, p087, p088, p089, p090, p091, p092, p093, p094, p095;
    byte p096, p097, p098, p099, p100, p101, p102, p103, p104, p105, p106, p107, p108, p109, p110, p111;
    byte p112, p113, p114, p115, p116, p117, p118, p119, p120, p121, p122, p123, p124, p125, p126, p127;
}

/**
 * A {@code long} on a cache line of its own (64 bytes of padding on each side, so neither neighbour nor the
 * adjacent-line prefetcher shares it), with the memory order in every accessor's name. Producers, learners and the
 * writer each count on separate instances, so counting never makes another thread's line bounce.
 */
public final class PaddedCounter extends PaddedCounterRhsPad
{
    private static final VarHandle VALUE;

    static
    {
        try
        {
            VALUE = MethodHandles.lookup().findVarHandle(PaddedCounterValue.class, "value", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /**
     * A counter at 0.
     */
    public PaddedCounter()
    {
    }

    /**
     * Plain read, for the one thread that owns the counter.
     *
     * @return the value.
     */
    public long get()
    {
        return value;
    }

    /**
     * Acquire read.
     *
     * @return the value.
     */
    public long getAcquire()
    {
        return (long)VALUE.getAcquire(this);
    }

    /**
     * Volatile read.
     *
     * @return the value.
     */
    public long getVolatile()
    {
        return (long)VALUE.getVolatile(this);
    }

    /**
     * Release store, for the one thread that owns the counter.
     *
     * @param newValue the value.
     */
    public void setRelease(final long newValue)
    {
        VALUE.setRelease(this, newValue);
    }

    /**
     * Atomic add, for counters shared by several threads.
     *
     * @param delta the increment.
     * @return the value before the add.
     */
    public long getAndAddVolatile(final long delta)
    {
        return (long)VALUE.getAndAdd(this, delta);
    }

    /**
     * Atomic compare-and-set.
     *
     * @param expected the value expected.
     * @param newValue the value to store.
     * @return true if the counter held {@code expected} and now holds {@code newValue}.
     */
    public boolean compareAndSetVolatile(final long expected, final long newValue)
    {
        return VALUE.compareAndSet(this, expected, newValue);
    }

    @Override
    public String toString()
    {
        return Long.toString(getVolatile());
    }
}
