package dev.rewind.kernels;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The provider's choice in child JVMs started with and without the vector module, so that a JVM without
 * {@code --add-modules=jdk.incubator.vector} is shown to get the scalar twins, work, and say why exactly once.
 */
class KernelProviderTest
{
    private record Result(int exitCode, String stdout, String stderr)
    {
    }

    private static Result runProbe(final String... jvmArgs) throws IOException, InterruptedException
    {
        final String java = ProcessHandle.current().info().command().orElse(
            System.getProperty("java.home") + "/bin/java");
        final List<String> command = new ArrayList<>();
        command.add(java);
        command.add("-Xshare:auto");
        command.addAll(List.of(jvmArgs));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(KernelProviderProbe.class.getName());
        final Process process = new ProcessBuilder(command).start();
        final byte[] out = process.getInputStream().readAllBytes();
        final byte[] err = process.getErrorStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "probe timed out");
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8),
            new String(err, StandardCharsets.UTF_8));
    }

    private static int occurrences(final String text, final String part)
    {
        int count = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1))
        {
            count++;
        }
        return count;
    }

    @Test
    void shouldFallBackToScalarAndSayWhyOnceWithoutTheVectorModule() throws Exception
    {
        final Result result = runProbe();
        assertEquals(0, result.exitCode(), result.stderr());
        assertTrue(result.stdout().contains("kernels=ScalarKernels same=true sqrt9=3.0"), result.stdout());
        assertEquals(1, occurrences(result.stderr(), "using the scalar twins"), result.stderr());
        assertTrue(result.stderr().contains("--add-modules=jdk.incubator.vector"), result.stderr());
        assertFalse(result.stderr().contains("NoClassDefFoundError"), result.stderr());
    }

    @Test
    void shouldFallBackWhenVectorIsForcedButTheModuleIsMissing() throws Exception
    {
        final Result result = runProbe("-Drewind.kernels=vector");
        assertEquals(0, result.exitCode(), result.stderr());
        assertTrue(result.stdout().contains("kernels=ScalarKernels"), result.stdout());
        assertEquals(1, occurrences(result.stderr(), "is not available"), result.stderr());
    }

    @Test
    void shouldChooseVectorKernelsWithTheModule() throws Exception
    {
        final Result result = runProbe("--add-modules=jdk.incubator.vector");
        assertEquals(0, result.exitCode(), result.stderr());
        assertTrue(result.stdout().contains("kernels=VectorKernels same=true sqrt9=3.0"), result.stdout());
        assertEquals(0, occurrences(result.stderr(), "scalar twins"), result.stderr());
    }

    @Test
    void shouldHonourTheScalarSwitch() throws Exception
    {
        final Result result = runProbe("--add-modules=jdk.incubator.vector", "-Drewind.kernels=scalar");
        assertEquals(0, result.exitCode(), result.stderr());
        assertTrue(result.stdout().contains("kernels=ScalarKernels"), result.stdout());
        assertTrue(result.stdout().contains("forced by -Drewind.kernels=scalar"), result.stdout());
        assertEquals(1, occurrences(result.stderr(), "using the scalar twins"), result.stderr());
    }

    @Test
    void shouldFallBackWithoutC2() throws Exception
    {
        final Result result = runProbe("--add-modules=jdk.incubator.vector", "-XX:TieredStopAtLevel=1");
        assertEquals(0, result.exitCode(), result.stderr());
        assertTrue(result.stdout().contains("kernels=ScalarKernels"), result.stdout());
        assertEquals(1, occurrences(result.stderr(), "TieredStopAtLevel"), result.stderr());
    }

    /**
     * 128-bit vectors (4 floats): enough elsewhere, but on x86-64 several kernels ran the vector API's allocating
     * Java fallback at that width, so the provider takes the scalar twins there.
     */
    @Test
    void shouldFallBackOnX86WhenVectorsAre128Bits() throws Exception
    {
        final Result result = runProbe("--add-modules=jdk.incubator.vector", "-XX:MaxVectorSize=16");
        assertEquals(0, result.exitCode(), result.stderr());
        if (KernelProvider.x86())
        {
            assertTrue(result.stdout().contains("kernels=ScalarKernels"), result.stdout());
            assertEquals(1, occurrences(result.stderr(), "float lanes (fewer than 8"), result.stderr());
        }
        else
        {
            assertTrue(result.stdout().contains("kernels=VectorKernels"), result.stdout());
        }
    }

    /** 256-bit vectors (AVX2's width): the vector kernels, with the scalar pow on x86-64. */
    @Test
    void shouldChooseTheVectorKernelsAt256Bits() throws Exception
    {
        final Result result = runProbe("--add-modules=jdk.incubator.vector", "-XX:MaxVectorSize=32");
        assertEquals(0, result.exitCode(), result.stderr());
        assertTrue(result.stdout().contains("kernels=VectorKernels same=true sqrt9=3.0"), result.stdout());
        assertEquals(KernelProvider.x86(), result.stdout().contains("256-bit, scalar pow"), result.stdout());
    }

    @Test
    void shouldFallBackWhenTheSpeciesIsTooNarrow() throws Exception
    {
        // 8-byte vectors hold 2 floats: too narrow to pay.
        final Result result = runProbe("--add-modules=jdk.incubator.vector", "-XX:MaxVectorSize=8");
        assertEquals(0, result.exitCode(), result.stderr());
        assertTrue(result.stdout().contains("kernels=ScalarKernels"), result.stdout());
        assertEquals(1, occurrences(result.stderr(), "float lanes"), result.stderr());
    }
}
