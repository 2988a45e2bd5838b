package org.handgrad.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {
  @Test
  void parsesEveryKindOfValueKeepingKeyOrder() {
    Object v =
        Json.parse(
            " {\"z\": [1, -2.5, 3e2, true, false, null], \"a\": {\"k\": \"v\"}, \"e\": {}, "
                + "\"l\": []}\n");
    Map<?, ?> m = (Map<?, ?>) v;
    assertEquals(List.of("z", "a", "e", "l"), new ArrayList<>(m.keySet()));
    assertEquals(Arrays.asList(1L, -2.5, 300.0, true, false, null), m.get("z"));
    assertEquals(Map.of("k", "v"), m.get("a"));
    assertEquals(Map.of(), m.get("e"));
    assertEquals(List.of(), m.get("l"));
  }

  @Test
  void numbers() {
    assertEquals(0L, Json.parse("0"));
    assertEquals(0L, Json.parse("-0"));
    assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
    assertEquals(9.223372036854775808e18, Json.parse("9223372036854775808")); // beyond long
    assertEquals(-0.0025, Json.parse("-2.5E-3"));
    assertEquals(100.0, Json.parse("1e+2"));
    assertEquals(0.5, Json.parse("0.5"));
  }

  @Test
  void stringEscapes() {
    assertEquals(
        "\"\\/\b\f\n\r\t\u00e9\ud83d\ude00",
        Json.parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00E9\\ud83d\\ude00\""));
    assertEquals("h\u00e9llo \u2603", Json.parse("\"h\u00e9llo \u2603\""));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "   ",
        "[1,]",
        "{\"a\":1,}",
        "[1 2]",
        "01",
        "1.",
        ".5",
        "+1",
        "-",
        "1e",
        "NaN",
        "Infinity",
        "nul",
        "tru",
        "'a'",
        "\"abc",
        "\"a\\x\"",
        "\"\\u12g4\"",
        "\"\\u12\"",
        "{\"a\" 1}",
        "{1: 2}",
        "[1] 2",
        "{\"a\":1,\"a\":2}",
        "// comment\n1"
      })
  void rejectsMalformedInput(String text) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Json.parse(text));
    assertTrue(e.getMessage().startsWith("json: ") && e.getMessage().contains("offset"));
  }

  @Test
  void errorMessagesSayWhatAndWhere() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\":1,\"a\":2}"));
    assertEquals("json: duplicate key \"a\" at offset 7 near '\"a\":2}'", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Json.parse("\"tab\there\""));
    assertTrue(e.getMessage().contains("unescaped control character"), e.getMessage());
  }

  @Test
  void deepNestingFailsCleanlyInsteadOfOverflowingTheStack() {
    String deep = "[".repeat(100_000) + "]".repeat(100_000);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Json.parse(deep));
    assertTrue(e.getMessage().contains("nesting deeper than 256"), e.getMessage());
    String ok = "[".repeat(256) + "]".repeat(256);
    assertTrue(Json.parse(ok) instanceof List);
  }

  @Test
  void writesCompactAndPretty() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", "a\"b\\c\n\u0001\u00e9");
    m.put("shape", List.of(2L, 3));
    m.put("lr", 1e-3);
    m.put("ok", true);
    m.put("none", null);
    m.put("empty", Map.of());
    assertEquals(
        "{\"name\":\"a\\\"b\\\\c\\n\\u0001\u00e9\",\"shape\":[2,3],\"lr\":0.001,\"ok\":true,"
            + "\"none\":null,\"empty\":{}}",
        Json.write(m));
    Map<String, Object> pretty = new LinkedHashMap<>();
    pretty.put("shape", List.of(2, 3));
    pretty.put("e", List.of());
    assertEquals(
        "{\n  \"shape\": [\n    2,\n    3\n  ],\n  \"e\": []\n}\n", Json.writePretty(pretty));
    assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of(1, 2)));
    assertThrows(IllegalArgumentException.class, () -> Json.write(new Object()));
  }

  @Property(tries = 300)
  void stringsRoundTrip(@ForAll String s) {
    assertEquals(s, Json.parse(Json.write(s)));
    assertEquals(List.of(s), Json.parse(Json.write(List.of(s))));
  }

  @Property(tries = 300)
  void doublesRoundTripExactly(@ForAll double d) {
    if (Double.isFinite(d)) {
      assertEquals(d, ((Number) Json.parse(Json.write(d))).doubleValue());
    }
  }
}
