package dev.rewind.engine;

/**
 * How importance weights {@code w_i = (N P(i))^-beta} are scaled so that the largest is at most 1.
 */
public enum WeightNormalization
{
    /**
     * Divide by the largest weight any stored transition could get, {@code (N min_j P(j))^-beta}, as the PER paper
     * and cpprb do: weights of different batches are comparable.
     */
    GLOBAL_MIN,

    /** Divide by the largest weight in the batch: the batch's largest weight is exactly 1. */
    BATCH_MAX
}
