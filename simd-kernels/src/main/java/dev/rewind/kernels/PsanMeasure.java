package dev.rewind.kernels;

/**
 * How a batch's row-softmax attention matrix {@code A} ({@code B x B}) is reduced to one similarity in
 * {@code [0, 1]} by {@link Kernels#psanSimilarity}. Both measures are near 1 when the rows of the batch are alike
 * (every row spreads its attention over the batch) and near 0 when every row attends only to itself.
 */
public enum PsanMeasure
{
    /**
     * The off-diagonal attention mass, {@code I = 1 - (1/B) sum_i A_ii}: the mean attention a row gives to the
     * other rows. The reconstruction's default. {@code I = 0} for {@code B = 1}; {@code I = 1 - 1/B} when all rows
     * are equal.
     */
    OFF_DIAGONAL,

    /**
     * The normalised mean row entropy, {@code I = (1/B) sum_i H_i / ln B} with {@code H_i = -sum_j A_ij ln A_ij}
     * (natural logarithm, {@code 0 ln 0 = 0}). {@code I = 0} for {@code B = 1}; {@code I = 1} when all rows are
     * equal. Computed without a logarithm per element: {@code H_i = ln Z_i - (1/Z_i) sum_j e_ij (s_ij - m_i)} where
     * {@code s} are the scores, {@code m_i} the row maximum, {@code e_ij = exp(s_ij - m_i)} and {@code Z_i} their
     * sum.
     */
    ENTROPY
}
