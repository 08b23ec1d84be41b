package dev.rewind.kernels;

/**
 * Run in a child JVM by {@link KernelProviderTest}: asks for the best kernels twice, uses them once, and prints
 * which implementation it got.
 */
public final class KernelProviderProbe
{
    private KernelProviderProbe()
    {
    }

    /**
     * Prints {@code kernels=<class> description=<description>}.
     *
     * @param args unused.
     */
    public static void main(final String[] args)
    {
        final Kernels first = Kernels.best();
        final Kernels second = Kernels.best();
        final double[] out = new double[3];
        first.perPriority(new double[] {1.0, 4.0, 9.0}, 0, out, 0, 3, 0.5, 0.0);
        System.out.println("kernels=" + second.getClass().getSimpleName() + " same=" + (first == second) +
            " sqrt9=" + out[2] + " description=" + second.description());
    }
}
