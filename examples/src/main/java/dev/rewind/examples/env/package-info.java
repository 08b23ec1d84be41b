/**
 * Environments for the examples, ported from the equations of Gymnasium's sources: {@link
 * dev.rewind.examples.env.CartPole} (CartPole-v1), {@link dev.rewind.examples.env.MountainCar} (MountainCar-v0) and
 * {@link dev.rewind.examples.env.CliffWalking} (CliffWalking-v0 with a documented 200-step limit), behind the
 * allocation-free {@link dev.rewind.examples.env.Environment} interface. Create them by name with
 * {@link dev.rewind.examples.env.Environments#create(String)}.
 */
package dev.rewind.examples.env;
