package dev.rewind.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The numeric kernels of a replay step. Two implementations exist: a vector one on
 * {@code jdk.incubator.vector} and its scalar twin, which is the reference the vector one is tested against.
 * Obtain the best available with {@link #best()}; it falls back to {@link #scalar()} (and says why, once) when the
 * vector module is missing or gives no speed-up on this platform.
 *
 * <h2>Fixed-point tree layout (used by {@link #descendFixedPoint} and {@link #addToPrefixes})</h2>
 * A k-ary tree of {@code long} integer masses stored level after level in one {@link MemorySegment}: level
 * {@code l} starts at byte {@code levelOffsets[l]}, 8-byte aligned, and node {@code j} of level {@code l} has its
 * children at nodes {@code j * fanout .. j * fanout + fanout - 1} of level {@code l + 1}. The last level
 * ({@code depth}) holds the leaves' masses; every internal level below the root holds running sums within each group
 * of siblings; the root is not stored. Levels are padded to a multiple of the fan-out.

 * <h2>Conventions</h2>
 * <ul>
 * <li>Every {@code double} or {@code float} read from a {@link MemorySegment} is little-endian (the mapped file's
 * byte order) and need not be aligned.</li>
 * <li>Matrices are row-major in one array: element {@code (r, c)} of an {@code R x C} matrix is at
 * {@code r * C + c} (plus the offset parameter where there is one).</li>
 * <li>Checked on every call, with an {@link IllegalArgumentException} that names the bad value: counts and
 * array ranges, scalar parameters (negative or NaN exponents, a non-positive floor, a fan-out that is not a power of
 * two in {@code [2, 64]}, a negative search target). Not checked (the caller's contract, too costly per
 * element on the hot path): the contents of input arrays and segments (NaN, negative or zero masses, attention rows
 * that do not sum to 1), aliasing beyond what a method allows, and that tree offsets really describe a tree (a
 * segment read outside the segment throws {@link IndexOutOfBoundsException}).</li>
 * <li>Results of the vector kernels equal their scalar twins' exactly where the arithmetic is the same sequence of
 * correctly rounded operations (value rescaling, standardisation, Adam, dense forward, {@code min}, {@code max});
 * sums may be associated differently (a few ulps per term), and {@code pow}/{@code exp} may differ by up to 1 ulp
 * on each side (both are within 1 ulp of the exact value). Each method says which applies.</li>
 * </ul>
 */
public interface Kernels
{
    // ---------------------------------------------------------------------------------------------------------
    // Priority transforms and importance weights
    // ---------------------------------------------------------------------------------------------------------

    /**
     * Proportional-PER priority transform: {@code out[i] = (|d[i]| + eps)^alpha}.
     * The vector kernel's {@code pow} and {@code Math.pow} are each within 1 ulp of the exact value.
     * {@code out} may be {@code d} with {@code outOff == dOff} (in place).
     *
     * @param d      source values (TD errors or raw priorities).
     * @param dOff   first index read from {@code d}.
     * @param out    destination.
     * @param outOff first index written in {@code out}.
     * @param n      number of values.
     * @param alpha  exponent, {@code >= 0}.
     * @param eps    offset added to {@code |d|}, {@code >= 0}.
     * @throws IllegalArgumentException if a range is out of bounds, or {@code alpha} or {@code eps} is negative,
     *                                  NaN or infinite.
     */
    void perPriority(double[] d, int dOff, double[] out, int outOff, int n, double alpha, double eps);

    /**
     * Loss-adjusted priority transform (LAP): {@code out[i] = max(|d[i]|, kappa)^alpha}.
     * The vector kernel's {@code pow} and {@code Math.pow} are each within 1 ulp of the exact value.
     * {@code out} may be {@code d} with {@code outOff == dOff} (in place).
     *
     * @param d      source values.
     * @param dOff   first index read from {@code d}.
     * @param out    destination.
     * @param outOff first index written in {@code out}.
     * @param n      number of values.
     * @param alpha  exponent, {@code >= 0}.
     * @param kappa  floor applied to {@code |d|}, {@code > 0}.
     * @throws IllegalArgumentException if a range is out of bounds, {@code alpha} is negative, NaN or infinite, or
     *                                  {@code kappa} is not finite and positive.
     */
    void lapPriority(double[] d, int dOff, double[] out, int outOff, int n, double alpha, double kappa);

    /**
     * Importance weights normalised by a reference mass: {@code out[i] = (mass[i] / refMass)^-beta}.
     * With {@code refMass} the global minimum leaf mass this is PER's {@code (N P(i))^-beta / max_j (N P(j))^-beta};
     * with the batch's minimum mass it is the batch-max normalisation (see {@link #importanceWeightsBatchMax}).
     * The quotient is rounded once, then raised with {@code pow} (within 1 ulp in both implementations).
     * {@code out} may be {@code mass} (in place). Masses are not checked: a zero mass gives infinity.
     *
     * @param mass    sampled leaf masses ({@code p^alpha}), each {@code > 0}.
     * @param out     destination weights.
     * @param n       number of values.
     * @param refMass reference mass, {@code > 0}.
     * @param beta    importance exponent, {@code >= 0}.
     * @throws IllegalArgumentException if {@code n} is out of range for an array, {@code refMass} is not finite and
     *                                  positive, or {@code beta} is negative, NaN or infinite.
     */
    void importanceWeights(double[] mass, double[] out, int n, double refMass, double beta);

    /**
     * Importance weights with the batch-max normalisation: {@code out[i] = (mass[i] / min_j mass[j])^-beta}, so the
     * largest weight of the batch is exactly 1. Composed of {@link #min} and {@link #importanceWeights}.
     *
     * @param mass sampled leaf masses, each {@code > 0}.
     * @param out  destination weights; may be {@code mass}.
     * @param n    number of values, {@code >= 1}.
     * @param beta importance exponent, {@code >= 0}.
     * @return the batch's minimum mass, the reference used.
     * @throws IllegalArgumentException as {@link #importanceWeights}, or if the minimum mass is not positive.
     */
    default double importanceWeightsBatchMax(final double[] mass, final double[] out, final int n, final double beta)
    {
        final double refMass = min(mass, n);
        importanceWeights(mass, out, n, refMass, beta);
        return refMass;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reductions
    // ---------------------------------------------------------------------------------------------------------

    /**
     * The smallest value of {@code values[0..n)}. Exact (the same value in both implementations); a NaN anywhere
     * makes the result NaN.
     *
     * @param values values to scan.
     * @param n      number of values, {@code >= 1}.
     * @return the minimum.
     * @throws IllegalArgumentException if {@code n} is not in {@code [1, values.length]}.
     */
    double min(double[] values, int n);

    /**
     * The largest value of {@code values[0..n)}. Exact; a NaN anywhere makes the result NaN.
     *
     * @param values values to scan.
     * @param n      number of values, {@code >= 1}.
     * @return the maximum.
     * @throws IllegalArgumentException if {@code n} is not in {@code [1, values.length]}.
     */
    double max(double[] values, int n);

    /**
     * The sum of {@code values[0..n)}. The vector kernel keeps several partial sums, so it may differ from the
     * sequential sum by up to about {@code n * 2^-53 * sum|values|}.
     *
     * @param values values to add.
     * @param n      number of values, {@code >= 0}.
     * @return the sum, {@code 0} for {@code n = 0}.
     * @throws IllegalArgumentException if {@code n} is not in {@code [0, values.length]}.
     */
    double sum(double[] values, int n);

    /**
     * The sum of {@code n} consecutive little-endian doubles of a segment (for instance the children of a tree
     * node). Rounding as {@link #sum(double[], int)}.
     *
     * @param segment the segment.
     * @param offset  byte offset of the first value.
     * @param n       number of values, {@code >= 0}.
     * @return the sum, {@code 0} for {@code n = 0}.
     * @throws IllegalArgumentException  if {@code n} is negative.
     * @throws IndexOutOfBoundsException if the run leaves the segment.
     */
    double sum(MemorySegment segment, long offset, int n);

    /**
     * The smallest of {@code n} consecutive little-endian doubles of a segment. Exact.
     *
     * @param segment the segment.
     * @param offset  byte offset of the first value.
     * @param n       number of values, {@code >= 1}.
     * @return the minimum.
     * @throws IllegalArgumentException  if {@code n < 1}.
     * @throws IndexOutOfBoundsException if the run leaves the segment.
     */
    double min(MemorySegment segment, long offset, int n);

    /**
     * The largest of {@code n} consecutive little-endian doubles of a segment. Exact.
     *
     * @param segment the segment.
     * @param offset  byte offset of the first value.
     * @param n       number of values, {@code >= 1}.
     * @return the maximum.
     * @throws IllegalArgumentException  if {@code n < 1}.
     * @throws IndexOutOfBoundsException if the run leaves the segment.
     */
    double max(MemorySegment segment, long offset, int n);

    // ---------------------------------------------------------------------------------------------------------
    // Fixed-point tree search and update
    // ---------------------------------------------------------------------------------------------------------

    /**
     * Descends a fixed-point tree for each target, level by level. The leaf level {@code depth} stores each leaf's
     * integer mass (a little-endian {@code long >= 0} at {@code levelOffsets[depth] + 8 * leaf}; padding leaves hold
     * 0). Every internal level {@code l} in {@code 1 .. depth - 1} stores, at {@code levelOffsets[l] + 8 * k}, the
     * sum of the masses of node {@code k} and of its earlier siblings (the children of the same parent before it):
     * a node's own mass is its prefix minus its left sibling's, and a parent's mass is the prefix of its last child.
     * Integer sums are exact and independent of order, so the tree holds no rounding to drift. A step takes the
     * first child whose prefix exceeds the target (on the leaf level, the running sum of the leaves' masses), and
     * the target minus the prefix before that child goes down; the chosen leaf's mass is returned.
     *
     * <p>On an internal level a prefix of {@link Long#MIN_VALUE} marks a child that does not exist (the padding
     * after a level's last node); every existing child's prefix is {@code >= 0}. A step never chooses a missing
     * child: a target at or beyond the existing children's total (possible only for a reader racing a writer, or a
     * target at or beyond the root mass) takes the last existing child with positive mass (child 0 when none has
     * one) and goes on with that child's last unit of mass. So a racing reader still ends on an existing leaf,
     * though perhaps not the one a quiet tree would give, and a leaf of mass 0 is chosen only when its whole
     * group has none. On a consistent tree the scalar and vector kernels choose exactly the same leaves.
     *
     * @param tree         the tree.
     * @param levelOffsets byte offset of each level, {@code depth + 1} entries (at least 2); entry 0 (the root)
     *                     is not read.
     * @param fanout       children per node, a power of two.
     * @param targets      target masses in {@code [0, root mass)}; overwritten with scratch values.
     * @param n            number of targets.
     * @param outLeaf      receives each target's leaf index.
     * @param outMass      receives each chosen leaf's mass.
     * @throws IllegalArgumentException  if {@code fanout} is bad, {@code levelOffsets} has fewer than 2 entries,
     *                                   {@code n} does not fit an array, or a target is negative.
     * @throws IndexOutOfBoundsException if a read leaves the segment.
     */
    void descendFixedPoint(MemorySegment tree, long[] levelOffsets, int fanout, long[] targets, int n,
        int[] outLeaf, long[] outMass);

    /**
     * Adds {@code deltas[k]} to the prefix of node {@code nodes[k]} of one internal level of a fixed-point tree (see
     * {@link #descendFixedPoint}) and to those of its later siblings that exist, for {@code k} in order: the change
     * of a node's mass by the delta, one masked vector add per node. Siblings at or beyond {@code existing} (the
     * padding) keep their values; a kernel may store a lane back unchanged, so only the one writer thread of the
     * tree may call this (a reader sees every lane whole either way). Exact: integer additions commute, so the result
     * does not depend on the order of the entries, and a node may be listed more than once.
     *
     * @param tree        the tree.
     * @param levelOffset byte offset of the level's prefixes.
     * @param fanout      children per node, a power of two.
     * @param existing    the number of nodes of the level that exist.
     * @param nodes       node indices in {@code [0, existing)}.
     * @param deltas      the change of each node's mass.
     * @param count       number of entries.
     * @throws IllegalArgumentException  if {@code fanout} is bad, {@code count} does not fit an array, or a node is
     *                                   outside {@code [0, existing)}.
     * @throws IndexOutOfBoundsException if a write leaves the segment.
     */
    void addToPrefixes(MemorySegment tree, long levelOffset, int fanout, int existing, int[] nodes, long[] deltas,
        int count);

    // ---------------------------------------------------------------------------------------------------------
    // R2D2: sequence priorities and value rescaling
    // ---------------------------------------------------------------------------------------------------------

    /**
     * R2D2 sequence priorities: for each of {@code sequences} consecutive runs of {@code length} TD errors,
     * {@code out[s] = eta * max_t |td[t]| + (1 - eta) * mean_t |td[t]|}. The mean's sum is associated differently
     * by the vector kernel (up to about {@code length * 2^-53} relative); the max is exact.
     *
     * @param td        TD errors, sequence after sequence.
     * @param tdOff     index of the first error of the first sequence.
     * @param sequences number of sequences, {@code >= 0}.
     * @param length    errors per sequence, {@code >= 1} (R2D2: 80, or the trained part after burn-in).
     * @param eta       weight of the max, in {@code [0, 1]} (R2D2: 0.9).
     * @param out       destination priorities.
     * @param outOff    index of the first priority written.
     * @throws IllegalArgumentException if a range is out of bounds, {@code length < 1}, or {@code eta} is not in
     *                                  {@code [0, 1]}.
     */
    void sequencePriorities(double[] td, int tdOff, int sequences, int length, double eta, double[] out,
        int outOff);

    /**
     * Value rescaling {@code h(x) = sign(x) (sqrt(|x| + 1) - 1) + eps x} (Pohlen et al. 2018, used by R2D2),
     * computed as {@code sign(x) |x| / (sqrt(|x| + 1) + 1) + eps x} to avoid cancellation near 0. Only correctly
     * rounded operations in a fixed order: the vector and scalar kernels agree exactly. In place allowed.
     *
     * @param x      source values.
     * @param xOff   first index read.
     * @param out    destination.
     * @param outOff first index written.
     * @param n      number of values.
     * @param eps    linear term, {@code >= 0} (R2D2: 1e-3).
     * @throws IllegalArgumentException if a range is out of bounds or {@code eps} is negative, NaN or infinite.
     */
    void valueRescale(float[] x, int xOff, float[] out, int outOff, int n, float eps);

    /**
     * The exact inverse of {@link #valueRescale}:
     * {@code h^-1(x) = sign(x) (((sqrt(1 + 4 eps (|x| + 1 + eps)) - 1) / (2 eps))^2 - 1)}, computed without
     * cancellation as {@code sign(x) (y - 1)(y + 1)} with {@code y = 2 (|x| + 1 + eps) / (sqrt(1 + 4 eps (|x| + 1 +
     * eps)) + 1)}, which is also the {@code eps = 0} limit {@code sign(x) ((|x| + 1)^2 - 1)}. The vector and scalar
     * kernels agree exactly. In place allowed.
     *
     * @param x      rescaled values.
     * @param xOff   first index read.
     * @param out    destination.
     * @param outOff first index written.
     * @param n      number of values.
     * @param eps    the {@code eps} of the forward map, {@code >= 0}.
     * @throws IllegalArgumentException if a range is out of bounds or {@code eps} is negative, NaN or infinite.
     */
    void valueRescaleInverse(float[] x, int xOff, float[] out, int outOff, int n, float eps);

    // ---------------------------------------------------------------------------------------------------------
    // Feature standardisation
    // ---------------------------------------------------------------------------------------------------------

    /**
     * Standardises a batch: {@code out[r, j] = (x[r, j] - mean[j]) * invStd[j]} for a {@code rows x features}
     * matrix. The two operations are correctly rounded in both kernels, so they agree exactly. {@code out} may be
     * {@code x}. See {@link RunningStats} for the statistics.
     *
     * @param x        rows, {@code rows x features}.
     * @param rows     number of rows, {@code >= 0}.
     * @param features features per row, {@code >= 1}.
     * @param mean     per-feature mean, {@code features} entries.
     * @param invStd   per-feature reciprocal deviation, {@code features} entries.
     * @param out      destination, {@code rows x features}.
     * @throws IllegalArgumentException if a size is negative or an array is too short.
     */
    void standardise(float[] x, int rows, int features, float[] mean, float[] invStd, float[] out);

    /**
     * Gathers rows of little-endian floats from a segment (for instance one field of sampled records) and
     * standardises them into a dense batch: {@code out[r, j] = (row_r[j] - mean[j]) * invStd[j]} where
     * {@code row_r} starts at byte {@code rowOffsets[r]}. Agrees exactly with the scalar kernel.
     *
     * @param segment    the segment holding the rows.
     * @param rowOffsets byte offset of each row.
     * @param rows       number of rows, {@code >= 0}.
     * @param features   features per row, {@code >= 1}.
     * @param mean       per-feature mean.
     * @param invStd     per-feature reciprocal deviation.
     * @param out        destination, {@code rows x features}.
     * @throws IllegalArgumentException  if a size is negative or an array is too short.
     * @throws IndexOutOfBoundsException if a row leaves the segment.
     */
    void standardiseRows(MemorySegment segment, long[] rowOffsets, int rows, int features, float[] mean,
        float[] invStd, float[] out);

    // ---------------------------------------------------------------------------------------------------------
    // PSAN similarity (DALAP reconstruction)
    // ---------------------------------------------------------------------------------------------------------

    /**
     * The similarity of one batch through one self-attention branch: the attention
     * {@code A = softmax_rows(Q K^T / sqrt(dk))} (see {@link PsanWorkspace}) reduced by {@code measure}.
     * The softmax subtracts each row's maximum score before {@code exp}, so no score overflows.
     *
     * <p>Both kernels form each score as the same chain of fused multiply-adds over {@code dk}, so the scores agree
     * exactly; they differ in {@code exp} (within 1 float ulp each) and in the order of the row sums (float, up to
     * about {@code B * 2^-24} relative). The result is accumulated in double.
     *
     * @param x       the batch, {@code rows x ws.features()} floats, row-major from index 0 (standardise it first).
     * @param rows    batch size {@code B}, in {@code [1, ws.maxRows()]}.
     * @param measure how {@code A} becomes one number.
     * @param ws      the projections and scratch; its matrix is overwritten.
     * @return the similarity {@code I(X)} in {@code [0, 1]}.
     * @throws IllegalArgumentException if {@code rows} is out of range or {@code x} is too short.
     */
    double psanSimilarity(float[] x, int rows, PsanMeasure measure, PsanWorkspace ws);

    /**
     * The parallel form (PSAN's two branches with shared weights): the similarities of a uniform and a prioritised
     * batch of the same size in one call, {@code out[0] = I(uniform)}, {@code out[1] = I(prioritised)}. Each equals
     * what {@link #psanSimilarity} returns for that batch. DALAP's similarity increment is
     * {@code out[1] - out[0]}.
     *
     * @param uniform     the random-uniform batch, {@code rows x ws.features()}.
     * @param prioritised the prioritised batch, {@code rows x ws.features()}.
     * @param rows        batch size, in {@code [1, ws.maxRows()]}.
     * @param measure     how each attention matrix becomes one number.
     * @param ws          the projections and scratch.
     * @param out         receives the two similarities, at least 2 entries.
     * @throws IllegalArgumentException if {@code rows} is out of range or an array is too short.
     */
    void psanSimilarityPair(float[] uniform, float[] prioritised, int rows, PsanMeasure measure, PsanWorkspace ws,
        double[] out);

    /**
     * The full attention matrix of one batch, {@code A = softmax_rows(Q K^T / sqrt(dk))}, written to
     * {@link PsanWorkspace#attention()} ({@code rows x rows}, each row sums to 1 within float rounding).
     *
     * @param x    the batch, {@code rows x ws.features()}.
     * @param rows batch size, in {@code [1, ws.maxRows()]}.
     * @param ws   the projections and scratch.
     * @throws IllegalArgumentException if {@code rows} is out of range or {@code x} is too short.
     */
    void psanAttention(float[] x, int rows, PsanWorkspace ws);

    // ---------------------------------------------------------------------------------------------------------
    // Sparse-attention metrics (Singh and Zheng 2021)
    // ---------------------------------------------------------------------------------------------------------

    /**
     * Confusion of each attention row over {@code clusters} value-function modes ({@code N_b}):
     * {@code out[t] = 1 / (N_b * sum_i a[t, i]^2)}. For a row that sums to 1 it lies in {@code [1/N_b, 1]}:
     * {@code 1/N_b} for a one-hot row, 1 for a uniform row. The sum of squares is associated differently by the
     * vector kernel.
     *
     * @param attention attention weights, {@code rows x clusters}.
     * @param rows      number of rows {@code T}, {@code >= 0}.
     * @param clusters  modes per row {@code N_b}, {@code >= 1}.
     * @param out       receives {@code rows} confusions.
     * @throws IllegalArgumentException if a size is bad or an array is too short.
     */
    void confusion(double[] attention, int rows, int clusters, double[] out);

    /**
     * Contribution of each mode over a trajectory of {@code T} attention rows:
     * {@code out[i] = (1/T) sum_t confusion[t] * a[t, i]}.
     *
     * @param attention attention weights, {@code rows x clusters}.
     * @param rows      number of rows {@code T}, {@code >= 1}.
     * @param clusters  modes per row {@code N_b}, {@code >= 1}.
     * @param confusion the rows' confusions (from {@link #confusion}).
     * @param out       receives {@code clusters} contributions.
     * @throws IllegalArgumentException if a size is bad or an array is too short.
     */
    void contribution(double[] attention, int rows, int clusters, double[] confusion, double[] out);

    /**
     * The confusion-contribution loss of one trajectory and its gradient with respect to the attention weights:
     * {@code L = k1 (1/T) sum_t ln confusion[t] + k2 ln sum_i contribution[i]^2}. The weights are treated as free
     * variables (a caller that produces them with a softmax back-propagates through it). With
     * {@code q_t = sum_j a[t, j]^2}, {@code R = sum_i rho_i^2} and {@code delta_t} the confusion:
     * {@code dL/da[t, k] = -2 k1 a[t, k] / (T q_t) + (2 k2 delta_t / (T R)) (rho_k - 2 a[t, k] (rho . a_t) / q_t)}.
     *
     * @param attention       attention weights, {@code rows x clusters}, each row with a positive entry.
     * @param rows            number of rows {@code T}, {@code >= 1}.
     * @param clusters        modes per row {@code N_b}, {@code >= 1}.
     * @param k1              weight of the confusion term (positive to enforce sparsity).
     * @param k2              weight of the contribution term (positive to spread the modes).
     * @param confusionOut    receives the {@code rows} confusions.
     * @param contributionOut receives the {@code clusters} contributions.
     * @param gradOut         receives {@code dL/da}, {@code rows x clusters}; may be null to skip the gradient.
     * @return the loss.
     * @throws IllegalArgumentException if a size is bad, an array is too short, or {@code k1} or {@code k2} is not
     *                                  finite.
     */
    double confusionContributionLoss(double[] attention, int rows, int clusters, double k1, double k2,
        double[] confusionOut, double[] contributionOut, double[] gradOut);

    // ---------------------------------------------------------------------------------------------------------
    // Dense-layer helpers for small MLP learners (float)
    // ---------------------------------------------------------------------------------------------------------

    /**
     * A dense layer over a batch: {@code y[r, o] = act(b[o] + sum_k x[r, k] * w[k, o])}, with {@code x}
     * {@code batch x in}, {@code w} {@code in x out} (row-major: the weights into output {@code o} are a column),
     * {@code y} {@code batch x out}. {@code batch = 1} is the matrix-vector product of acting. Each output is the
     * same chain of fused multiply-adds over {@code k} (starting from the bias) in both kernels: they agree
     * exactly. {@code y} must not overlap {@code x}.
     *
     * @param x     inputs, {@code batch x in}.
     * @param batch number of rows, {@code >= 0}.
     * @param in    inputs per row, {@code >= 1}.
     * @param w     weights, {@code in x out} starting at {@code wOff}.
     * @param wOff  index of {@code w[0, 0]}.
     * @param b     biases, {@code out} starting at {@code bOff}.
     * @param bOff  index of {@code b[0]}.
     * @param out   outputs per row, {@code >= 1}.
     * @param act   activation.
     * @param y     destination, {@code batch x out}.
     * @throws IllegalArgumentException if a size is bad or an array is too short.
     */
    void denseForward(float[] x, int batch, int in, float[] w, int wOff, float[] b, int bOff, int out,
        Activation act, float[] y);

    /**
     * Back-propagates through a dense layer computed by {@link #denseForward}. Given {@code dy = dL/dy}, first
     * replaces it in place by {@code dz = dL/dz} (the activation's derivative, from {@code y}), then writes
     * {@code dw[k, o] = sum_r x[r, k] dz[r, o]}, {@code db[o] = sum_r dz[r, o]} (overwriting, not accumulating),
     * and, if {@code dx} is not null, {@code dx[r, k] = sum_o dz[r, o] w[k, o]}. {@code dw} and {@code db} are the
     * same fused chains over {@code r} in both kernels (exact agreement); {@code dx} is a dot product that the vector
     * kernel associates differently (about {@code out * 2^-24} relative to {@code sum_o |dz w|}).
     *
     * @param x     the layer's inputs, {@code batch x in}.
     * @param batch number of rows, {@code >= 0}.
     * @param in    inputs per row, {@code >= 1}.
     * @param w     weights, {@code in x out} starting at {@code wOff}.
     * @param wOff  index of {@code w[0, 0]}.
     * @param out   outputs per row, {@code >= 1}.
     * @param act   the activation used forward.
     * @param y     the layer's outputs from the forward pass, {@code batch x out}.
     * @param dy    gradient of the loss with respect to {@code y}; overwritten with the gradient before the
     *              activation.
     * @param dx    receives the gradient with respect to {@code x}, {@code batch x in}; null to skip (first layer).
     * @param dw    receives the weight gradient, {@code in x out} starting at {@code dwOff}.
     * @param dwOff index of {@code dw[0, 0]}.
     * @param db    receives the bias gradient, {@code out} starting at {@code dbOff}.
     * @param dbOff index of {@code db[0]}.
     * @throws IllegalArgumentException if a size is bad or an array is too short.
     */
    void denseBackward(float[] x, int batch, int in, float[] w, int wOff, int out, Activation act, float[] y,
        float[] dy, float[] dx, float[] dw, int dwOff, float[] db, int dbOff);

    /**
     * One Adam step over a parameter vector (Kingma and Ba 2015, with bias correction):
     * {@code m = beta1 m + (1 - beta1) g}, {@code v = beta2 v + (1 - beta2) g^2},
     * {@code p -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon)}. The bias corrections are
     * computed once in double and rounded to float; the element updates are the same correctly rounded float
     * operations in both kernels, which agree exactly.
     *
     * @param params       parameters, updated in place.
     * @param grads        gradients.
     * @param m            first-moment estimates, updated in place (start at 0).
     * @param v            second-moment estimates, updated in place (start at 0).
     * @param n            number of parameters.
     * @param learningRate step size, {@code > 0}.
     * @param beta1        first-moment decay, in {@code [0, 1)}.
     * @param beta2        second-moment decay, in {@code [0, 1)}.
     * @param epsilon      denominator offset, {@code > 0}.
     * @param step         1-based step count {@code t}.
     * @throws IllegalArgumentException if {@code n} does not fit an array, a hyper-parameter is out of range, or
     *                                  {@code step < 1}.
     */
    void adamStep(float[] params, float[] grads, float[] m, float[] v, int n, float learningRate, float beta1,
        float beta2, float epsilon, long step);

    /**
     * Weighted Huber loss and its gradient, as a DQN learner uses with importance weights:
     * {@code L = (1/n) sum_i w_i huber(p_i - t_i)} with {@code huber(e) = e^2 / 2} for {@code |e| <= kappa} else
     * {@code kappa (|e| - kappa / 2)}, and {@code grad[i] = w_i clamp(p_i - t_i, -kappa, kappa) / n}. The
     * gradient agrees exactly between the kernels; the loss's sum is associated differently.
     *
     * @param prediction predictions.
     * @param target     targets.
     * @param weights    per-element weights; null for all 1.
     * @param n          number of elements, {@code >= 1}.
     * @param kappa      Huber threshold, {@code > 0}.
     * @param grad       receives {@code dL/dprediction}; null to skip.
     * @return the loss.
     * @throws IllegalArgumentException if {@code n} does not fit an array or {@code kappa} is not positive.
     */
    float huberLoss(float[] prediction, float[] target, float[] weights, int n, float kappa, float[] grad);

    /**
     * The index of the largest entry of each row (the greedy action of each Q-value row); the first one on ties.
     * NaN entries are never chosen unless the whole row is NaN (then 0). Exact.
     *
     * @param x    values, {@code rows x cols}.
     * @param rows number of rows, {@code >= 0}.
     * @param cols entries per row, {@code >= 1}.
     * @param out  receives {@code rows} indices.
     * @throws IllegalArgumentException if a size is bad or an array is too short.
     */
    void argmaxRows(float[] x, int rows, int cols, int[] out);

    // ---------------------------------------------------------------------------------------------------------
    // Identity and providers
    // ---------------------------------------------------------------------------------------------------------

    /**
     * What these kernels are, for logs and reports.
     *
     * @return for example {@code "vector (DoubleVector 8 lanes, FloatVector 16 lanes)"} or
     *         {@code "scalar (forced by -Drewind.kernels=scalar)"}.
     */
    String description();

    /**
     * The best kernels this JVM can run.
     *
     * @return the vector kernels when {@code jdk.incubator.vector} is available and useful, else the scalar twins.
     */
    static Kernels best()
    {
        return KernelProvider.BEST;
    }

    /**
     * The scalar twins, the reference every vector kernel is held to.
     *
     * @return the scalar kernels.
     */
    static Kernels scalar()
    {
        return ScalarKernels.INSTANCE;
    }
}
