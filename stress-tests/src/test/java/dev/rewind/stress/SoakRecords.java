package dev.rewind.stress;

import dev.rewind.engine.Field;
import dev.rewind.engine.SampleBatch;
import dev.rewind.engine.Schema;
import dev.rewind.engine.Transitions;

/**
 * The records of the soak and fault tests: each carries its producer, the producer's sequence number, a payload
 * derived from both, and a 64-bit checksum of all of it, so a torn or misplaced record is recognised from its bytes
 * alone.
 */
final class SoakRecords
{
    static final int PAYLOAD = 12;
    static final Schema SCHEMA = Schema.builder()
        .int32("producer").int64("seq").float32("payload", PAYLOAD).int64("checksum").build();
    static final Field PRODUCER = SCHEMA.field("producer");
    static final Field SEQ = SCHEMA.field("seq");
    static final Field PAYLOAD_FIELD = SCHEMA.field("payload");
    static final Field CHECKSUM = SCHEMA.field("checksum");

    private SoakRecords()
    {
    }

    static long mix(final long z0)
    {
        long z = z0 + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static float element(final int producer, final long seq, final int i)
    {
        return (float)(mix(((long)producer << 48) ^ (seq << 4) ^ i) >>> 40);
    }

    static long checksum(final int producer, final long seq, final float[] payload)
    {
        long h = mix(producer * 0x100000001B3L ^ seq);
        for (final float value : payload)
        {
            h = mix(h ^ Float.floatToRawIntBits(value));
        }
        return h;
    }

    /** Stages the record {@code (producer, seq)} as a new row. */
    static void stage(final Transitions t, final int producer, final long seq, final float[] scratch)
    {
        for (int i = 0; i < PAYLOAD; i++)
        {
            scratch[i] = element(producer, seq, i);
        }
        t.beginRow().putInt(PRODUCER, producer).putLong(SEQ, seq).put(PAYLOAD_FIELD, scratch)
            .putLong(CHECKSUM, checksum(producer, seq, scratch));
    }

    /**
     * Checks one row of a batch.
     *
     * @return null if intact, else what is wrong.
     */
    static String check(final SampleBatch batch, final int row, final float[] scratch)
    {
        final int producer = batch.getInt(PRODUCER, row, 0);
        final long seq = batch.getLong(SEQ, row, 0);
        for (int i = 0; i < PAYLOAD; i++)
        {
            scratch[i] = batch.getFloat(PAYLOAD_FIELD, row, i);
            if (scratch[i] != element(producer, seq, i))
            {
                return "payload[" + i + "] of producer " + producer + " seq " + seq + " is " + scratch[i];
            }
        }
        if (batch.getLong(CHECKSUM, row, 0) != checksum(producer, seq, scratch))
        {
            return "checksum of producer " + producer + " seq " + seq;
        }
        return null;
    }
}
