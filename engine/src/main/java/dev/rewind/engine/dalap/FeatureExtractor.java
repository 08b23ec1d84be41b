package dev.rewind.engine.dalap;

import dev.rewind.engine.SampleBatch;

/**
 * Turns the rows of a sampled batch into the feature rows {@code x_i} that PSAN compares. The standard one is
 * {@link StateActionFeatures}: {@code x_i = [standardised state, one-hot action]}.
 */
public interface FeatureExtractor
{
    /**
     * Features per row.
     *
     * @return the width {@code d}, positive.
     */
    int width();

    /**
     * Writes the features of every row of a batch.
     *
     * @param batch a filled batch.
     * @param out   receives {@code batch.size() x width()} floats, row-major from index 0.
     * @throws IllegalArgumentException if {@code out} is too short.
     */
    void extract(SampleBatch batch, float[] out);
}
