package dev.rewind.examples.env;

import java.util.Arrays;

/**
 * CliffWalking-v0, ported from Gymnasium's {@code toy_text/cliffwalking.py} (Sutton and Barto, Example 6.6): walk
 * from the bottom-left to the bottom-right corner of a 4 x 12 grid without stepping off the cliff between them.
 * <pre>
 *          column 0 1 2 3 4 5 6 7 8 9 10 11
 *     row 0        o o o o o o o o o o o  o
 *     row 1        o o o o o o o o o o o  o
 *     row 2        o o o o o o o o o o o  o
 *     row 3        S C C C C C C C C C C  G     S start (3,0), C cliff (3,1..10), G goal (3,11)
 * </pre>
 * <ul>
 *     <li>State: {@code row * 12 + column}, in [0, 48); the start is 36 and the goal 47.</li>
 *     <li>Observation (48 floats): a one-hot encoding of the state, so that a multilayer perceptron can learn it;
 *     {@link #state()} gives the integer state.</li>
 *     <li>Actions: 0 up, 1 right, 2 down, 3 left. A move into the grid's border leaves the agent in place.</li>
 *     <li>Reward: -1 per step; a move into the cliff gives -100 and puts the agent back on the start, and the
 *     episode continues (as in Gymnasium).</li>
 *     <li>Termination (the goal): entering (3,11). The optimal return is -13 (up, 11 x right, down).</li>
 *     <li>Truncation: Gymnasium registers no step limit for this task; this port truncates after
 *     {@link #MAX_EPISODE_STEPS} = 200 steps so that a learner cannot wander forever. 200 leaves room for 15 times
 *     the optimal path.</li>
 *     <li>Reset: always the start; the task has no randomness.</li>
 * </ul>
 */
public final class CliffWalking extends AbstractEnvironment
{
    /** Gymnasium identifier. */
    public static final String NAME = "CliffWalking-v0";
    /** Grid rows. */
    public static final int ROWS = 4;
    /** Grid columns. */
    public static final int COLUMNS = 12;
    /** Number of states, and length of the one-hot observation. */
    public static final int STATE_COUNT = ROWS * COLUMNS;
    /** Start state, (3,0). */
    public static final int START_STATE = 3 * COLUMNS;
    /** Goal state, (3,11). */
    public static final int GOAL_STATE = STATE_COUNT - 1;
    /** Action: move up (row - 1). */
    public static final int UP = 0;
    /** Action: move right (column + 1). */
    public static final int RIGHT = 1;
    /** Action: move down (row + 1). */
    public static final int DOWN = 2;
    /** Action: move left (column - 1). */
    public static final int LEFT = 3;
    /** Reward of an ordinary step. */
    public static final double STEP_REWARD = -1.0;
    /** Reward of a step into the cliff. */
    public static final double CLIFF_REWARD = -100.0;
    /** Step limit of this port (Gymnasium has none; see the class comment). */
    public static final int MAX_EPISODE_STEPS = 200;
    /** Return of the shortest path: 13 steps of -1. */
    public static final double OPTIMAL_RETURN = -13.0;
    /**
     * Threshold of the report: -20, i.e. the goal reached with at most 7 wasted steps and no fall. The optimum -13 is
     * reachable too, but an exploring learner rarely averages it over 10 episodes.
     */
    public static final double SOLVED_RETURN = -20.0;
    /**
     * Mean return of the uniformly random policy under the 200-step limit, measured with
     * {@link Environments#randomPolicyReturn} over 100,000 episodes (seed 1): -2080 (seeds 2 and 3 agree to 3).
     */
    public static final double RANDOM_RETURN = -2080.0;

    private static final int[] ROW_DELTA = {-1, 0, 1, 0};
    private static final int[] COLUMN_DELTA = {0, 1, 0, -1};

    private int state = START_STATE;

    /** Creates the environment; call a {@code reset} before the first step. */
    public CliffWalking()
    {
        super(MAX_EPISODE_STEPS);
    }

    /**
     * State index of a grid cell.
     *
     * @param row    0 (top) to 3 (bottom).
     * @param column 0 (left) to 11 (right).
     * @return {@code row * 12 + column}.
     */
    public static int stateOf(final int row, final int column)
    {
        return row * COLUMNS + column;
    }

    /**
     * Whether a cell is part of the cliff.
     *
     * @param row    grid row.
     * @param column grid column.
     * @return {@code true} for (3,1) .. (3,10).
     */
    public static boolean isCliff(final int row, final int column)
    {
        return ROWS - 1 == row && column >= 1 && column <= COLUMNS - 2;
    }

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public int observationSize()
    {
        return STATE_COUNT;
    }

    @Override
    public int actionCount()
    {
        return 4;
    }

    @Override
    public double solvedReturn()
    {
        return SOLVED_RETURN;
    }

    @Override
    public double randomReturn()
    {
        return RANDOM_RETURN;
    }

    @Override
    public boolean goalReaching()
    {
        return true;
    }

    /**
     * The agent's cell as an integer state.
     *
     * @return {@code row * 12 + column}.
     */
    public int state()
    {
        return state;
    }

    /**
     * Starts a new episode from the given cell instead of the start (for tests and demonstrations).
     *
     * @param row    grid row, not a cliff cell.
     * @param column grid column.
     * @throws IllegalArgumentException if the cell is outside the grid or on the cliff.
     */
    public void setState(final int row, final int column)
    {
        if (row < 0 || row >= ROWS || column < 0 || column >= COLUMNS || isCliff(row, column))
        {
            throw new IllegalArgumentException("not a standing cell: row=" + row + " column=" + column);
        }
        state = stateOf(row, column);
        beginEpisode();
    }

    @Override
    void resetState()
    {
        state = START_STATE;
    }

    @Override
    double advance(final int action)
    {
        final int row = Math.clamp(state / COLUMNS + ROW_DELTA[action], 0, ROWS - 1);
        final int column = Math.clamp(state % COLUMNS + COLUMN_DELTA[action], 0, COLUMNS - 1);
        if (isCliff(row, column))
        {
            state = START_STATE;
            return CLIFF_REWARD;
        }
        state = stateOf(row, column);
        return STEP_REWARD;
    }

    @Override
    boolean atTerminalState()
    {
        return GOAL_STATE == state;
    }

    @Override
    boolean atGoal()
    {
        return GOAL_STATE == state;
    }

    @Override
    void writeObservation(final float[] observation)
    {
        Arrays.fill(observation, 0, STATE_COUNT, 0.0f);
        observation[state] = 1.0f;
    }
}
