package dev.rewind.examples.dqn;

import dev.rewind.examples.SplitMix64;
import dev.rewind.kernels.Activation;
import dev.rewind.kernels.Kernels;

/**
 * A multilayer perceptron {@code in -> hidden -> hidden -> out} with ReLU hidden layers and a linear output, on the
 * dense helpers of {@link Kernels}. All parameters live in one {@code float[]} (so that one Adam call and one target
 * copy cover them), laid out {@code W1, b1, W2, b2, W3, b3} with each {@code W} row-major {@code in x out}.
 *
 * <p>Initialisation as PyTorch's {@code nn.Linear}: weights and biases uniform in
 * {@code [-1/sqrt(fan_in), 1/sqrt(fan_in))}, drawn from a seeded {@link SplitMix64}.
 *
 * <p>Forward and backward passes use a caller-owned {@link Pass} holding the activations of one batch, so the steady
 * state allocates nothing. Not thread-safe.
 */
public final class Mlp
{
    private final int in;
    private final int hidden;
    private final int out;
    private final int w1;
    private final int b1;
    private final int w2;
    private final int b2;
    private final int w3;
    private final int b3;
    private final int size;
    private final Kernels kernels;
    private final float[] params;

    /**
     * Creates and initialises a network.
     *
     * @param in      inputs.
     * @param hidden  units of each hidden layer.
     * @param out     outputs.
     * @param seed    seed of the initial weights.
     * @param kernels the kernels to run.
     */
    public Mlp(final int in, final int hidden, final int out, final long seed, final Kernels kernels)
    {
        if (in < 1 || hidden < 1 || out < 1)
        {
            throw new IllegalArgumentException("layer sizes must be positive: in=" + in + " hidden=" + hidden +
                " out=" + out);
        }
        this.in = in;
        this.hidden = hidden;
        this.out = out;
        this.w1 = 0;
        this.b1 = w1 + in * hidden;
        this.w2 = b1 + hidden;
        this.b2 = w2 + hidden * hidden;
        this.w3 = b2 + hidden;
        this.b3 = w3 + hidden * out;
        this.size = b3 + out;
        this.kernels = kernels;
        this.params = new float[size];
        final SplitMix64 random = new SplitMix64(seed);
        initialise(random, w1, in * hidden + hidden, in);
        initialise(random, w2, hidden * hidden + hidden, hidden);
        initialise(random, w3, hidden * out + out, hidden);
    }

    private void initialise(final SplitMix64 random, final int from, final int count, final int fanIn)
    {
        final double bound = 1.0 / Math.sqrt(fanIn);
        for (int i = from; i < from + count; i++)
        {
            params[i] = (float)random.nextDouble(-bound, bound);
        }
    }

    /**
     * Number of parameters.
     *
     * @return the length of {@link #parameters()}.
     */
    public int size()
    {
        return size;
    }

    /**
     * Inputs per row.
     *
     * @return {@code in}.
     */
    public int inputs()
    {
        return in;
    }

    /**
     * Outputs per row.
     *
     * @return {@code out}.
     */
    public int outputs()
    {
        return out;
    }

    /**
     * The parameters, {@code W1, b1, W2, b2, W3, b3}.
     *
     * @return the backing array (not a copy).
     */
    public float[] parameters()
    {
        return params;
    }

    /**
     * Creates the activation storage for batches of up to {@code rows} rows.
     *
     * @param rows largest batch.
     * @return a pass.
     */
    public Pass newPass(final int rows)
    {
        return new Pass(rows, in, hidden, out);
    }

    /**
     * Computes the outputs of a batch, keeping the activations in {@code pass} for {@link #backward}.
     *
     * @param x    inputs, {@code rows x in}; kept by reference until the next forward into this pass.
     * @param rows number of rows, at most the pass's capacity.
     * @param pass activation storage.
     * @return the outputs, {@code rows x out} ({@code pass.output}).
     */
    public float[] forward(final float[] x, final int rows, final Pass pass)
    {
        pass.input = x;
        pass.rows = rows;
        kernels.denseForward(x, rows, in, params, w1, params, b1, hidden, Activation.RELU, pass.h1);
        kernels.denseForward(pass.h1, rows, hidden, params, w2, params, b2, hidden, Activation.RELU, pass.h2);
        kernels.denseForward(pass.h2, rows, hidden, params, w3, params, b3, out, Activation.IDENTITY, pass.output);
        return pass.output;
    }

    /**
     * Back-propagates {@code dL/doutput} through the last forward pass into {@code grads} (overwritten).
     *
     * @param pass       the pass of the forward call.
     * @param dOutput    gradient with respect to the outputs, {@code rows x out}; overwritten.
     * @param grads      receives the parameter gradients, laid out as {@link #parameters()}.
     */
    public void backward(final Pass pass, final float[] dOutput, final float[] grads)
    {
        final int rows = pass.rows;
        kernels.denseBackward(pass.h2, rows, hidden, params, w3, out, Activation.IDENTITY, pass.output, dOutput,
            pass.dh2, grads, w3, grads, b3);
        kernels.denseBackward(pass.h1, rows, hidden, params, w2, hidden, Activation.RELU, pass.h2, pass.dh2,
            pass.dh1, grads, w2, grads, b2);
        kernels.denseBackward(pass.input, rows, in, params, w1, hidden, Activation.RELU, pass.h1, pass.dh1,
            null, grads, w1, grads, b1);
    }

    /**
     * Copies another network's parameters into this one.
     *
     * @param source a network of the same shape.
     */
    public void copyFrom(final Mlp source)
    {
        System.arraycopy(source.params, 0, params, 0, size);
    }

    /**
     * Polyak averaging: {@code this = tau * source + (1 - tau) * this}.
     *
     * @param source a network of the same shape.
     * @param tau    weight of the source, in {@code (0, 1]}.
     */
    public void blendFrom(final Mlp source, final float tau)
    {
        final float[] src = source.params;
        final float keep = 1.0f - tau;
        for (int i = 0; i < size; i++)
        {
            params[i] = tau * src[i] + keep * params[i];
        }
    }

    /**
     * Activations of one batch through the network, reused across calls.
     */
    public static final class Pass
    {
        final int capacity;
        final float[] h1;
        final float[] h2;
        final float[] output;
        final float[] dh1;
        final float[] dh2;
        float[] input;
        int rows;

        Pass(final int capacity, final int in, final int hidden, final int out)
        {
            this.capacity = capacity;
            this.h1 = new float[capacity * hidden];
            this.h2 = new float[capacity * hidden];
            this.output = new float[capacity * out];
            this.dh1 = new float[capacity * hidden];
            this.dh2 = new float[capacity * hidden];
        }

        /**
         * The outputs of the last forward pass.
         *
         * @return {@code rows x out} values (the backing array).
         */
        public float[] output()
        {
            return output;
        }
    }
}
