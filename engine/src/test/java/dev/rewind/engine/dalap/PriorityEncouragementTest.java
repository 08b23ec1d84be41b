package dev.rewind.engine.dalap;

import dev.rewind.engine.Field;
import dev.rewind.engine.ReplayBuffer;
import dev.rewind.engine.Schema;
import dev.rewind.engine.Transitions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PriorityEncouragementTest
{
    private static final Schema SCHEMA = Schema.builder().float32("obs", 1).bool("done").build();
    private static final Field OBS = SCHEMA.field("obs");
    private static final Field DONE = SCHEMA.field("done");

    /** A buffer whose mass is its raw priority (alpha 1, eps 0), so that lifts read back exactly. */
    private static ReplayBuffer buffer(final int capacity)
    {
        return ReplayBuffer.builder().schema(SCHEMA).capacity(capacity).prioritized(1.0, 0.0).build();
    }

    /** Adds an episode of {@code length} transitions; returns the generation of its first one. */
    private static long episode(final ReplayBuffer buffer, final int length)
    {
        final Transitions t = buffer.newTransitions(1);
        long first = -1;
        for (int i = 0; i < length; i++)
        {
            t.clear().beginRow().put(OBS, new float[]{i}).putBool(DONE, i == length - 1);
            if (i == length - 1)
            {
                t.endEpisode();
            }
            final long generation = buffer.add(t);
            first = first < 0 ? generation : first;
        }
        return first;
    }

    /** Sets slot i's priority to 1 + i / 10 for every stored slot of generation {@code >= from}. */
    private static void distinctPriorities(final ReplayBuffer buffer)
    {
        final int size = buffer.size();
        final long written = buffer.writeSequence();
        final int[] indices = new int[size];
        final long[] generations = new long[size];
        final double[] priorities = new double[size];
        for (int k = 0; k < size; k++)
        {
            final long generation = written - size + k;
            indices[k] = (int)(generation % buffer.capacity());
            generations[k] = generation;
            priorities[k] = 1.0 + indices[k] / 10.0;
        }
        buffer.updatePriorities(indices, generations, priorities, size);
    }

    private static double[] priorities(final ReplayBuffer buffer)
    {
        final double[] p = new double[buffer.size()];
        for (int i = 0; i < p.length; i++)
        {
            p[i] = buffer.priority(i);
        }
        return p;
    }

    @Test
    void shouldComputeTheHorizon()
    {
        assertEquals(65, PriorityEncouragement.horizon(0.9, 1e-3));
        assertEquals(6, PriorityEncouragement.horizon(0.5, 0.01));
        assertEquals(1, PriorityEncouragement.horizon(0.01, 0.01));
        assertEquals(0, PriorityEncouragement.horizon(0.005, 0.01));
        assertEquals(3, PriorityEncouragement.horizon(0.1, 1e-3));
    }

    @Test
    void shouldLiftExactlyTheKTransitionsBeforeTheGoalByTheIntendedAmounts()
    {
        try (ReplayBuffer buffer = buffer(64))
        {
            episode(buffer, 10);
            final long first = episode(buffer, 12);
            episode(buffer, 5);
            distinctPriorities(buffer);
            final double[] before = priorities(buffer);
            // Goal at slot 21 (generation 21); rho 0.5, cutoff 0.01: K = 6, slots 15..20.
            final PriorityEncouragement pe = new PriorityEncouragement(buffer, 0.5, 1.0, 0.01, false);
            assertEquals(6, pe.episodeEnded(first, first + 11, true));
            final double[] after = priorities(buffer);
            final double goal = before[21];
            for (int slot = 0; slot < after.length; slot++)
            {
                final int k = 21 - slot;
                final double expected = k >= 1 && k <= 6 ? before[slot] + Math.pow(0.5, k) * goal : before[slot];
                assertEquals(expected, after[slot], 1e-12, "slot " + slot);
            }
            assertEquals(6, pe.lifted());
            assertEquals(1, pe.goals());
        }
    }

    @Test
    void shouldNeverLiftASlotOfAnotherEpisode()
    {
        try (ReplayBuffer buffer = buffer(64))
        {
            episode(buffer, 10);
            final long first = episode(buffer, 4);
            distinctPriorities(buffer);
            final double[] before = priorities(buffer);
            final PriorityEncouragement pe = new PriorityEncouragement(buffer, 0.9, 1.0, 1e-3, false);
            // K = 65, but the goal's episode has three transitions before the goal.
            assertEquals(3, pe.episodeEnded(first, first + 3, true));
            final double[] after = priorities(buffer);
            for (int slot = 0; slot < 10; slot++)
            {
                assertEquals(before[slot], after[slot], "slot " + slot + " belongs to the previous episode");
            }
            for (int slot = 10; slot < 13; slot++)
            {
                assertEquals(before[slot] + Math.pow(0.9, 13 - slot) * before[13], after[slot], 1e-12);
            }
            assertEquals(before[13], after[13], "the goal itself is not lifted");
        }
    }

    @Test
    void shouldStopAtThePreviousEpisodesEndMarkerWhenTheStartIsUnknown()
    {
        try (ReplayBuffer buffer = buffer(64))
        {
            episode(buffer, 10);
            episode(buffer, 4);
            distinctPriorities(buffer);
            final double[] before = priorities(buffer);
            final PriorityEncouragement pe = new PriorityEncouragement(buffer, 0.9, 1.0, 1e-3, false);
            assertEquals(3, pe.episodeEnded(-1, 13, true));
            final double[] after = priorities(buffer);
            for (int slot = 0; slot < 10; slot++)
            {
                assertEquals(before[slot], after[slot], "slot " + slot + " belongs to the previous episode");
            }
        }
    }

    @Test
    void shouldCapALiftAtTheGoalsPriority()
    {
        try (ReplayBuffer buffer = buffer(64))
        {
            final long first = episode(buffer, 4);
            buffer.updatePriorities(new int[]{0, 1, 2, 3}, new long[]{0, 1, 2, 3}, new double[]{5.0, 0.2, 1.5, 2.0},
                4);
            final PriorityEncouragement pe = new PriorityEncouragement(buffer, 0.9, 1.0, 1e-3, true);
            pe.episodeEnded(first, first + 3, true);
            assertEquals(2.0, buffer.priority(2), 1e-12, "1.5 + 0.9 * 2 capped at the goal's 2");
            assertEquals(0.2 + 0.81 * 2.0, buffer.priority(1), 1e-12, "below the cap");
            assertEquals(5.0, buffer.priority(0), 1e-12, "already above the goal: kept");
        }
    }

    @Test
    void shouldDecayTheCoefficientOverEpisodesAndCountEveryEpisode()
    {
        try (ReplayBuffer buffer = buffer(256))
        {
            final PriorityEncouragement pe = new PriorityEncouragement(buffer, 0.9, 0.5, 1e-3, false);
            assertEquals(0.9, pe.rho(), 1e-15);
            assertEquals(65, pe.horizon());
            final long a = episode(buffer, 5);
            assertEquals(0, pe.episodeEnded(a, a + 4, false));
            assertEquals(0.45, pe.rho(), 1e-15);
            assertEquals(PriorityEncouragement.horizon(0.45, 1e-3), pe.horizon());
            distinctPriorities(buffer);
            final long b = episode(buffer, 20);
            distinctPriorities(buffer);
            final double[] before = priorities(buffer);
            // rho_1 = 0.45: K = 8.
            assertEquals(8, pe.episodeEnded(b, b + 19, true));
            final double[] after = priorities(buffer);
            final int goal = (int)(b + 19);
            for (int k = 1; k <= 8; k++)
            {
                assertEquals(before[goal - k] + Math.pow(0.45, k) * before[goal], after[goal - k], 1e-12);
            }
            assertEquals(before[goal - 9], after[goal - 9]);
            assertEquals(2, pe.episodes());
        }
    }

    @Test
    void shouldNeverTouchOverwrittenSlots()
    {
        try (ReplayBuffer buffer = buffer(16))
        {
            // A 20-step episode in a 16-slot ring: generations 0..3 are gone, their slots hold 16..19.
            final long first = episode(buffer, 20);
            distinctPriorities(buffer);
            final double[] before = priorities(buffer);
            final PriorityEncouragement pe = new PriorityEncouragement(buffer, 0.9, 1.0, 1e-3, false);
            // K = 65 capped at the ring: only generations 4..18 (15 slots) may be lifted, never the goal's slot 3.
            assertEquals(15, pe.episodeEnded(first, first + 19, true));
            final double[] after = priorities(buffer);
            assertEquals(before[3], after[3]);
            for (long generation = 4; generation <= 18; generation++)
            {
                final int slot = (int)(generation % 16);
                final double expected = before[slot] + Math.pow(0.9, 19 - generation) * before[3];
                assertEquals(expected, after[slot], 1e-12, "generation " + generation);
            }
            assertThrows(IllegalArgumentException.class, () -> pe.episodeEnded(0, 2, true), "goal overwritten");
            assertEquals(0, buffer.statistics().staleUpdatesDropped());
        }
    }

    @Test
    void shouldRefuseBadParameters()
    {
        try (ReplayBuffer buffer = buffer(8);
            ReplayBuffer uniform = ReplayBuffer.builder().schema(SCHEMA).capacity(8).build())
        {
            assertThrows(IllegalArgumentException.class, () -> new PriorityEncouragement(uniform));
            assertThrows(IllegalArgumentException.class, () -> new PriorityEncouragement(buffer, 1.0, 0.9, 1e-3, true));
            assertThrows(IllegalArgumentException.class, () -> new PriorityEncouragement(buffer, 0.9, 0.0, 1e-3, true));
            assertThrows(IllegalArgumentException.class, () -> new PriorityEncouragement(buffer, 0.9, 0.9, 0.0, true));
        }
    }
}
