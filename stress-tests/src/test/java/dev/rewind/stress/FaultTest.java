package dev.rewind.stress;

import dev.rewind.engine.ReplayBuffer;
import dev.rewind.engine.SampleBatch;
import dev.rewind.engine.internal.FileHeaderDescriptor;
import dev.rewind.engine.internal.RecordDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static dev.rewind.engine.internal.RecordDescriptor.FLOAT;
import static dev.rewind.engine.internal.RecordDescriptor.INT;
import static dev.rewind.engine.internal.RecordDescriptor.LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fault test: a child JVM ({@link FaultChild}) appends to a mapped file from several producer threads through the
 * concurrent front end and is killed ({@code destroyForcibly}, SIGKILL) mid-run; the parent reopens the file (the
 * engine's recovery adopts committed-but-unpublished records and turns busy ones into holes) and checks, from the
 * raw mapping, that every record is whole or a hole, that holes are only where the writer was overwriting (the
 * oldest generations), and that per producer the stored records are contiguous and reach past every insert the
 * child acknowledged as published before the kill. Two rounds: the second child recovers the file and appends on.
 */
class FaultTest
{
    static final int CAPACITY = 16_384;
    static final int PRODUCERS = 3;

    @TempDir
    Path dir;

    @Test
    void shouldKeepEveryPublishedInsertAcrossAKill() throws Exception
    {
        final Path file = dir.resolve("fault.replay");
        final Map<Integer, Long> acked = new HashMap<>();
        final SplittableRandom rng = new SplittableRandom(42);
        for (int round = 0; round < 2; round++)
        {
            final Map<Integer, Long> roundAcks = runAndKill(file, round * PRODUCERS, 400 + rng.nextInt(400));
            acked.putAll(roundAcks);
            verify(file, acked);
        }
    }

    private Map<Integer, Long> runAndKill(final Path file, final int firstProducer, final long runMs)
        throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--add-modules=jdk.incubator.vector");
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED");
        command.add("-Xmx256m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(FaultChild.class.getName());
        command.add(file.toString());
        command.add(Integer.toString(CAPACITY));
        command.add(Integer.toString(firstProducer));
        command.add(Integer.toString(PRODUCERS));
        final Process child = new ProcessBuilder(command)
            .redirectError(dir.resolve("child-" + firstProducer + ".err").toFile()).start();
        final Map<Integer, Long> acks = new ConcurrentHashMap<>();
        final long[] ready = {-1};
        final Thread reader = new Thread(() ->
        {
            try (BufferedReader lines = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII)))
            {
                String line;
                while (null != (line = lines.readLine()))
                {
                    final String[] parts = line.split(" ");
                    if ("ack".equals(parts[0]))
                    {
                        acks.merge(Integer.parseInt(parts[1]), Long.parseLong(parts[2]), Math::max);
                    }
                    else if ("ready".equals(parts[0]))
                    {
                        synchronized (ready)
                        {
                            ready[0] = Long.parseLong(parts[1]);
                            ready.notifyAll();
                        }
                    }
                }
            }
            catch (final IOException ignored)
            {
                // The child was killed.
            }
        });
        reader.start();
        synchronized (ready)
        {
            final long deadline = System.currentTimeMillis() + 30_000;
            while (ready[0] < 0 && System.currentTimeMillis() < deadline && child.isAlive())
            {
                ready.wait(100);
            }
        }
        assertTrue(ready[0] >= 0, "child did not start: see " + dir.resolve("child-" + firstProducer + ".err"));
        // Run until the ring has wrapped at least once in this round, then a little more.
        final long deadline = System.currentTimeMillis() + 20_000;
        while (acks.values().stream().mapToLong(Long::longValue).sum() < CAPACITY &&
            System.currentTimeMillis() < deadline)
        {
            Thread.sleep(5);
        }
        Thread.sleep(runMs);
        final Map<Integer, Long> before = new HashMap<>(acks);
        child.destroyForcibly();
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        reader.join();
        System.out.printf("fault round (producers %d..%d): killed after %d ms past the first wrap, acknowledged " +
            "before the kill %s%n", firstProducer, firstProducer + PRODUCERS - 1, runMs, before);
        assertEquals(PRODUCERS, before.size(), "every producer acknowledged something before the kill");
        return before;
    }

    private static void verify(final Path file, final Map<Integer, Long> acked) throws IOException
    {
        try (ReplayBuffer buffer = ReplayBuffer.builder().schema(SoakRecords.SCHEMA).capacity(CAPACITY)
            .prioritized(SoakTest.ALPHA, SoakTest.EPS).mapped(file).build();
            Arena arena = Arena.ofConfined();
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ))
        {
            final MemorySegment raw = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            final long recordsOffset = raw.get(LONG, FileHeaderDescriptor.RECORDS_OFFSET_OFFSET);
            final int recordLength = SoakRecords.SCHEMA.recordLength();
            final long written = buffer.writeSequence();
            final long oldest = Math.max(0, written - CAPACITY);
            final Map<Integer, Long> next = new HashMap<>();
            final float[] payload = new float[SoakRecords.PAYLOAD];
            int holes = 0;
            boolean intactSeen = false;
            for (long generation = oldest; generation < written; generation++)
            {
                final long record = recordsOffset + (generation % CAPACITY) * recordLength;
                final long commit = raw.get(LONG, record + RecordDescriptor.COMMIT_OFFSET);
                if (RecordDescriptor.BUSY == commit)
                {
                    assertTrue(!intactSeen, "hole at generation " + generation + " after intact records: holes may " +
                        "only be the oldest records, the ones the writer was overwriting");
                    holes++;
                    continue;
                }
                intactSeen = true;
                assertEquals(generation, commit, "commit word of generation " + generation);
                final int producer = raw.get(INT, record + SoakRecords.PRODUCER.offset());
                final long seq = raw.get(LONG, record + SoakRecords.SEQ.offset());
                MemorySegment.copy(raw, FLOAT, record + SoakRecords.PAYLOAD_FIELD.offset(), payload, 0, payload.length);
                for (int i = 0; i < payload.length; i++)
                {
                    assertEquals(SoakRecords.element(producer, seq, i), payload[i], "payload of " + producer + "/" + seq);
                }
                assertEquals(SoakRecords.checksum(producer, seq, payload), raw.get(LONG,
                    record + SoakRecords.CHECKSUM.offset()), "checksum of " + producer + "/" + seq);
                final Long expected = next.get(producer);
                if (null != expected && seq != expected)
                {
                    fail("producer " + producer + ": seq " + seq + " follows " + (expected - 1) +
                        " in generation order (lost, duplicated or reordered insert)");
                }
                next.put(producer, seq + 1);
            }
            for (final Map.Entry<Integer, Long> ack : acked.entrySet())
            {
                final Long newest = next.get(ack.getKey());
                if (null != newest)
                {
                    assertTrue(newest >= ack.getValue(), "producer " + ack.getKey() + " acknowledged " +
                        ack.getValue() + " published rows but the file ends at " + newest);
                }
            }
            assertTrue(holes < CAPACITY / 4, "holes=" + holes);

            // The recovered buffer samples only whole records: holes have no mass and fail the commit check.
            final SampleBatch batch = buffer.newBatch(64);
            final SplittableRandom rng = new SplittableRandom(7);
            for (int k = 0; k < 200; k++)
            {
                for (final SampleBatch drawn : new SampleBatch[]{buffer.sample(batch, 0.4, rng),
                    buffer.sampleUniform(batch, rng)})
                {
                    for (int row = 0; row < drawn.size(); row++)
                    {
                        assertNull(SoakRecords.check(drawn, row, payload));
                    }
                }
            }
            System.out.printf("fault verify: write sequence %d, %d holes, producers' newest stored %s%n",
                written, holes, next);
        }
    }
}
