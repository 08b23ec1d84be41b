package dev.rewind.engine.dalap;

import dev.rewind.engine.DType;
import dev.rewind.engine.Field;
import dev.rewind.engine.SampleBatch;
import dev.rewind.kernels.Kernels;
import dev.rewind.kernels.RunningStats;

/**
 * DALAP's feature rows (a reconstruction of DALAP from its published description): {@code x_i = [standardised state
 * s_i, one-hot action a_i]}, so that the PSAN similarity does not depend on the units of the state.
 *
 * <h2>Running statistics: kept by the writer</h2>
 * The per-feature mean and deviation are those of every state inserted into the buffer: the thread that calls
 * {@code add} calls {@link #recordInserted} with the same state, in insert order. The statistics therefore depend only
 * on the data stream, never on which rows happen to be sampled, and a seeded run is deterministic. Until the first
 * state is recorded the state features are passed through unscaled.
 *
 * <p>Not thread-safe: the writer records and the learner extracts on one thread (the single-writer facade's rule).
 */
public final class StateActionFeatures implements FeatureExtractor
{
    private final Field state;
    private final Field action;
    private final int stateLength;
    private final int actionCount;
    private final int width;
    private final RunningStats stats;
    private final Kernels kernels;
    private float[] states = new float[0];
    private int[] actions = new int[0];

    /**
     * Features of a float32 state field and an int32 action field with {@code actionCount} discrete actions.
     *
     * @param state       the state field (float32, any shape; flattened).
     * @param action      the action field (int32 scalar), or null to use the state alone.
     * @param actionCount number of discrete actions (width of the one-hot part), {@code >= 1}; ignored without an
     *                    action field.
     * @param kernels     the kernels that standardise.
     * @throws IllegalArgumentException if a field has the wrong dtype or shape, or {@code actionCount < 1}.
     */
    public StateActionFeatures(final Field state, final Field action, final int actionCount, final Kernels kernels)
    {
        if (DType.FLOAT32 != state.dtype())
        {
            throw new IllegalArgumentException("state field must be float32: field=" + state);
        }
        if (null != action && (DType.INT32 != action.dtype() || 1 != action.elementCount()))
        {
            throw new IllegalArgumentException("action field must be a scalar int32: field=" + action);
        }
        if (null != action && actionCount < 1)
        {
            throw new IllegalArgumentException("actionCount must be positive: actionCount=" + actionCount);
        }
        this.state = state;
        this.action = action;
        this.stateLength = state.elementCount();
        this.actionCount = null == action ? 0 : actionCount;
        this.width = stateLength + this.actionCount;
        this.stats = new RunningStats(stateLength);
        this.kernels = kernels;
    }

    /**
     * Adds one inserted state to the running statistics; call it for every transition added, in insert order.
     *
     * @param values the state values.
     * @param offset index of the first value.
     * @throws IllegalArgumentException if the state does not fit the array.
     */
    public void recordInserted(final float[] values, final int offset)
    {
        stats.add(values, offset);
    }

    /**
     * The running statistics of the inserted states.
     *
     * @return the statistics (live; do not modify).
     */
    public RunningStats statistics()
    {
        return stats;
    }

    @Override
    public int width()
    {
        return width;
    }

    @Override
    public void extract(final SampleBatch batch, final float[] out)
    {
        final int rows = batch.size();
        if (out.length < rows * width)
        {
            throw new IllegalArgumentException("out too short: length=" + out.length + " needed=" + rows * width);
        }
        if (states.length < rows * stateLength)
        {
            states = new float[rows * stateLength];
            actions = new int[rows];
        }
        final float[] states = this.states;
        batch.copyTo(state, states);
        if (stats.count() > 0)
        {
            stats.standardise(kernels, states, rows, states);
        }
        if (null != action)
        {
            batch.copyTo(action, actions);
        }
        for (int r = 0; r < rows; r++)
        {
            final int base = r * width;
            System.arraycopy(states, r * stateLength, out, base, stateLength);
            if (null != action)
            {
                java.util.Arrays.fill(out, base + stateLength, base + width, 0.0f);
                final int a = actions[r];
                if (a >= 0 && a < actionCount)
                {
                    out[base + stateLength + a] = 1.0f;
                }
            }
        }
    }
}
