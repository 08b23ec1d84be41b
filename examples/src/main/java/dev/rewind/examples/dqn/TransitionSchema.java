package dev.rewind.examples.dqn;

import dev.rewind.engine.Field;
import dev.rewind.engine.Schema;

/**
 * The record a DQN learner stores: {@code obs} (float32 x n), {@code action} (int32), {@code reward} (float32),
 * {@code next_obs} (float32 x n) and {@code terminal} (bool: the episode ended by the task's rule, so the target does
 * not bootstrap; a time-limit cut is not terminal).
 *
 * @param schema   the schema.
 * @param obs      the observation field.
 * @param action   the action field.
 * @param reward   the reward field.
 * @param nextObs  the next-observation field.
 * @param terminal the terminal flag.
 */
public record TransitionSchema(Schema schema, Field obs, Field action, Field reward, Field nextObs, Field terminal)
{
    /**
     * The schema for observations of {@code observationSize} floats.
     *
     * @param observationSize floats per observation.
     * @return the schema and its fields.
     */
    public static TransitionSchema of(final int observationSize)
    {
        final Schema schema = Schema.builder()
            .float32("obs", observationSize).int32("action").float32("reward").float32("next_obs", observationSize)
            .bool("terminal").build();
        return new TransitionSchema(schema, schema.field("obs"), schema.field("action"), schema.field("reward"),
            schema.field("next_obs"), schema.field("terminal"));
    }
}
