package dev.rewind.engine;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PriorityReadBackTest
{
    private static final Schema SCHEMA = Schema.builder().float32("obs", 2).int32("action").build();

    private static void fill(final ReplayBuffer buffer, final int count)
    {
        final Transitions t = buffer.newTransitions(1);
        for (int i = 0; i < count; i++)
        {
            t.clear().beginRow().put(SCHEMA.field("obs"), new float[]{i, -i}).putInt(SCHEMA.field("action"), i % 2);
            buffer.add(t);
        }
    }

    @Test
    void shouldReadBackPerPrioritiesAndTheRunningMaximumForUnupdatedSlots()
    {
        try (ReplayBuffer buffer = ReplayBuffer.builder().schema(SCHEMA).capacity(8).prioritized(0.6, 1e-4).build())
        {
            fill(buffer, 6);
            assertEquals(1.0 - 1e-4, buffer.priority(5), 1e-12);
            final double[] priorities = {0.5, 2.0, 0.0};
            buffer.updatePriorities(new int[]{0, 1, 2}, new long[]{0, 1, 2}, priorities, 3);
            for (int i = 0; i < 3; i++)
            {
                assertEquals(priorities[i], buffer.priority(i), 1e-12 * (1 + priorities[i]));
            }
            // The running maximum is now (2 + eps)^alpha: a slot never updated reads as 2.
            fill(buffer, 1);
            assertEquals(2.0, buffer.priority(6), 1e-12);
        }
    }

    @Test
    void shouldReadLapPrioritiesBelowTheFloorAsTheFloor()
    {
        try (ReplayBuffer buffer = ReplayBuffer.builder().schema(SCHEMA).capacity(4).lapPrioritized(0.4, 1.0).build())
        {
            fill(buffer, 2);
            buffer.updatePriorities(new int[]{0, 1}, new long[]{0, 1}, new double[]{0.25, 3.0}, 2);
            assertEquals(1.0, buffer.priority(0), 1e-12);
            assertEquals(3.0, buffer.priority(1), 1e-12);
        }
    }

    @Test
    void shouldRefuseWhatCannotBeRead()
    {
        try (ReplayBuffer uniform = ReplayBuffer.builder().schema(SCHEMA).capacity(4).build();
            ReplayBuffer flat = ReplayBuffer.builder().schema(SCHEMA).capacity(4).prioritized(0.0, 1e-4).build();
            ReplayBuffer per = ReplayBuffer.builder().schema(SCHEMA).capacity(4).prioritized().build())
        {
            fill(uniform, 1);
            fill(flat, 1);
            fill(per, 2);
            assertThrows(IllegalStateException.class, () -> uniform.priority(0));
            assertThrows(IllegalStateException.class, () -> flat.priority(0));
            assertThrows(IndexOutOfBoundsException.class, () -> per.priority(2));
            assertThrows(IndexOutOfBoundsException.class, () -> per.priority(-1));
        }
    }
}
