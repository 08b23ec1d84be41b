package dev.rewind.engine;

import dev.rewind.engine.internal.RecordDescriptor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SchemaTest
{
    @Test
    void shouldLayOutFieldsAtNaturalAlignmentAfterTheHeader()
    {
        final Schema schema = Schema.builder()
            .bool("done").float64("value").uint8("pixels", 3).int32("action").int64("step").float32("obs", 2, 3)
            .build();

        assertEquals(16, RecordDescriptor.HEADER_LENGTH);
        assertEquals(16, schema.field("done").offset());
        assertEquals(24, schema.field("value").offset(), "float64 aligned to 8");
        assertEquals(32, schema.field("pixels").offset());
        assertEquals(36, schema.field("action").offset(), "int32 aligned to 4 after 3 bytes");
        assertEquals(40, schema.field("step").offset());
        assertEquals(48, schema.field("obs").offset());
        assertEquals(6, schema.field("obs").elementCount());
        assertEquals(72, schema.recordLength(), "48 + 24 bytes, already a multiple of 8");
    }

    @Test
    void shouldRoundRecordLengthToEightBytes()
    {
        final Schema schema = Schema.builder().float32("reward").bool("done").build();
        assertEquals(21, schema.field("done").offset() + 1);
        assertEquals(24, schema.recordLength());
    }

    @Test
    void shouldRoundTripTheDescriptor()
    {
        final Schema schema = Schema.builder().float32("obs", 84, 84).int32("action").bool("done").build();
        assertEquals("obs:float32[84,84];action:int32[];done:bool[]", schema.descriptor());
        final Schema parsed = Schema.parse(schema.descriptor());
        assertEquals(schema, parsed);
        assertEquals(schema.recordLength(), parsed.recordLength());
        assertTrue(schema.owns(parsed.field("action")), "an equal schema's field is accepted");
    }

    @Test
    void shouldDrawTheLayoutWithPadding()
    {
        final String diagram = Schema.builder().bool("done").float64("value").build().layoutDiagram();
        assertTrue(diagram.contains("[    16,     17) done:bool[]"), diagram);
        assertTrue(diagram.contains("[    17,     24) padding"), diagram);
        assertTrue(diagram.contains("[    24,     32) value:float64[]"), diagram);
    }

    @Test
    void shouldRefuseBadFieldsNamingTheValue()
    {
        final IllegalArgumentException dim = assertThrows(IllegalArgumentException.class,
            () -> Schema.builder().float32("obs", 4, 0));
        assertTrue(dim.getMessage().contains("obs") && dim.getMessage().contains("0"), dim.getMessage());
        final IllegalArgumentException dup = assertThrows(IllegalArgumentException.class,
            () -> Schema.builder().float32("obs").int32("obs"));
        assertTrue(dup.getMessage().contains("duplicate field name: obs"), dup.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Schema.builder().float32("bad name"));
        assertThrows(IllegalArgumentException.class, () -> Schema.builder().build());
        final IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
            () -> Schema.builder().float32("obs").build().field("nope"));
        assertTrue(unknown.getMessage().contains("'nope'"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Schema.parse("obs:float33[4]"));
    }
}
