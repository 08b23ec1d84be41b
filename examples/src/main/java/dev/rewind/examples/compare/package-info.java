/**
 * The replay-strategy comparison: {@link dev.rewind.examples.compare.Variant} (what each strategy configures),
 * {@link dev.rewind.examples.compare.Hyperparameters} (every per-environment choice in one place),
 * {@link dev.rewind.examples.compare.Run} (one seeded training run, timed) and
 * {@link dev.rewind.examples.compare.Compare} (all runs on a thread pool, progress lines, the report directory).
 */
package dev.rewind.examples.compare;
