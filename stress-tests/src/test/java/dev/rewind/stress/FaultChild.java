package dev.rewind.stress;

import dev.rewind.engine.ConcurrentReplay;
import dev.rewind.engine.ReplayBuffer;
import dev.rewind.engine.Transitions;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The process {@link FaultTest} kills: opens (or recovers) a mapped {@link ConcurrentReplay} and appends from
 * several producer threads until it is killed. Each producer prints {@code ack <producer> <count>} once its first
 * {@code count} rows are published (in the mapping, so they survive the kill), and {@code ready} is printed once
 * the buffer is open.
 *
 * <p>Arguments: file, capacity, first producer id, number of producers.
 */
public final class FaultChild
{
    private FaultChild()
    {
    }

    /**
     * Runs until killed.
     *
     * @param args file, capacity, first producer id, producers.
     * @throws InterruptedException never in practice.
     */
    public static void main(final String[] args) throws InterruptedException
    {
        final Path file = Path.of(args[0]);
        final int capacity = Integer.parseInt(args[1]);
        final int firstProducer = Integer.parseInt(args[2]);
        final int producers = Integer.parseInt(args[3]);
        final PrintStream out = new PrintStream(System.out, true);
        final ConcurrentReplay replay = ReplayBuffer.builder().schema(SoakRecords.SCHEMA).capacity(capacity)
            .prioritized(SoakTest.ALPHA, SoakTest.EPS).mapped(file).buildConcurrent();
        synchronized (out)
        {
            out.println("ready " + replay.writeSequence());
        }
        for (int p = 0; p < producers; p++)
        {
            final int id = firstProducer + p;
            final Thread thread = new Thread(() ->
            {
                final Transitions t = replay.newTransitions(8);
                final SplittableRandom rng = new SplittableRandom(id);
                final float[] scratch = new float[SoakRecords.PAYLOAD];
                long seq = 0;
                long reported = 0;
                while (true)
                {
                    final int rows = 1 + rng.nextInt(8);
                    t.clear();
                    for (int r = 0; r < rows; r++)
                    {
                        SoakRecords.stage(t, id, seq + r, scratch);
                    }
                    final int result = replay.tryAdd(t);
                    if (result > 0)
                    {
                        seq += result;
                    }
                    else
                    {
                        Thread.yield();
                    }
                    if (seq - reported >= 512 && replay.awaitPublished(1, TimeUnit.SECONDS))
                    {
                        reported = seq;
                        synchronized (out)
                        {
                            out.println("ack " + id + " " + seq);
                        }
                    }
                }
            }, "producer-" + id);
            thread.start();
        }
        Thread.sleep(Long.MAX_VALUE);
    }
}
