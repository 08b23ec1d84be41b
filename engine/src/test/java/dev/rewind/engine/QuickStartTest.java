package dev.rewind.engine;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's quick start, verbatim between the markers, so that it cannot rot.
 */
class QuickStartTest
{
    @Test
    void shouldRunTheReadmeQuickStart()
    {
        final int[] observed = new int[3];
        // README quick start begins
        Schema schema = Schema.builder()
            .float32("obs", 4).int32("action").float32("reward").float32("next_obs", 4).bool("done")
            .build();
        Field obs = schema.field("obs");
        Field action = schema.field("action");
        Field reward = schema.field("reward");
        Field nextObs = schema.field("next_obs");
        Field done = schema.field("done");

        try (ReplayBuffer buffer = ReplayBuffer.builder()
            .schema(schema)
            .capacity(1_000_000)
            .prioritized(0.6, 1e-4)                  // alpha, eps (the defaults)
            .build())                                // or .mapped(path) to keep the file
        {
            Transitions t = buffer.newTransitions(1); // reusable staging, allocates nothing per add
            for (int step = 0; step < 1_000; step++)
            {
                boolean end = step % 200 == 199;
                t.clear().beginRow()
                    .put(obs, new float[]{step, 0, 0, 0}).putInt(action, step % 2).putFloat(reward, 1f)
                    .put(nextObs, new float[]{step + 1, 0, 0, 0}).putBool(done, end);
                if (end)
                {
                    t.endEpisode();
                }
                buffer.add(t);
            }

            SampleBatch batch = buffer.newBatch(256);   // reusable
            RandomGenerator rng = new SplittableRandom(42);
            float[] observations = new float[256 * 4];
            double[] newPriorities = new double[256];
            buffer.sample(batch, 0.4, rng);             // stratified prioritized draw, beta = 0.4
            batch.copyTo(obs, observations);            // or batch.getFloat(obs, row, i) straight from the mapping
            double[] weights = batch.weights();         // importance weights, max 1
            // ... train on the batch, compute |TD error| per row into newPriorities ...
            buffer.updatePriorities(batch, newPriorities);
            // README quick start ends
            observed[0] = buffer.size();
            observed[1] = (int)observations[4 * 255];
            observed[2] = weights[0] > 0 && weights[0] <= 1 ? 1 : 0;
            assertEquals(batch.index(255), (int)observations[4 * 255], "obs[0] of a record is its step");
        }
        assertEquals(1000, observed[0]);
        assertTrue(observed[1] >= 0 && observed[1] < 1000);
        assertEquals(1, observed[2]);
    }

    @Test
    void shouldMatchTheReadmeText() throws Exception
    {
        final java.nio.file.Path readme = java.nio.file.Path.of("..", "README.md");
        final String text = java.nio.file.Files.readString(readme);
        final String source = java.nio.file.Files.readString(
            java.nio.file.Path.of("src/test/java/dev/rewind/engine/QuickStartTest.java"));
        final String begin = "// README quick start begins\n";
        final String snippet = source.substring(source.indexOf(begin) + begin.length(),
            source.indexOf("            // README quick start ends"));
        final StringBuilder dedented = new StringBuilder();
        for (final String line : snippet.split("\n"))
        {
            dedented.append(line.length() >= 8 ? line.substring(8) : line.strip()).append('\n');
        }
        final String readmeBlock = text.substring(text.indexOf("```java\n") + 8, text.indexOf("}\n```"));
        assertEquals(readmeBlock, dedented.toString(), "README quick start and QuickStartTest differ");
    }
}
