package dev.rewind.jmh.engine;

import dev.rewind.engine.Field;
import dev.rewind.engine.ReplayBuffer;
import dev.rewind.engine.SampleBatch;
import dev.rewind.engine.Schema;
import dev.rewind.engine.Transitions;
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
import org.openjdk.jmh.infra.Blackhole;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The replay hot paths, Rewind beside the textbook on-heap binary-tree baseline in the same run: add (single and a
 * bulk of 256), sample(256) with importance weights, updatePriorities(256), and one learner step (sample then
 * update). Buffers are full (every add overwrites, as in a long training run) and carry random priorities.
 *
 * <p>Run: {@code java -jar jmh/target/benchmarks.jar ReplayBenchmark} (see docs/PERFORMANCE.md for the flags).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-modules=jdk.incubator.vector", "-Drewind.disable.bounds.checks=true", "-Xms1g", "-Xmx12g"})
public class ReplayBenchmark
{
    static final int BATCH = 256;
    static final int UPDATE_ROUNDS = 1024;

    static Schema schema(final String name)
    {
        return switch (name)
        {
            case "dqn" -> Schema.builder().float32("obs", 4).int32("action").float32("reward")
                .float32("next_obs", 4).bool("done").build();
            case "atari" -> Schema.builder().uint8("obs", 84, 84).int32("action").float32("reward").bool("done")
                .build();
            default -> throw new IllegalArgumentException("schema=" + name);
        };
    }

    /** Shared parameters. */
    @State(Scope.Benchmark)
    public static class Params
    {
        @Param({"1048576", "1000000"})
        public int capacity;

        @Param({"dqn", "atari"})
        public String schema;

        /** Priority-tree fan-out of the Rewind buffer (the baseline is binary). */
        @Param({"8"})
        public int fanout;
    }

    /** A full Rewind buffer with random priorities, and pre-drawn update batches. */
    @State(Scope.Benchmark)
    public static class RewindState
    {
        ReplayBuffer buffer;
        Transitions single;
        Transitions bulk;
        SampleBatch batch;
        int[][] updateIndices;
        long[][] updateGenerations;
        double[] priorities;
        SplittableRandom rng;
        int round;

        @Setup(Level.Trial)
        public void setUp(final Params params)
        {
            final Schema schema = schema(params.schema);
            buffer = ReplayBuffer.builder().schema(schema).capacity(params.capacity).prioritized(0.6, 1e-4)
                .treeFanout(params.fanout).build();
            single = stage(buffer.newTransitions(1), schema, 1);
            bulk = stage(buffer.newTransitions(BATCH), schema, BATCH);
            for (long added = 0; added < params.capacity; added += BATCH)
            {
                buffer.add(bulk);
            }
            rng = new SplittableRandom(42);
            batch = buffer.newBatch(BATCH);
            priorities = new double[BATCH];
            final int[] all = new int[BATCH];
            final long[] generations = new long[BATCH];
            final long oldest = buffer.writeSequence() - buffer.capacity();
            for (int start = 0; start < params.capacity; start += BATCH)
            {
                final int n = Math.min(BATCH, params.capacity - start);
                for (int i = 0; i < n; i++)
                {
                    all[i] = start + i;
                    final long g = oldest + Math.floorMod(start + i - oldest, (long)params.capacity);
                    generations[i] = g;
                    priorities[i] = rng.nextDouble() * 2;
                }
                buffer.updatePriorities(all, generations, priorities, n);
            }
            updateIndices = new int[UPDATE_ROUNDS][];
            updateGenerations = new long[UPDATE_ROUNDS][];
            for (int r = 0; r < UPDATE_ROUNDS; r++)
            {
                buffer.sample(batch, 0.4, rng);
                updateIndices[r] = batch.indices().clone();
                updateGenerations[r] = batch.generations().clone();
            }
            for (int i = 0; i < BATCH; i++)
            {
                priorities[i] = rng.nextDouble() * 2;
            }
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            buffer.close();
        }
    }

    /** The textbook baseline, filled the same way. */
    @State(Scope.Benchmark)
    public static class BaselineState
    {
        TextbookPrioritizedReplay buffer;
        byte[] record;
        byte[][] bulk;
        int[] indices = new int[BATCH];
        double[] weights = new double[BATCH];
        int[][] updateIndices;
        double[] priorities;
        SplittableRandom rng;
        int round;

        @Setup(Level.Trial)
        public void setUp(final Params params)
        {
            final int recordLength = schema(params.schema).recordLength();
            buffer = new TextbookPrioritizedReplay(params.capacity, recordLength, 0.6, 1e-4);
            record = new byte[recordLength];
            bulk = new byte[BATCH][recordLength];
            for (int i = 0; i < params.capacity; i++)
            {
                buffer.add(record);
            }
            rng = new SplittableRandom(42);
            priorities = new double[BATCH];
            final int[] all = new int[BATCH];
            for (int start = 0; start < params.capacity; start += BATCH)
            {
                final int n = Math.min(BATCH, params.capacity - start);
                for (int i = 0; i < n; i++)
                {
                    all[i] = start + i;
                    priorities[i] = rng.nextDouble() * 2;
                }
                buffer.updatePriorities(all, priorities, n);
            }
            updateIndices = new int[UPDATE_ROUNDS][];
            for (int r = 0; r < UPDATE_ROUNDS; r++)
            {
                buffer.sample(BATCH, 0.4, rng, indices, weights);
                updateIndices[r] = indices.clone();
            }
            for (int i = 0; i < BATCH; i++)
            {
                priorities[i] = rng.nextDouble() * 2;
            }
        }
    }

    private static Transitions stage(final Transitions t, final Schema schema, final int rows)
    {
        final SplittableRandom rng = new SplittableRandom(rows);
        for (int r = 0; r < rows; r++)
        {
            t.beginRow();
            for (final Field field : schema.fields())
            {
                switch (field.dtype())
                {
                    case FLOAT32 ->
                    {
                        final float[] v = new float[field.elementCount()];
                        for (int i = 0; i < v.length; i++)
                        {
                            v[i] = (float)rng.nextGaussian();
                        }
                        t.put(field, v);
                    }
                    case INT32 -> t.putInt(field, rng.nextInt(4));
                    case UINT8 ->
                    {
                        final byte[] v = new byte[field.elementCount()];
                        rng.nextBytes(v);
                        t.put(field, v);
                    }
                    case BOOL -> t.putBool(field, rng.nextInt(100) == 0);
                    default -> throw new IllegalArgumentException("unexpected field " + field);
                }
            }
        }
        return t;
    }

    /** Rewind: append one transition. */
    @Benchmark
    public long rewindAddSingle(final RewindState s)
    {
        return s.buffer.add(s.single);
    }

    /** Baseline: append one transition. */
    @Benchmark
    public void baselineAddSingle(final BaselineState s)
    {
        s.buffer.add(s.record);
    }

    /** Rewind: append 256 transitions in one call. */
    @Benchmark
    public long rewindAddBulk256(final RewindState s)
    {
        return s.buffer.add(s.bulk);
    }

    /** Baseline: append 256 transitions. */
    @Benchmark
    public void baselineAddBulk256(final BaselineState s)
    {
        for (final byte[] record : s.bulk)
        {
            s.buffer.add(record);
        }
    }

    /** Rewind: stratified prioritized sample of 256 with importance weights and generations. */
    @Benchmark
    public SampleBatch rewindSample256(final RewindState s)
    {
        return s.buffer.sample(s.batch, 0.4, s.rng);
    }

    /** Baseline: stratified prioritized sample of 256 with importance weights. */
    @Benchmark
    public double[] baselineSample256(final BaselineState s)
    {
        s.buffer.sample(BATCH, 0.4, s.rng, s.indices, s.weights);
        return s.weights;
    }

    /** Rewind: write back 256 priorities at random slots (a different pre-drawn batch each call). */
    @Benchmark
    public int rewindUpdatePriorities256(final RewindState s)
    {
        final int r = s.round++ & (UPDATE_ROUNDS - 1);
        return s.buffer.updatePriorities(s.updateIndices[r], s.updateGenerations[r], s.priorities, BATCH);
    }

    /** Baseline: write back 256 priorities at random slots. */
    @Benchmark
    public void baselineUpdatePriorities256(final BaselineState s)
    {
        final int r = s.round++ & (UPDATE_ROUNDS - 1);
        s.buffer.updatePriorities(s.updateIndices[r], s.priorities, BATCH);
    }

    /** Rewind: one learner step, sample(256) then updatePriorities(256) of the drawn slots. */
    @Benchmark
    public int rewindLearnerStep(final RewindState s)
    {
        s.buffer.sample(s.batch, 0.4, s.rng);
        return s.buffer.updatePriorities(s.batch, s.priorities);
    }

    /** Baseline: one learner step. */
    @Benchmark
    public void baselineLearnerStep(final BaselineState s, final Blackhole bh)
    {
        s.buffer.sample(BATCH, 0.4, s.rng, s.indices, s.weights);
        s.buffer.updatePriorities(s.indices, s.priorities, BATCH);
        bh.consume(s.weights);
    }
}
