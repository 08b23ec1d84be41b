package dev.rewind.kernels;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Chooses {@link Kernels#best()} once per JVM, and says why once when it is not the vector kernels.
 *
 * <p>The choice, in order:
 * <ol>
 * <li>{@code -Drewind.kernels=scalar} forces the scalar twins (logged at INFO).</li>
 * <li>Without the module {@code jdk.incubator.vector} in the boot layer (the JVM was started without
 * {@code --add-modules=jdk.incubator.vector}) the scalar twins are used (logged at WARNING). The check runs before
 * any class that links the vector API is touched, so such a JVM never sees {@link NoClassDefFoundError}.</li>
 * <li>Without a C2 compiler (interpreter only, or tiered compilation stopped below level 4) the vector API runs its
 * slow Java fallback: scalar twins (WARNING).</li>
 * <li>When the preferred float species has fewer than {@value #MIN_FLOAT_LANES} lanes (on x86-64 fewer than
 * {@value #MIN_FLOAT_LANES_X86}: 128-bit vectors there left several kernels, the tree search and min/max among them,
 * to the vector API's Java fallback, which allocates) the vector kernels cannot beat the scalar ones: scalar twins
 * (WARNING).</li>
 * <li>Otherwise the vector kernels; {@code -Drewind.kernels=vector} skips checks 3 and 4 (but not 2).</li>
 * </ol>
 * Messages go to the {@link System.Logger} named {@code dev.rewind.kernels}.
 */
final class KernelProvider
{
    /** System property that selects the kernels: {@code auto}, {@code scalar} or {@code vector}. */
    static final String REWIND_KERNELS_PROP_NAME = "rewind.kernels";

    /** Default of {@link #REWIND_KERNELS_PROP_NAME}. */
    static final String REWIND_KERNELS_DEFAULT = "auto";

    /** Fewest float lanes for which the vector kernels are chosen automatically. */
    static final int MIN_FLOAT_LANES = 4;

    /** Fewest float lanes for which the vector kernels are chosen automatically on x86-64 (256-bit vectors, AVX2). */
    static final int MIN_FLOAT_LANES_X86 = 8;

    static final String VECTOR_MODULE = "jdk.incubator.vector";

    static final System.Logger LOGGER = System.getLogger("dev.rewind.kernels");

    /** The kernels {@link Kernels#best()} returns. */
    static final Kernels BEST = choose(System.getProperty(REWIND_KERNELS_PROP_NAME, REWIND_KERNELS_DEFAULT));

    private KernelProvider()
    {
    }

    private static Kernels choose(final String requested)
    {
        final String mode = requested.trim().toLowerCase(Locale.ROOT);
        if ("scalar".equals(mode))
        {
            return scalar(System.Logger.Level.INFO, "forced by -D" + REWIND_KERNELS_PROP_NAME + "=scalar");
        }
        final boolean forceVector = "vector".equals(mode);
        if (!forceVector && !"auto".equals(mode))
        {
            LOGGER.log(System.Logger.Level.WARNING, "Rewind kernels: unknown -D" + REWIND_KERNELS_PROP_NAME + "=" +
                requested + " (expected auto, scalar or vector); using auto");
        }
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty())
        {
            return scalar(System.Logger.Level.WARNING, "module " + VECTOR_MODULE +
                " is not available; start the JVM with --add-modules=" + VECTOR_MODULE + " for the vector kernels");
        }
        if (!forceVector)
        {
            final String noCompiler = missingOptimisingCompiler();
            if (null != noCompiler)
            {
                return scalar(System.Logger.Level.WARNING, noCompiler);
            }
            final int floatLanes = VectorKernels.preferredFloatLanes();
            final int fewest = fewestFloatLanes();
            if (floatLanes < fewest)
            {
                return scalar(System.Logger.Level.WARNING, "the preferred vector species has " + floatLanes +
                    " float lanes (fewer than " + fewest + " on " + System.getProperty("os.arch") +
                    "): no speed-up over scalar code");
            }
        }
        final Kernels vector = new VectorKernels();
        LOGGER.log(System.Logger.Level.DEBUG, "Rewind kernels: " + vector.description());
        return vector;
    }

    /**
     * The fewest float lanes for which the vector kernels are chosen automatically on this machine.
     *
     * @return {@link #MIN_FLOAT_LANES_X86} on x86-64, else {@link #MIN_FLOAT_LANES}.
     */
    static int fewestFloatLanes()
    {
        return x86() ? MIN_FLOAT_LANES_X86 : MIN_FLOAT_LANES;
    }

    /**
     * Whether this JVM runs on x86-64.
     *
     * @return true for {@code os.arch} {@code amd64} or {@code x86_64}.
     */
    static boolean x86()
    {
        final String arch = System.getProperty("os.arch", "");
        return "amd64".equals(arch) || "x86_64".equals(arch);
    }

    private static Kernels scalar(final System.Logger.Level level, final String reason)
    {
        LOGGER.log(level, "Rewind kernels: using the scalar twins: " + reason);
        return new ScalarKernels("scalar (" + reason + ")");
    }

    /**
     * Why the vector API would run interpreted, or null when C2 is there.
     */
    private static String missingOptimisingCompiler()
    {
        final String vmInfo = System.getProperty("java.vm.info", "");
        if (vmInfo.contains("interpreted mode"))
        {
            return "the JVM runs interpreted only (-Xint): the vector API would run its slow Java fallback";
        }
        if (ModuleLayer.boot().findModule("jdk.management").isPresent())
        {
            try
            {
                final com.sun.management.HotSpotDiagnosticMXBean hotSpot =
                    ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
                if (null != hotSpot &&
                    Boolean.parseBoolean(hotSpot.getVMOption("TieredCompilation").getValue()) &&
                    Integer.parseInt(hotSpot.getVMOption("TieredStopAtLevel").getValue()) < 4)
                {
                    return "tiered compilation stops below C2 (-XX:TieredStopAtLevel < 4): the vector API would " +
                        "run its slow Java fallback";
                }
            }
            catch (final RuntimeException | LinkageError ex)
            {
                // Not a HotSpot VM or the options are absent: nothing to conclude.
            }
        }
        return null;
    }
}
