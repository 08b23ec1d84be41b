/**
 * DALAP in the engine: a reconstruction of DALAP (Directly Attention Loss Adjusted Prioritized Experience Replay,
 * arXiv 2311.14390) from its published description. The paper's formulas and code are not public, so every choice
 * below is a named parameter with a documented default.
 * <ul>
 *     <li>{@link dev.rewind.engine.dalap.BetaPolicy}: how the importance exponent is chosen, constant, linearly
 *     annealed (PER) or by DALAP ({@link dev.rewind.engine.dalap.DalapBeta}).</li>
 *     <li>{@link dev.rewind.engine.dalap.DalapSampler}: Double-Sampling (a prioritized and a uniform minibatch from
 *     the same buffer in one call) and the Parallel Self-Attention Network on the simd-kernels similarity, whose
 *     Similarity-Increment sets beta.</li>
 *     <li>{@link dev.rewind.engine.dalap.StateActionFeatures}: the feature rows PSAN compares,
 *     {@code [standardised state, one-hot action]}, with running statistics kept by the writer.</li>
 *     <li>{@link dev.rewind.engine.dalap.PriorityEncouragement}: priority growth for the transitions before a goal,
 *     applied through the buffer's priority update so that the stale-update rule holds.</li>
 * </ul>
 * LAP priorities, used by DALAP's lineage, are a buffer option:
 * {@link dev.rewind.engine.ReplayBufferBuilder#lapPrioritized(double, double)}.
 */
package dev.rewind.engine.dalap;
