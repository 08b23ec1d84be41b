package dev.rewind.kernels;

/**
 * Element-wise activation applied by {@link Kernels#denseForward} after the affine map, and differentiated by
 * {@link Kernels#denseBackward}.
 */
public enum Activation
{
    /** {@code y = z}; derivative 1. */
    IDENTITY,

    /** {@code y = max(z, 0)}; derivative 1 where {@code y > 0}, else 0 (so 0 at {@code z = 0}). */
    RELU
}
