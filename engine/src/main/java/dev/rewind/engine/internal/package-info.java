/**
 * Implementation of the Rewind engine: mapped-file layout, priority trees and the replay buffer behind the facade.
 * <p>
 * <b>Not API.</b> Nothing in this package may be used directly by applications; it changes without notice. Use
 * {@link dev.rewind.engine.ReplayBuffer} and the other types of {@code dev.rewind.engine}.
 */
package dev.rewind.engine.internal;
