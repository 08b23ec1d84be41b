package dev.rewind.examples.env;

/**
 * CartPole-v1, ported from Gymnasium's {@code classic_control/cartpole.py}: a pole hinged on a cart that moves along
 * a frictionless track; the agent pushes the cart left or right to keep the pole upright.
 * <ul>
 *     <li>Observation (4 floats): cart position x, cart velocity x_dot, pole angle theta (radians, 0 is upright),
 *     pole angular velocity theta_dot.</li>
 *     <li>Actions: 0 pushes the cart left with force 10 N, 1 pushes it right.</li>
 *     <li>Dynamics: Gymnasium's explicit Euler step with tau = 0.02 s, gravity 9.8, cart mass 1.0, pole mass 0.1,
 *     half pole length 0.5 (Barto, Sutton and Anderson 1983, with Florian's 2007 correction of the equations):
 *     <pre>
 *     temp      = (force + m_p l theta_dot^2 sin theta) / (m_c + m_p)
 *     theta_acc = (g sin theta - cos theta temp) / (l (4/3 - m_p cos^2 theta / (m_c + m_p)))
 *     x_acc     = temp - m_p l theta_acc cos theta / (m_c + m_p)
 *     x += tau x_dot;  x_dot += tau x_acc;  theta += tau theta_dot;  theta_dot += tau theta_acc
 *     </pre></li>
 *     <li>Reward: +1 for every step, including the one that terminates (as in v1).</li>
 *     <li>Termination: |x| &gt; 2.4 or |theta| &gt; 12 degrees (strict inequalities, as in Gymnasium).</li>
 *     <li>Truncation: 500 steps.</li>
 *     <li>Reset: each of the four state variables uniform in [-0.05, 0.05).</li>
 * </ul>
 * The state is kept in doubles (Gymnasium uses float64) and written to the observation as floats (float32).
 */
public final class CartPole extends AbstractEnvironment
{
    /** Gymnasium identifier. */
    public static final String NAME = "CartPole-v1";
    /** Gravitational acceleration, m/s^2. */
    public static final double GRAVITY = 9.8;
    /** Mass of the cart, kg. */
    public static final double MASS_CART = 1.0;
    /** Mass of the pole, kg. */
    public static final double MASS_POLE = 0.1;
    /** Half the pole's length, m. */
    public static final double LENGTH = 0.5;
    /** Magnitude of the push, N. */
    public static final double FORCE_MAG = 10.0;
    /** Seconds between state updates. */
    public static final double TAU = 0.02;
    /** Pole angle beyond which the episode terminates: 12 degrees in radians. */
    public static final double THETA_THRESHOLD_RADIANS = 12 * 2 * Math.PI / 360;
    /** Cart position beyond which the episode terminates. */
    public static final double X_THRESHOLD = 2.4;
    /** Half-width of the uniform reset distribution of each state variable. */
    public static final double RESET_BOUND = 0.05;
    /** Episode step limit of v1. */
    public static final int MAX_EPISODE_STEPS = 500;
    /** Gymnasium's reward threshold for v1. */
    public static final double SOLVED_RETURN = 475.0;
    /**
     * Mean return of the uniformly random policy, measured with {@link Environments#randomPolicyReturn} over
     * 100,000 episodes (seed 1): 22.2 (seeds 2 and 3 agree to 0.1).
     */
    public static final double RANDOM_RETURN = 22.2;

    private static final double TOTAL_MASS = MASS_POLE + MASS_CART;
    private static final double POLEMASS_LENGTH = MASS_POLE * LENGTH;

    private double x;
    private double xDot;
    private double theta;
    private double thetaDot;

    /** Creates the environment; call a {@code reset} before the first step. */
    public CartPole()
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
        return 4;
    }

    @Override
    public int actionCount()
    {
        return 2;
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
        return false;
    }

    /**
     * Starts a new episode from the given state instead of a random one (for tests and demonstrations).
     *
     * @param x        cart position.
     * @param xDot     cart velocity.
     * @param theta    pole angle in radians.
     * @param thetaDot pole angular velocity.
     */
    public void setState(final double x, final double xDot, final double theta, final double thetaDot)
    {
        this.x = x;
        this.xDot = xDot;
        this.theta = theta;
        this.thetaDot = thetaDot;
        beginEpisode();
    }

    /**
     * The cart position in full precision.
     *
     * @return the cart position in full precision.
     */
    public double x()
    {
        return x;
    }

    /**
     * The cart velocity in full precision.
     *
     * @return the cart velocity in full precision.
     */
    public double xDot()
    {
        return xDot;
    }

    /**
     * The pole angle in radians, in full precision.
     *
     * @return the pole angle in radians, in full precision.
     */
    public double theta()
    {
        return theta;
    }

    /**
     * The pole angular velocity in full precision.
     *
     * @return the pole angular velocity in full precision.
     */
    public double thetaDot()
    {
        return thetaDot;
    }

    @Override
    void resetState()
    {
        x = random.nextDouble(-RESET_BOUND, RESET_BOUND);
        xDot = random.nextDouble(-RESET_BOUND, RESET_BOUND);
        theta = random.nextDouble(-RESET_BOUND, RESET_BOUND);
        thetaDot = random.nextDouble(-RESET_BOUND, RESET_BOUND);
    }

    @Override
    double advance(final int action)
    {
        final double force = 1 == action ? FORCE_MAG : -FORCE_MAG;
        final double cosTheta = Math.cos(theta);
        final double sinTheta = Math.sin(theta);

        final double temp = (force + POLEMASS_LENGTH * thetaDot * thetaDot * sinTheta) / TOTAL_MASS;
        final double thetaAcc = (GRAVITY * sinTheta - cosTheta * temp) /
            (LENGTH * (4.0 / 3.0 - MASS_POLE * cosTheta * cosTheta / TOTAL_MASS));
        final double xAcc = temp - POLEMASS_LENGTH * thetaAcc * cosTheta / TOTAL_MASS;

        x = x + TAU * xDot;
        xDot = xDot + TAU * xAcc;
        theta = theta + TAU * thetaDot;
        thetaDot = thetaDot + TAU * thetaAcc;
        return 1.0;
    }

    @Override
    boolean atTerminalState()
    {
        return x < -X_THRESHOLD || x > X_THRESHOLD || theta < -THETA_THRESHOLD_RADIANS ||
            theta > THETA_THRESHOLD_RADIANS;
    }

    @Override
    boolean atGoal()
    {
        return false;
    }

    @Override
    void writeObservation(final float[] observation)
    {
        observation[0] = (float)x;
        observation[1] = (float)xDot;
        observation[2] = (float)theta;
        observation[3] = (float)thetaDot;
    }
}
