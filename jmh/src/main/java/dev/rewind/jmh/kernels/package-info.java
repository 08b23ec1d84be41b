/**
 * JMH benchmarks of the simd-kernels module: one class per kernel family, each timing the vector kernel beside its
 * scalar twin on the same data, at the sizes the engine and the learners use. Every {@code @Setup} throws
 * {@link java.lang.AssertionError} when the two disagree beyond the tolerance the unit tests derive, so a benchmark
 * never times a wrong kernel. Run with
 * {@code java --add-modules=jdk.incubator.vector -jar jmh/target/benchmarks.jar 'dev.rewind.jmh.kernels'}.
 */
package dev.rewind.jmh.kernels;
