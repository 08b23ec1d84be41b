package dev.rewind.jmh.engine;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The baseline Rewind is measured against: a textbook on-heap prioritized replay buffer, as most Python and Java
 * implementations write it. One {@code byte[]} per record, a binary sum tree and a binary min tree over
 * {@code double[]} (root at 1, leaves at {@code size..2 size}), {@code Math.pow} per priority and per weight,
 * one root-to-leaf descent per draw.
 */
final class TextbookPrioritizedReplay
{
    private final int capacity;
    private final int leaves;
    private final double[] sum;
    private final double[] min;
    private final byte[][] records;
    private final double alpha;
    private final double eps;
    private double maxPriority = 1.0;
    private long inserted;

    TextbookPrioritizedReplay(final int capacity, final int recordLength, final double alpha, final double eps)
    {
        this.capacity = capacity;
        int size = 1;
        while (size < capacity)
        {
            size <<= 1;
        }
        this.leaves = size;
        this.sum = new double[2 * size];
        this.min = new double[2 * size];
        Arrays.fill(min, Double.POSITIVE_INFINITY);
        this.records = new byte[capacity][recordLength];
        this.alpha = alpha;
        this.eps = eps;
    }

    void add(final byte[] record)
    {
        final int slot = (int)(inserted % capacity);
        System.arraycopy(record, 0, records[slot], 0, record.length);
        setPriority(slot, Math.pow(maxPriority + eps, alpha));
        inserted++;
    }

    int size()
    {
        return (int)Math.min(inserted, capacity);
    }

    private void setPriority(final int slot, final double p)
    {
        int node = slot + leaves;
        sum[node] = p;
        min[node] = p;
        node >>= 1;
        while (node >= 1)
        {
            sum[node] = sum[2 * node] + sum[2 * node + 1];
            min[node] = Math.min(min[2 * node], min[2 * node + 1]);
            node >>= 1;
        }
    }

    void sample(final int batchSize, final double beta, final SplittableRandom rng, final int[] indices,
        final double[] weights)
    {
        final double total = sum[1];
        final double segment = total / batchSize;
        final int n = size();
        final double maxWeight = Math.pow(n * (min[1] / total), -beta);
        for (int i = 0; i < batchSize; i++)
        {
            double mass = (i + rng.nextDouble()) * segment;
            int node = 1;
            while (node < leaves)
            {
                final int left = 2 * node;
                if (sum[left] > mass)
                {
                    node = left;
                }
                else
                {
                    mass -= sum[left];
                    node = left + 1;
                }
            }
            indices[i] = node - leaves;
            weights[i] = Math.pow(n * (sum[node] / total), -beta) / maxWeight;
        }
    }

    void updatePriorities(final int[] indices, final double[] priorities, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            maxPriority = Math.max(maxPriority, priorities[i]);
            setPriority(indices[i], Math.pow(priorities[i] + eps, alpha));
        }
    }
}
