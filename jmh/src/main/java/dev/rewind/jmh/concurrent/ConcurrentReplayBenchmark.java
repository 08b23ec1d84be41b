package dev.rewind.jmh.concurrent;

import dev.rewind.engine.ConcurrentReplay;
import dev.rewind.engine.Field;
import dev.rewind.engine.ReplayBuffer;
import dev.rewind.engine.SampleBatch;
import dev.rewind.engine.Schema;
import dev.rewind.engine.Transitions;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
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

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Sampling and inserting concurrently on 2 cores. A learner step, {@code sample(256)} (prioritized, beta 0.4; each
 * row copied under its sequence lock on the concurrent path) then copying obs, next_obs, action and reward out of
 * the batch, with 0, 1 and 3 producer threads inserting continuously, beside the single-threaded figure (the plain
 * buffer, zero-copy, same step) in the same class; and insert throughput with 1 and 3 producers. Buffers are full (every insert overwrites) with random priorities; capacity 2^20, the DQN schema
 * (obs float32[4], action, reward, next_obs float32[4], done: 64-byte records).
 *
 * <p>Writers: {@code agent} runs the writer on its own thread (so 1 producer + 1 learner + writer = 3 busy threads on
 * 2 cores); {@code embedded} makes the single producer thread the writer ({@code embeddedWriter()}, its adds append
 * directly), which is how a trainer with one actor thread and one learner on 2 cores would run it.
 *
 * <p>Run: {@code java -jar jmh/target/benchmarks.jar ConcurrentReplayBenchmark -prof gc} (docs/PERFORMANCE.md,
 * section concurrency, has the figures and the command).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-modules=jdk.incubator.vector", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED", "-Drewind.disable.bounds.checks=true", "-Xms1g", "-Xmx4g"})
public class ConcurrentReplayBenchmark
{
    static final int CAPACITY = 1 << 20;
    static final int BATCH = 256;
    static final Schema SCHEMA = Schema.builder().float32("obs", 4).int32("action").float32("reward")
        .float32("next_obs", 4).bool("done").build();
    static final Field OBS = SCHEMA.field("obs");
    static final Field ACTION = SCHEMA.field("action");
    static final Field REWARD = SCHEMA.field("reward");
    static final Field NEXT_OBS = SCHEMA.field("next_obs");

    static void stage(final Transitions t, final int rows, final long seed)
    {
        final float[] obs = {seed, seed + 1, seed + 2, seed + 3};
        t.clear();
        for (int r = 0; r < rows; r++)
        {
            t.beginRow().put(OBS, obs).putInt(ACTION, r & 1).putFloat(REWARD, 1f).put(NEXT_OBS, obs);
        }
    }

    /** Fills a buffer to capacity and gives every slot a random priority. */
    static void fill(final ReplayBuffer buffer)
    {
        final Transitions t = buffer.newTransitions(4096);
        for (int done = 0; done < CAPACITY; done += 4096)
        {
            stage(t, 4096, done);
            buffer.add(t);
        }
        final SplittableRandom rng = new SplittableRandom(42);
        final int[] slots = new int[4096];
        final long[] generations = new long[4096];
        final double[] priorities = new double[4096];
        for (int base = 0; base < CAPACITY; base += 4096)
        {
            for (int i = 0; i < 4096; i++)
            {
                slots[i] = base + i;
                generations[i] = base + i;
                priorities[i] = rng.nextDouble() * 10;
            }
            buffer.updatePriorities(slots, generations, priorities, 4096);
        }
    }

    /** The single-threaded baseline: the plain buffer, sampled by one thread, nobody inserting. */
    @State(Scope.Benchmark)
    public static class Plain
    {
        ReplayBuffer buffer;

        /** Builds and fills the buffer. */
        @Setup(Level.Trial)
        public void setUp()
        {
            buffer = ReplayBuffer.builder().schema(SCHEMA).capacity(CAPACITY).prioritized().build();
            fill(buffer);
        }

        /** Closes the buffer. */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            buffer.close();
        }
    }

    /** A concurrent buffer with the writer as an agent on its own thread. */
    @State(Scope.Group)
    public static class Agent
    {
        ConcurrentReplay replay;

        /**
         * Builds and fills the buffer, and waits until the writer has published the fill and its priorities.
         *
         * @throws InterruptedException if interrupted while waiting.
         */
        @Setup(Level.Trial)
        public void setUp() throws InterruptedException
        {
            replay = ReplayBuffer.builder().schema(SCHEMA).capacity(CAPACITY).prioritized().buildConcurrent();
            fill(replay);
            if (!replay.awaitPublished(60, TimeUnit.SECONDS))
            {
                throw new AssertionError("fill not published");
            }
            while (replay.statistics().priorityUpdates() < CAPACITY)
            {
                Thread.sleep(1);
            }
        }

        /** Closes the buffer. */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            replay.close();
        }
    }

    /** A concurrent buffer in the embedded mode: the producer thread of the group is the writer. */
    @State(Scope.Group)
    public static class Embedded
    {
        ConcurrentReplay replay;

        /** Builds and fills the buffer. */
        @Setup(Level.Trial)
        public void setUp()
        {
            replay = ReplayBuffer.builder().schema(SCHEMA).capacity(CAPACITY).prioritized().embeddedWriter()
                .buildConcurrent();
            // The set-up thread becomes the writer, so the fill appends directly; the producer takes over later.
            replay.doWork();
            fill(replay);
        }

        /** Closes the buffer. */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            replay.close();
        }
    }

    /** One learner's batch, random source, and the arrays it trains on. */
    @State(Scope.Thread)
    public static class Learner
    {
        SampleBatch batch;
        SplittableRandom rng;
        final float[] obs = new float[BATCH * 4];
        final float[] nextObs = new float[BATCH * 4];
        final int[] actions = new int[BATCH];
        final float[] rewards = new float[BATCH];

        /** What a learner does with a batch: copy the fields it trains on into its arrays. */
        SampleBatch consume(final SampleBatch drawn)
        {
            drawn.copyTo(OBS, obs);
            drawn.copyTo(NEXT_OBS, nextObs);
            drawn.copyTo(ACTION, actions);
            drawn.copyTo(REWARD, rewards);
            return drawn;
        }

        /** A fresh random source; the batch is made on first use, by the buffer under test. */
        @Setup(Level.Trial)
        public void setUp()
        {
            batch = null;
            rng = new SplittableRandom(7);
        }

        SampleBatch batch(final ReplayBuffer buffer)
        {
            if (null == batch)
            {
                batch = buffer.newBatch(BATCH);
            }
            return batch;
        }
    }

    /** One producer's staging. */
    @State(Scope.Thread)
    public static class Producer
    {
        /** Rows per add. */
        @Param({"1", "16"})
        public int rowsPerAdd;

        Transitions t;
        long seed;

        Transitions next(final ReplayBuffer buffer)
        {
            if (null == t)
            {
                t = buffer.newTransitions(rowsPerAdd);
            }
            stage(t, rowsPerAdd, seed++);
            return t;
        }
    }

    /** Producer outcomes per second: rows accepted (transitions/s) and refused adds. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Inserted
    {
        /** Transitions accepted. */
        public long rows;
        /** Adds refused because the ingest ring was full (back-pressure). */
        public long backPressured;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // sample(256): single-threaded figure, then 0, 1, 3 producers
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * The single-threaded figure: the plain buffer's sample(256) (zero-copy views, no sequence lock), then the
     * learner copies obs, next_obs, action and reward of every row into its arrays.
     *
     * @param plain   the buffer.
     * @param learner the batch.
     * @return the batch.
     */
    @Benchmark
    public SampleBatch sampleSingleThreaded(final Plain plain, final Learner learner)
    {
        return learner.consume(plain.buffer.sample(learner.batch(plain.buffer), 0.4, learner.rng));
    }

    /**
     * The single-threaded sample alone, without reading the batch (zero-copy: no record is touched).
     *
     * @param plain   the buffer.
     * @param learner the batch.
     * @return the batch.
     */
    @Benchmark
    public SampleBatch sampleOnlySingleThreaded(final Plain plain, final Learner learner)
    {
        return plain.buffer.sample(learner.batch(plain.buffer), 0.4, learner.rng);
    }

    /**
     * The concurrent learner path with nobody inserting (the agent writer idles): sample(256) with copy-out.
     *
     * @param agent   the buffer.
     * @param learner the batch.
     * @return the batch.
     */
    @Benchmark
    @Group("sample0p")
    @GroupThreads(1)
    public SampleBatch sample0p(final Agent agent, final Learner learner)
    {
        return learner.consume(agent.replay.sample(learner.batch(agent.replay), 0.4, learner.rng));
    }

    /**
     * The concurrent sample alone (with its copy-out), nobody inserting, the batch not read further.
     *
     * @param agent   the buffer.
     * @param learner the batch.
     * @return the batch.
     */
    @Benchmark
    @Group("sampleOnly0p")
    @GroupThreads(1)
    public SampleBatch sampleOnly0p(final Agent agent, final Learner learner)
    {
        return agent.replay.sample(learner.batch(agent.replay), 0.4, learner.rng);
    }

    /**
     * sample(256) while one producer inserts continuously through the ring (agent writer).
     *
     * @param agent   the buffer.
     * @param learner the batch.
     * @return the batch.
     */
    @Benchmark
    @Group("sample1p")
    @GroupThreads(1)
    public SampleBatch sample1pSampler(final Agent agent, final Learner learner)
    {
        return learner.consume(agent.replay.sample(learner.batch(agent.replay), 0.4, learner.rng));
    }

    /**
     * The producer of {@code sample1p}.
     *
     * @param agent    the buffer.
     * @param producer the staging.
     * @param counters accepted rows and refusals.
     * @return the add's status.
     */
    @Benchmark
    @Group("sample1p")
    @GroupThreads(1)
    public int sample1pProducer(final Agent agent, final Producer producer, final Inserted counters)
    {
        return tryAdd(agent.replay, producer, counters);
    }

    /**
     * sample(256) while the single producer thread is the writer (embedded mode): two threads on two cores.
     *
     * @param embedded the buffer.
     * @param learner  the batch.
     * @return the batch.
     */
    @Benchmark
    @Group("sample1pEmbedded")
    @GroupThreads(1)
    public SampleBatch sample1pEmbeddedSampler(final Embedded embedded, final Learner learner)
    {
        return learner.consume(embedded.replay.sample(learner.batch(embedded.replay), 0.4, learner.rng));
    }

    /**
     * The producer-writer of {@code sample1pEmbedded}: drains nothing, appends directly.
     *
     * @param embedded the buffer.
     * @param producer the staging.
     * @param counters accepted rows and refusals.
     * @return the add's status.
     */
    @Benchmark
    @Group("sample1pEmbedded")
    @GroupThreads(1)
    public int sample1pEmbeddedProducer(final Embedded embedded, final Producer producer, final Inserted counters)
    {
        embedded.replay.doWork();
        return tryAdd(embedded.replay, producer, counters);
    }

    /**
     * sample(256) while three producers insert continuously (agent writer).
     *
     * @param agent   the buffer.
     * @param learner the batch.
     * @return the batch.
     */
    @Benchmark
    @Group("sample3p")
    @GroupThreads(1)
    public SampleBatch sample3pSampler(final Agent agent, final Learner learner)
    {
        return learner.consume(agent.replay.sample(learner.batch(agent.replay), 0.4, learner.rng));
    }

    /**
     * The producers of {@code sample3p}.
     *
     * @param agent    the buffer.
     * @param producer the staging.
     * @param counters accepted rows and refusals.
     * @return the add's status.
     */
    @Benchmark
    @Group("sample3p")
    @GroupThreads(3)
    public int sample3pProducer(final Agent agent, final Producer producer, final Inserted counters)
    {
        return tryAdd(agent.replay, producer, counters);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Insert throughput: 1 and 3 producers, agent writer
    // ---------------------------------------------------------------------------------------------------------------

    /**
     * One producer inserting as fast as the writer drains.
     *
     * @param agent    the buffer.
     * @param producer the staging.
     * @param counters accepted rows and refusals.
     * @return the add's status.
     */
    @Benchmark
    @Group("insert1p")
    @GroupThreads(1)
    public int insert1p(final Agent agent, final Producer producer, final Inserted counters)
    {
        return tryAdd(agent.replay, producer, counters);
    }

    /**
     * Three producers inserting as fast as the writer drains.
     *
     * @param agent    the buffer.
     * @param producer the staging.
     * @param counters accepted rows and refusals.
     * @return the add's status.
     */
    @Benchmark
    @Group("insert3p")
    @GroupThreads(3)
    public int insert3p(final Agent agent, final Producer producer, final Inserted counters)
    {
        return tryAdd(agent.replay, producer, counters);
    }

    private static int tryAdd(final ConcurrentReplay replay, final Producer producer, final Inserted counters)
    {
        final int result = replay.tryAdd(producer.next(replay));
        if (result > 0)
        {
            counters.rows += result;
        }
        else
        {
            // Back-pressure: give the core to the writer (on 2 cores it shares one with a producer).
            counters.backPressured++;
            Thread.yield();
        }
        return result;
    }
}
