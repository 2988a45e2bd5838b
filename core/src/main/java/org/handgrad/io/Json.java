package org.handgrad.io;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON (RFC 8259) reader and writer for headers and configs, JDK only.
 *
 * <p>Values map to Java as: object = {@code Map<String, Object>} (a {@link LinkedHashMap} keeping
 * the key order), array = {@code List<Object>}, string = {@link String}, number = {@link Long} when
 * it has no fraction or exponent and fits, otherwise {@link Double}, {@code true}/{@code false} =
 * {@link Boolean}, {@code null} = Java {@code null}.
 *
 * <p>The reader is strict: no trailing commas, comments, single quotes, leading zeros, NaN or
 * unescaped control characters; duplicate object keys are an error (safetensors requires unique
 * tensor names); nesting is limited to {@value #MAX_DEPTH} levels so hostile input cannot overflow
 * the stack. Errors are {@link IllegalArgumentException}s that give the character offset.
 */
public final class Json {
  private Json() {}

  /** Deepest nesting of arrays and objects the reader accepts. */
  public static final int MAX_DEPTH = 256;

  /**
   * Parses one JSON value (surrounding whitespace allowed).
   *
   * @throws IllegalArgumentException on malformed input, naming the offset
   */
  public static Object parse(String text) {
    Reader r = new Reader(text);
    r.skipWhitespace();
    Object v = r.value(0);
    r.skipWhitespace();
    if (r.pos != text.length()) {
      throw r.error("unexpected trailing content");
    }
    return v;
  }

  /**
   * Serializes a value compactly (no spaces), keeping map order; strings are escaped, non-ASCII
   * characters are written as themselves (the caller encodes the result as UTF-8).
   *
   * @param value null, Boolean, Number (finite), String, Map with String keys, or Collection
   * @throws IllegalArgumentException on another type, a non-String key or a NaN/infinite number
   */
  public static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, -1, 0);
    return sb.toString();
  }

  /** Like {@link #write} but indented by two spaces per level, for files people read. */
  public static String writePretty(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, 2, 0);
    return sb.append('\n').toString();
  }

  // ---------------------------------------------------------------- writer

  private static void write(StringBuilder sb, Object v, int indent, int level) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String s) {
      quote(sb, s);
    } else if (v instanceof Boolean b) {
      sb.append(b);
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (!Double.isFinite(d)) {
        throw new IllegalArgumentException("json: cannot write non-finite number " + d);
      }
      sb.append(v);
    } else if (v instanceof Number n) {
      sb.append(n); // Integer, Long, Short, Byte, BigInteger, BigDecimal: valid JSON as printed
    } else if (v instanceof Map<?, ?> m) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!(e.getKey() instanceof String key)) {
          throw new IllegalArgumentException("json: object keys must be strings: " + e.getKey());
        }
        sb.append(first ? "" : ",");
        newline(sb, indent, level + 1);
        quote(sb, key);
        sb.append(indent >= 0 ? ": " : ":");
        write(sb, e.getValue(), indent, level + 1);
        first = false;
      }
      if (!m.isEmpty()) {
        newline(sb, indent, level);
      }
      sb.append('}');
    } else if (v instanceof Collection<?> c) {
      sb.append('[');
      boolean first = true;
      for (Object o : c) {
        sb.append(first ? "" : ",");
        newline(sb, indent, level + 1);
        write(sb, o, indent, level + 1);
        first = false;
      }
      if (!c.isEmpty()) {
        newline(sb, indent, level);
      }
      sb.append(']');
    } else {
      throw new IllegalArgumentException("json: cannot write a " + v.getClass().getName());
    }
  }

  private static void newline(StringBuilder sb, int indent, int level) {
    if (indent >= 0) {
      sb.append('\n').append(" ".repeat(indent * level));
    }
  }

  private static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  // ---------------------------------------------------------------- reader

  /** Recursive-descent parser over a string, one method per grammar rule. */
  private static final class Reader {
    private final String s;
    private int pos;

    Reader(String s) {
      this.s = s;
    }

    IllegalArgumentException error(String what) {
      String near = s.substring(pos, Math.min(s.length(), pos + 20));
      return new IllegalArgumentException(
          "json: " + what + " at offset " + pos + (pos < s.length() ? " near '" + near + "'" : ""));
    }

    void skipWhitespace() {
      while (pos < s.length()) {
        char c = s.charAt(pos);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
          return;
        }
        pos++;
      }
    }

    Object value(int depth) {
      if (pos >= s.length()) {
        throw error("unexpected end of input");
      }
      char c = s.charAt(pos);
      return switch (c) {
        case '{' -> object(depth + 1);
        case '[' -> array(depth + 1);
        case '"' -> string();
        case 't' -> literal("true", Boolean.TRUE);
        case 'f' -> literal("false", Boolean.FALSE);
        case 'n' -> literal("null", null);
        default -> {
          if (c == '-' || (c >= '0' && c <= '9')) {
            yield number();
          }
          throw error("unexpected character");
        }
      };
    }

    private void checkDepth(int depth) {
      if (depth > MAX_DEPTH) {
        throw error("nesting deeper than " + MAX_DEPTH);
      }
    }

    private Map<String, Object> object(int depth) {
      checkDepth(depth);
      pos++; // '{'
      Map<String, Object> m = new LinkedHashMap<>();
      skipWhitespace();
      if (peek() == '}') {
        pos++;
        return m;
      }
      while (true) {
        skipWhitespace();
        if (peek() != '"') {
          throw error("expected a string key");
        }
        int keyPos = pos;
        String key = string();
        skipWhitespace();
        expect(':');
        skipWhitespace();
        Object v = value(depth);
        if (m.containsKey(key)) {
          pos = keyPos;
          throw error("duplicate key \"" + key + "\"");
        }
        m.put(key, v);
        skipWhitespace();
        char c = peek();
        pos++;
        if (c == '}') {
          return m;
        }
        if (c != ',') {
          pos--;
          throw error("expected ',' or '}'");
        }
      }
    }

    private List<Object> array(int depth) {
      checkDepth(depth);
      pos++; // '['
      List<Object> a = new ArrayList<>();
      skipWhitespace();
      if (peek() == ']') {
        pos++;
        return a;
      }
      while (true) {
        skipWhitespace();
        a.add(value(depth));
        skipWhitespace();
        char c = peek();
        pos++;
        if (c == ']') {
          return a;
        }
        if (c != ',') {
          pos--;
          throw error("expected ',' or ']'");
        }
      }
    }

    private String string() {
      pos++; // opening quote
      StringBuilder sb = new StringBuilder();
      while (true) {
        if (pos >= s.length()) {
          throw error("unterminated string");
        }
        char c = s.charAt(pos++);
        if (c == '"') {
          return sb.toString();
        }
        if (c < 0x20) {
          pos--;
          throw error("unescaped control character in string");
        }
        if (c != '\\') {
          sb.append(c);
          continue;
        }
        if (pos >= s.length()) {
          throw error("unterminated escape");
        }
        char e = s.charAt(pos++);
        switch (e) {
          case '"' -> sb.append('"');
          case '\\' -> sb.append('\\');
          case '/' -> sb.append('/');
          case 'b' -> sb.append('\b');
          case 'f' -> sb.append('\f');
          case 'n' -> sb.append('\n');
          case 'r' -> sb.append('\r');
          case 't' -> sb.append('\t');
            // Surrogate pairs arrive as two \\u escapes and combine by themselves in UTF-16.
          case 'u' -> sb.append(hex4());
          default -> {
            pos--;
            throw error("bad escape '\\" + e + "'");
          }
        }
      }
    }

    private char hex4() {
      if (pos + 4 > s.length()) {
        throw error("truncated \\u escape");
      }
      int v = 0;
      for (int i = 0; i < 4; i++) {
        int d = Character.digit(s.charAt(pos + i), 16);
        if (d < 0) {
          throw error("bad hex digit in \\u escape");
        }
        v = v * 16 + d;
      }
      pos += 4;
      return (char) v;
    }

    private Object number() {
      int start = pos;
      if (peek() == '-') {
        pos++;
      }
      // int = "0" / digit1-9 *DIGIT: a leading zero stands alone.
      if (peek() == '0') {
        pos++;
      } else if (isDigit(peek())) {
        skipDigits();
      } else {
        throw error("expected a digit");
      }
      boolean integral = true;
      if (peek() == '.') {
        integral = false;
        pos++;
        if (!isDigit(peek())) {
          throw error("expected a digit after '.'");
        }
        skipDigits();
      }
      if (peek() == 'e' || peek() == 'E') {
        integral = false;
        pos++;
        if (peek() == '+' || peek() == '-') {
          pos++;
        }
        if (!isDigit(peek())) {
          throw error("expected a digit in the exponent");
        }
        skipDigits();
      }
      if (isDigit(peek())) {
        throw error("leading zeros are not allowed");
      }
      String text = s.substring(start, pos);
      if (integral) {
        try {
          return Long.parseLong(text);
        } catch (NumberFormatException tooBig) {
          return Double.parseDouble(text);
        }
      }
      return Double.parseDouble(text);
    }

    private void skipDigits() {
      while (isDigit(peek())) {
        pos++;
      }
    }

    private static boolean isDigit(char c) {
      return c >= '0' && c <= '9';
    }

    private Object literal(String word, Object v) {
      if (!s.startsWith(word, pos)) {
        throw error("unexpected literal");
      }
      pos += word.length();
      return v;
    }

    private void expect(char c) {
      if (peek() != c) {
        throw error("expected '" + c + "'");
      }
      pos++;
    }

    /** The current character, or 0 at the end (never valid where a token is expected). */
    private char peek() {
      return pos < s.length() ? s.charAt(pos) : 0;
    }
  }
}
