/**
 * The numeric kernels of every replay step, on the Java Vector API ({@code jdk.incubator.vector}) over arrays and
 * {@link java.lang.foreign.MemorySegment}s, each with a plain scalar twin. No dependency beyond the JDK.
 *
 * <h2>Use</h2>
 * {@link dev.rewind.kernels.Kernels#best()} returns {@link dev.rewind.kernels.VectorKernels} when the JVM runs with
 * {@code --add-modules=jdk.incubator.vector}, a C2 compiler and at least 4 float lanes (8 on x86-64, where
 * narrower vectors ran some kernels in the vector API's allocating fallback), and otherwise
 * {@link dev.rewind.kernels.ScalarKernels} (logged once, with the reason, to the {@link java.lang.System.Logger}
 * {@code dev.rewind.kernels}). {@code -Drewind.kernels=scalar} forces the twins; {@code -Drewind.kernels=vector}
 * skips the usefulness checks. Both implementations are stateless and thread-safe; the state a kernel needs lives in
 * the caller's objects ({@link dev.rewind.kernels.PsanWorkspace}, {@link dev.rewind.kernels.RunningStats}), which are
 * single-threaded.
 *
 * <h2>Families</h2>
 * <ul>
 * <li>Priority transforms and importance weights: {@code perPriority}, {@code lapPriority},
 * {@code importanceWeights}, {@code importanceWeightsBatchMax}.</li>
 * <li>Reductions: {@code min}, {@code max}, {@code sum} over arrays and segments.</li>
 * <li>Fixed-point tree search and update: {@code descendFixedPoint}, {@code addToPrefixes}.</li>
 * <li>R2D2: {@code sequencePriorities}, {@code valueRescale}, {@code valueRescaleInverse}.</li>
 * <li>Standardisation: {@code standardise}, {@code standardiseRows}, with {@link dev.rewind.kernels.RunningStats}.</li>
 * <li>PSAN similarity (reconstruction of DALAP from its published description): {@code psanSimilarity},
 * {@code psanSimilarityPair}, {@code psanAttention}, with {@link dev.rewind.kernels.PsanWorkspace} and
 * {@link dev.rewind.kernels.PsanMeasure}.</li>
 * <li>Sparse-attention metrics: {@code confusion}, {@code contribution}, {@code confusionContributionLoss}.</li>
 * <li>Dense-layer helpers for small MLP learners: {@code denseForward}, {@code denseBackward}, {@code adamStep},
 * {@code huberLoss}, {@code argmaxRows}, with {@link dev.rewind.kernels.Activation}.</li>
 * </ul>
 */
package dev.rewind.kernels;
