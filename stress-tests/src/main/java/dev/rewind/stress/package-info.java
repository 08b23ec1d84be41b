/**
 * jcstress tests of Rewind's concurrency protocols, one class per protocol with one nested test per operation:
 * record publication ({@link dev.rewind.stress.RecordPublicationTest}), the torn-read guard
 * ({@link dev.rewind.stress.TornReadTest}), tree updates seen by a concurrent descent
 * ({@link dev.rewind.stress.TreeDescentTest} at fan-out 2, {@link dev.rewind.stress.TreeDescentWideTest} at fan-out 8,
 * the vector kernels' paths for groups of one vector, or two with {@code -XX:MaxVectorSize=32}, and their merge of
 * sorted targets), the trees' rescale under its sequence lock
 * ({@link dev.rewind.stress.TreeRescaleTest}) and stale-update dropping ({@link dev.rewind.stress.StaleUpdateTest}).
 * Each drives the engine's own code (the record ring, the priority trees, the concurrent front end) on small native
 * segments. Run: {@code java -jar stress-tests/target/jcstress.jar -m sanity} (CI) or {@code -m quick} (see
 * docs/CONCURRENCY.md for the flags and the latest results).
 */
package dev.rewind.stress;
