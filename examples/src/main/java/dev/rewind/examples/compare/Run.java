package dev.rewind.examples.compare;

import dev.rewind.engine.ReplayBuffer;
import dev.rewind.engine.SampleBatch;
import dev.rewind.engine.Transitions;
import dev.rewind.engine.dalap.BetaPolicy;
import dev.rewind.engine.dalap.DalapSampler;
import dev.rewind.engine.dalap.PriorityEncouragement;
import dev.rewind.engine.dalap.StateActionFeatures;
import dev.rewind.examples.SplitMix64;
import dev.rewind.examples.dqn.DoubleDqn;
import dev.rewind.examples.dqn.DqnConfig;
import dev.rewind.examples.dqn.TransitionSchema;
import dev.rewind.examples.env.Environment;
import dev.rewind.examples.env.Environments;
import dev.rewind.examples.report.EpisodeRecord;
import dev.rewind.kernels.Kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One training run: one environment, one replay variant, one seed, a fixed number of environment steps. It uses only
 * Rewind's public facade ({@link ReplayBuffer}, {@link SampleBatch}, {@link Transitions}) and the DALAP package.
 *
 * <p>Deterministic under its seed: the environment, the initial weights, exploration and the buffer's sampling each
 * draw from their own generator derived from the seed, so a run gives the same episodes whether it runs alone or
 * beside others (the variants of one seed share the environment seed and the initial network). Bit for bit with
 * {@link Kernels#scalar()}; with the vector kernels, only once the JIT has compiled them (see {@link Compare}).
 *
 * <p>Timing: an episode's learner time is the wall time of the whole loop over its steps (acting, environment,
 * storing, sampling, training); its replay time is the part spent in the buffer: {@code add}, sampling (for DALAP
 * the double sample with PSAN), {@code updatePriorities} and Priority-Encouragement.
 *
 * @param environment environment name.
 * @param variant     replay strategy.
 * @param seed        seed of the run.
 * @param steps       environment steps.
 */
public record Run(String environment, Variant variant, long seed, long steps)
{
    /**
     * What a run produced.
     *
     * @param episodes     every finished episode (an unfinished last episode is not recorded).
     * @param wallNs       wall time of the run.
     * @param learnerSteps learner (minibatch) steps.
     * @param replayNs     time in the replay buffer, all of it.
     * @param dalapExtraNs time in DALAP's extra work (uniform draw, features, PSAN, re-weighting).
     * @param peNs         time in Priority-Encouragement.
     * @param goals        episodes that ended at the goal.
     * @param lastBeta     beta of the last learner step (NaN for unweighted variants).
     */
    public record Result(
        List<EpisodeRecord> episodes, long wallNs, long learnerSteps, long replayNs, long dalapExtraNs, long peNs,
        long goals, double lastBeta)
    {
    }

    /**
     * Trains.
     *
     * @param hyper   the environment's settings.
     * @param kernels the kernels (of the buffer, PSAN and the network).
     * @return the result.
     */
    public Result execute(final Hyperparameters hyper, final Kernels kernels)
    {
        final long runStart = System.nanoTime();
        final Environment env = Environments.create(environment);
        final String label = variant.label();
        final DqnConfig config = hyper.dqnFor(steps);
        final TransitionSchema fields = TransitionSchema.of(env.observationSize());
        final int n = env.observationSize();
        final SplitMix64 seeds = new SplitMix64(seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L);
        final long envSeed = seed;
        final long netSeed = seeds.nextLong();
        final SplitMix64 explore = new SplitMix64(seeds.nextLong());
        final SplittableRandom replayRandom = new SplittableRandom(seeds.nextLong());
        final long learnerStepsPlanned = Math.max(1, (steps - config.learningStarts()) / config.trainEvery());
        final List<EpisodeRecord> episodes = new ArrayList<>();

        try (ReplayBuffer buffer = variant.configure(ReplayBuffer.builder()
            .schema(fields.schema()).capacity(config.bufferCapacity()).kernels(kernels)).build())
        {
            final DoubleDqn dqn = new DoubleDqn(config, fields, env.actionCount(), netSeed, kernels);
            final Transitions t = buffer.newTransitions(1);
            final SampleBatch batch = buffer.newBatch(config.batchSize());
            final double[] td = new double[config.batchSize()];
            final BetaPolicy schedule = variant.scheduledBeta(learnerStepsPlanned);
            final StateActionFeatures features = variant.dalapBeta() ?
                new StateActionFeatures(fields.obs(), fields.action(), env.actionCount(), kernels) : null;
            final DalapSampler dalap = variant.dalapBeta() ?
                DalapSampler.builder(buffer, config.batchSize(), features).kernels(kernels).build() : null;
            final PriorityEncouragement pe = variant.priorityEncouragement() ?
                new PriorityEncouragement(buffer) : null;

            final float[] obs = new float[n];
            final float[] next = new float[n];
            env.reset(envSeed, obs);
            long episodeStart = System.nanoTime();
            long episodeReplayNs = 0;
            long replayNs = 0;
            long episodeFirstGeneration = -1;
            long episodeStepStart = 0;
            double episodeReturn = 0.0;
            long learnerSteps = 0;
            long goals = 0;
            double lastBeta = Double.NaN;

            for (long step = 0; step < steps; step++)
            {
                final int action = dqn.act(obs, config.epsilon(step), explore);
                final double reward = env.step(action, next);
                episodeReturn += reward;
                final boolean done = env.done();

                long r0 = System.nanoTime();
                t.clear().beginRow().put(fields.obs(), obs).putInt(fields.action(), action)
                    .putFloat(fields.reward(), (float)reward).put(fields.nextObs(), next)
                    .putBool(fields.terminal(), env.terminated());
                if (done)
                {
                    t.endEpisode();
                }
                final long generation = buffer.add(t);
                if (episodeFirstGeneration < 0)
                {
                    episodeFirstGeneration = generation;
                }
                if (null != features)
                {
                    features.recordInserted(obs, 0);
                }
                if (done && null != pe)
                {
                    pe.episodeEnded(episodeFirstGeneration, generation, env.reachedGoal());
                }
                long r1 = System.nanoTime();
                episodeReplayNs += r1 - r0;

                if (step + 1 >= config.learningStarts() && 0 == (step + 1) % config.trainEvery())
                {
                    r0 = System.nanoTime();
                    final SampleBatch sampled;
                    if (null != dalap)
                    {
                        sampled = dalap.sampleDouble(replayRandom);
                        lastBeta = dalap.beta();
                    }
                    else
                    {
                        lastBeta = variant.importanceWeights() ? schedule.beta(learnerSteps) : Double.NaN;
                        sampled = buffer.sample(batch, variant.importanceWeights() ? lastBeta : 0.0, replayRandom);
                    }
                    r1 = System.nanoTime();
                    dqn.train(sampled, variant.importanceWeights(), td);
                    final long r2 = System.nanoTime();
                    if (variant.prioritized())
                    {
                        buffer.updatePriorities(sampled, td);
                    }
                    episodeReplayNs += (r1 - r0) + (System.nanoTime() - r2);
                    learnerSteps++;
                }

                if (done)
                {
                    if (env.reachedGoal())
                    {
                        goals++;
                    }
                    final long now = System.nanoTime();
                    final long episodeSteps = step + 1 - episodeStepStart;
                    episodes.add(new EpisodeRecord(env.name(), label, seed, episodes.size(), step + 1, episodeReturn,
                        (double)(now - episodeStart) / episodeSteps, (double)episodeReplayNs / episodeSteps));
                    replayNs += episodeReplayNs;
                    episodeReplayNs = 0;
                    episodeStart = now;
                    episodeStepStart = step + 1;
                    episodeReturn = 0.0;
                    episodeFirstGeneration = -1;
                    env.reset(obs);
                }
                else
                {
                    System.arraycopy(next, 0, obs, 0, n);
                }
            }
            replayNs += episodeReplayNs;
            return new Result(List.copyOf(episodes), System.nanoTime() - runStart, learnerSteps, replayNs,
                null == dalap ? 0 : dalap.extraNanos(), null == pe ? 0 : pe.nanos(), goals, lastBeta);
        }
    }
}
