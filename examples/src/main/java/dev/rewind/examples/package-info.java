/**
 * Learners that use Rewind end to end, and the replay-strategy comparison.
 * <ul>
 *     <li>{@link dev.rewind.examples.env}: the environments, ported from Gymnasium's published dynamics.</li>
 *     <li>{@link dev.rewind.examples.dqn}: Double DQN with a small MLP on the simd-kernels dense helpers, reading its
 *     minibatches through the public facade only.</li>
 *     <li>{@link dev.rewind.examples.compare}: the replay variants (uniform, PER, LAP, DALAP and its ablations), the
 *     per-environment settings, one training run, and the comparison job ({@code rewind compare}).</li>
 *     <li>{@link dev.rewind.examples.report}: per-episode records in, {@code episodes.csv}, {@code summary.md} and
 *     SVG learning curves out.</li>
 *     <li>{@link dev.rewind.examples.Rewind}: the {@code rewind} command's entry point.</li>
 *     <li>{@link dev.rewind.examples.SplitMix64}: the small seeded generator every example uses, so that runs are
 *     reproducible without global state.</li>
 * </ul>
 */
package dev.rewind.examples;
