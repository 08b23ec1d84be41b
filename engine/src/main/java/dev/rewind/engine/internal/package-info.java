/**
 * Implementation of the Rewind engine behind the facade: the mapped-file layout and header, the record ring, the
 * priority trees and the rate limiter (the buffers themselves are package-private classes of
 * {@code dev.rewind.engine}).
 * <p>
 * <b>Not API.</b> Nothing in this package may be used directly by applications; it changes without notice. Use
 * {@link dev.rewind.engine.ReplayBuffer} and the other types of {@code dev.rewind.engine}.
 */
package dev.rewind.engine.internal;
