/**
 * Learners that use Rewind end to end, and the replay-strategy comparison.
 * <ul>
 *     <li>{@link dev.rewind.examples.env}: the environments, ported from Gymnasium's published dynamics.</li>
 *     <li>{@link dev.rewind.examples.report}: per-episode records in, {@code episodes.csv}, {@code summary.md} and
 *     SVG learning curves out.</li>
 *     <li>{@link dev.rewind.examples.SplitMix64}: the small seeded generator every example uses, so that runs are
 *     reproducible without global state.</li>
 * </ul>
 */
package dev.rewind.examples;
