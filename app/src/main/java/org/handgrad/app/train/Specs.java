package org.handgrad.app.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Typed reads from parsed JSON ({@code Json.parse} gives Long, Double, String, List, Map). */
final class Specs {
  private Specs() {}

  static int[] intArray(Object o) {
    List<?> l = list(o);
    int[] a = new int[l.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = Math.toIntExact(((Number) l.get(i)).longValue());
    }
    return a;
  }

  static double[] doubleArray(Object o) {
    List<?> l = list(o);
    double[] a = new double[l.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = ((Number) l.get(i)).doubleValue();
    }
    return a;
  }

  static List<String> strings(Object o) {
    List<String> out = new ArrayList<>();
    for (Object v : list(o)) {
      out.add((String) v);
    }
    return out;
  }

  static Map<String, String> stringMap(Object o) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map(o).entrySet()) {
      out.put((String) e.getKey(), (String) e.getValue());
    }
    return out;
  }

  static int integer(Map<?, ?> m, String key) {
    return Math.toIntExact(((Number) required(m, key)).longValue());
  }

  static Object required(Map<?, ?> m, String key) {
    Object v = m.get(key);
    if (v == null) {
      throw new IllegalArgumentException("run spec: missing '" + key + "'");
    }
    return v;
  }

  static List<?> list(Object o) {
    if (!(o instanceof List<?> l)) {
      throw new IllegalArgumentException("run spec: expected a list, got " + o);
    }
    return l;
  }

  static Map<?, ?> map(Object o) {
    if (!(o instanceof Map<?, ?> m)) {
      throw new IllegalArgumentException("run spec: expected an object, got " + o);
    }
    return m;
  }

  static List<Object> list(int[] a) {
    List<Object> l = new ArrayList<>();
    for (int v : a) {
      l.add(v);
    }
    return l;
  }
}
