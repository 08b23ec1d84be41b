package dev.rewind.examples.env;

/**
 * MountainCar-v0, ported from Gymnasium's {@code classic_control/mountain_car.py} (Moore 1990): an under-powered car
 * in a valley must rock back and forth to build up enough momentum to climb the right hill to the flag.
 * <ul>
 *     <li>Observation (2 floats): position in [-1.2, 0.6], velocity in [-0.07, 0.07].</li>
 *     <li>Actions: 0 accelerates left, 1 does not accelerate, 2 accelerates right.</li>
 *     <li>Dynamics, once per step:
 *     <pre>
 *     velocity += (action - 1) * 0.001 - 0.0025 * cos(3 * position)
 *     velocity  = clip(velocity, -0.07, 0.07)
 *     position += velocity
 *     position  = clip(position, -1.2, 0.6)
 *     if position == -1.2 and velocity &lt; 0: velocity = 0      (inelastic left wall)
 *     </pre></li>
 *     <li>Reward: -1 for every step.</li>
 *     <li>Termination (the goal): position &gt;= 0.5 and velocity &gt;= 0.</li>
 *     <li>Truncation: 200 steps.</li>
 *     <li>Reset: position uniform in [-0.6, -0.4), velocity 0.</li>
 * </ul>
 */
public final class MountainCar extends AbstractEnvironment
{
    /** Gymnasium identifier. */
    public static final String NAME = "MountainCar-v0";
    /** Left end of the track. */
    public static final double MIN_POSITION = -1.2;
    /** Right end of the track. */
    public static final double MAX_POSITION = 0.6;
    /** Speed limit in either direction. */
    public static final double MAX_SPEED = 0.07;
    /** Position of the flag. */
    public static final double GOAL_POSITION = 0.5;
    /** Minimum velocity at the flag for the goal to count. */
    public static final double GOAL_VELOCITY = 0.0;
    /** Acceleration of the engine per step. */
    public static final double FORCE = 0.001;
    /** Gravity coefficient of the hill slope {@code cos(3 * position)}. */
    public static final double GRAVITY = 0.0025;
    /** Lower bound of the reset position. */
    public static final double RESET_LOW = -0.6;
    /** Upper bound of the reset position. */
    public static final double RESET_HIGH = -0.4;
    /** Episode step limit of v0. */
    public static final int MAX_EPISODE_STEPS = 200;
    /** Gymnasium's reward threshold for v0. */
    public static final double SOLVED_RETURN = -110.0;
    /**
     * Return of the uniformly random policy: it essentially never reaches the flag within 200 steps
     * ({@link Environments#randomPolicyReturn} over 100,000 episodes, seed 1, gives -200.0).
     */
    public static final double RANDOM_RETURN = -200.0;

    private double position;
    private double velocity;

    /** Creates the environment; call a {@code reset} before the first step. */
    public MountainCar()
    {
        super(MAX_EPISODE_STEPS);
    }

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public int observationSize()
    {
        return 2;
    }

    @Override
    public int actionCount()
    {
        return 3;
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
     * Starts a new episode from the given state instead of a random one (for tests and demonstrations).
     *
     * @param position car position.
     * @param velocity car velocity.
     */
    public void setState(final double position, final double velocity)
    {
        this.position = position;
        this.velocity = velocity;
        beginEpisode();
    }

    /**
     * The car position in full precision.
     *
     * @return the car position in full precision.
     */
    public double position()
    {
        return position;
    }

    /**
     * The car velocity in full precision.
     *
     * @return the car velocity in full precision.
     */
    public double velocity()
    {
        return velocity;
    }

    @Override
    void resetState()
    {
        position = random.nextDouble(RESET_LOW, RESET_HIGH);
        velocity = 0.0;
    }

    @Override
    double advance(final int action)
    {
        double v = velocity + (action - 1) * FORCE + Math.cos(3 * position) * (-GRAVITY);
        v = Math.clamp(v, -MAX_SPEED, MAX_SPEED);
        double p = position + v;
        p = Math.clamp(p, MIN_POSITION, MAX_POSITION);
        if (MIN_POSITION == p && v < 0)
        {
            v = 0.0;
        }
        position = p;
        velocity = v;
        return -1.0;
    }

    @Override
    boolean atTerminalState()
    {
        return position >= GOAL_POSITION && velocity >= GOAL_VELOCITY;
    }

    @Override
    boolean atGoal()
    {
        return atTerminalState();
    }

    @Override
    void writeObservation(final float[] observation)
    {
        observation[0] = (float)position;
        observation[1] = (float)velocity;
    }
}
