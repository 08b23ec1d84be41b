package dev.rewind.examples.dqn;

import dev.rewind.examples.compare.Hyperparameters;
import dev.rewind.examples.compare.Run;
import dev.rewind.examples.compare.Variant;
import dev.rewind.examples.env.CartPole;
import dev.rewind.examples.report.EpisodeRecord;
import dev.rewind.kernels.Kernels;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DoubleDqnTest
{
    @Test
    void shouldLearnCartPoleAboveTheRandomReturnWithinFifteenThousandSteps()
    {
        final Run run = new Run(CartPole.NAME, Variant.PER, 1, 15_000);
        final List<EpisodeRecord> episodes = run.execute(Hyperparameters.of(CartPole.NAME), Kernels.best()).episodes();
        double last = 0;
        for (int i = episodes.size() - 10; i < episodes.size(); i++)
        {
            last += episodes.get(i).episodeReturn() / 10;
        }
        assertTrue(last > 3 * CartPole.RANDOM_RETURN, "mean of the last 10 episodes: " + last);
    }

    @Test
    void shouldMatchFiniteDifferencesInTheBackwardPass()
    {
        final Mlp net = new Mlp(3, 5, 2, 42, Kernels.scalar());
        final Mlp.Pass pass = net.newPass(4);
        final float[] x = {0.3f, -0.2f, 0.9f, -0.5f, 0.1f, 0.4f, 0.7f, 0.7f, -0.8f, 0.05f, -0.3f, 0.6f};
        final float[] upstream = {0.5f, -1.0f, 0.25f, 0.75f, -0.5f, 0.1f, 1.0f, -0.2f};
        final float[] grads = new float[net.size()];
        net.forward(x, 4, pass);
        net.backward(pass, upstream.clone(), grads);
        final float[] params = net.parameters();
        final double h = 1e-3;
        for (int i = 0; i < net.size(); i++)
        {
            final float saved = params[i];
            params[i] = (float)(saved + h);
            final double plus = dot(net.forward(x, 4, pass), upstream);
            params[i] = (float)(saved - h);
            final double minus = dot(net.forward(x, 4, pass), upstream);
            params[i] = saved;
            assertEquals((plus - minus) / (2 * h), grads[i], 2e-3, "parameter " + i);
        }
    }

    private static double dot(final float[] a, final float[] b)
    {
        double s = 0;
        for (int i = 0; i < b.length; i++)
        {
            s += (double)a[i] * b[i];
        }
        return s;
    }

    @Test
    void shouldDecayEpsilonLinearly()
    {
        final DqnConfig config = Hyperparameters.of(CartPole.NAME).dqnFor(10_000);
        assertEquals(1.0, config.epsilon(0));
        assertEquals(config.epsilonEnd(), config.epsilon(config.epsilonDecaySteps()), 1e-12);
        assertEquals(config.epsilonEnd(), config.epsilon(1_000_000), 1e-12);
        assertEquals((1.0 + config.epsilonEnd()) / 2, config.epsilon(config.epsilonDecaySteps() / 2), 1e-3);
    }
}
