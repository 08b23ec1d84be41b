package dev.rewind.examples.dqn;

import dev.rewind.engine.SampleBatch;
import dev.rewind.examples.SplitMix64;
import dev.rewind.kernels.Kernels;

import java.util.Arrays;

/**
 * Double DQN (van Hasselt, Guez and Silver 2016) with a small MLP ({@link Mlp}: two hidden ReLU layers), Adam, a
 * weighted Huber loss and a target network updated periodically or softly, on the dense helpers of {@link Kernels}.
 * <pre>
 * a*  = argmax_a Q_online(s', a)
 * y   = r + gamma * (1 - terminal) * Q_target(s', a*)
 * L   = (1/B) sum_i w_i huber(Q_online(s, a_i) - y_i)        w_i: the batch's importance weights
 * </pre>
 * It reads minibatches from a {@link SampleBatch} of the {@link TransitionSchema} and returns each row's
 * {@code |y - Q(s, a)|}, the TD error a prioritized buffer takes as the new priority. Every buffer is allocated in the
 * constructor: a learner step allocates nothing. Not thread-safe.
 */
public final class DoubleDqn
{
    private final DqnConfig config;
    private final TransitionSchema fields;
    private final Kernels kernels;
    private final int observationSize;
    private final int actions;
    private final int batchSize;
    private final Mlp online;
    private final Mlp target;
    private final Mlp.Pass actPass;
    private final Mlp.Pass currentPass;
    private final Mlp.Pass nextOnlinePass;
    private final Mlp.Pass nextTargetPass;
    private final float[] actInput;
    private final int[] actChoice = new int[1];
    private final float[] observations;
    private final float[] nextObservations;
    private final int[] batchActions;
    private final float[] rewards;
    private final byte[] terminals;
    private final int[] greedyNext;
    private final float[] predictions;
    private final float[] targets;
    private final float[] weights;
    private final float[] lossGrad;
    private final float[] dOutput;
    private final float[] grads;
    private final float[] adamM;
    private final float[] adamV;
    private long updates;

    /**
     * Creates a learner with freshly initialised networks (the target a copy of the online network).
     *
     * @param config          hyper-parameters.
     * @param fields          the record layout of the buffer it reads.
     * @param actions         number of discrete actions.
     * @param seed            seed of the initial weights.
     * @param kernels         the kernels to run.
     */
    public DoubleDqn(
        final DqnConfig config, final TransitionSchema fields, final int actions, final long seed,
        final Kernels kernels)
    {
        this.config = config;
        this.fields = fields;
        this.kernels = kernels;
        this.observationSize = fields.obs().elementCount();
        this.actions = actions;
        this.batchSize = config.batchSize();
        this.online = new Mlp(observationSize, config.hidden(), actions, seed, kernels);
        this.target = new Mlp(observationSize, config.hidden(), actions, seed, kernels);
        target.copyFrom(online);
        this.actPass = online.newPass(1);
        this.currentPass = online.newPass(batchSize);
        this.nextOnlinePass = online.newPass(batchSize);
        this.nextTargetPass = target.newPass(batchSize);
        this.actInput = new float[observationSize];
        this.observations = new float[batchSize * observationSize];
        this.nextObservations = new float[batchSize * observationSize];
        this.batchActions = new int[batchSize];
        this.rewards = new float[batchSize];
        this.terminals = new byte[batchSize];
        this.greedyNext = new int[batchSize];
        this.predictions = new float[batchSize];
        this.targets = new float[batchSize];
        this.weights = new float[batchSize];
        this.lossGrad = new float[batchSize];
        this.dOutput = new float[batchSize * actions];
        this.grads = new float[online.size()];
        this.adamM = new float[online.size()];
        this.adamV = new float[online.size()];
        if (null != config.inputShift() && config.inputShift().length != observationSize ||
            null != config.inputScale() && config.inputScale().length != observationSize)
        {
            throw new IllegalArgumentException("input shift and scale must have one entry per observation element: " +
                "observationSize=" + observationSize);
        }
    }

    /**
     * Epsilon-greedy action: uniformly random with probability {@code epsilon}, else the greedy one.
     *
     * @param observation the current observation.
     * @param epsilon     exploration rate.
     * @param random      the exploration generator.
     * @return the action.
     */
    public int act(final float[] observation, final double epsilon, final SplitMix64 random)
    {
        if (random.nextDouble() < epsilon)
        {
            return random.nextInt(actions);
        }
        return greedy(observation);
    }

    /**
     * The greedy action {@code argmax_a Q(s, a)}.
     *
     * @param observation the observation.
     * @return the action.
     */
    public int greedy(final float[] observation)
    {
        System.arraycopy(observation, 0, actInput, 0, observationSize);
        normalise(actInput, 1);
        final float[] q = online.forward(actInput, 1, actPass);
        kernels.argmaxRows(q, 1, actions, actChoice);
        return actChoice[0];
    }

    /**
     * One learner step on a sampled minibatch, weighted by the batch's importance weights (all 1 for a uniform
     * sample).
     *
     * @param batch      a batch of {@link DqnConfig#batchSize()} rows of the {@link TransitionSchema}.
     * @param useWeights whether to apply the batch's importance weights (false trains unweighted, as LAP does).
     * @param tdOut      receives {@code |y - Q(s, a)|} per row.
     * @return the weighted Huber loss before the step.
     */
    public float train(final SampleBatch batch, final boolean useWeights, final double[] tdOut)
    {
        final int n = batch.size();
        final int a = actions;
        batch.copyTo(fields.obs(), observations);
        batch.copyTo(fields.nextObs(), nextObservations);
        batch.copyTo(fields.action(), batchActions);
        batch.copyTo(fields.reward(), rewards);
        batch.copyTo(fields.terminal(), terminals);
        normalise(observations, n);
        normalise(nextObservations, n);

        final float[] qNextOnline = online.forward(nextObservations, n, nextOnlinePass);
        kernels.argmaxRows(qNextOnline, n, a, greedyNext);
        final float[] qNextTarget = target.forward(nextObservations, n, nextTargetPass);
        final float gamma = (float)config.gamma();
        for (int i = 0; i < n; i++)
        {
            final float bootstrap = 0 != terminals[i] ? 0.0f : gamma * qNextTarget[i * a + greedyNext[i]];
            targets[i] = rewards[i] + bootstrap;
        }

        final float[] q = online.forward(observations, n, currentPass);
        final double[] isWeights = batch.weights();
        for (int i = 0; i < n; i++)
        {
            predictions[i] = q[i * a + batchActions[i]];
            weights[i] = useWeights ? (float)isWeights[i] : 1.0f;
        }
        final float loss = kernels.huberLoss(predictions, targets, weights, n, config.huberKappa(), lossGrad);
        Arrays.fill(dOutput, 0, n * a, 0.0f);
        for (int i = 0; i < n; i++)
        {
            dOutput[i * a + batchActions[i]] = lossGrad[i];
            tdOut[i] = Math.abs((double)targets[i] - predictions[i]);
        }
        online.backward(currentPass, dOutput, grads);
        updates++;
        kernels.adamStep(online.parameters(), grads, adamM, adamV, online.size(), config.learningRate(),
            DqnConfig.ADAM_BETA1, DqnConfig.ADAM_BETA2, DqnConfig.ADAM_EPSILON, updates);
        if (config.targetPeriod() > 0)
        {
            if (0 == updates % config.targetPeriod())
            {
                target.copyFrom(online);
            }
        }
        else
        {
            target.blendFrom(online, config.targetTau());
        }
        return loss;
    }

    /**
     * Learner steps taken.
     *
     * @return the count.
     */
    public long updates()
    {
        return updates;
    }

    /**
     * The online network.
     *
     * @return the network.
     */
    public Mlp network()
    {
        return online;
    }

    private void normalise(final float[] x, final int rows)
    {
        final float[] shift = config.inputShift();
        final float[] scale = config.inputScale();
        if (null == shift && null == scale)
        {
            return;
        }
        final int d = observationSize;
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < d; j++)
            {
                final int i = r * d + j;
                float v = x[i];
                if (null != shift)
                {
                    v -= shift[j];
                }
                if (null != scale)
                {
                    v *= scale[j];
                }
                x[i] = v;
            }
        }
    }
}
