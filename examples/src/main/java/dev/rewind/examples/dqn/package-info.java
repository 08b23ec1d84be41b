/**
 * Double DQN on Rewind: {@link dev.rewind.examples.dqn.Mlp} (two hidden ReLU layers on the dense kernels),
 * {@link dev.rewind.examples.dqn.DoubleDqn} (Adam, weighted Huber loss, target network, epsilon-greedy acting),
 * {@link dev.rewind.examples.dqn.DqnConfig} (its hyper-parameters) and
 * {@link dev.rewind.examples.dqn.TransitionSchema} (the record it stores).
 */
package dev.rewind.examples.dqn;
