package org.handgrad.spark;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The swept values, from {@code --grid NAME=V1,V2,...} (a list) or {@code --grid NAME=LO:HI} (a
 * range, for {@code --random} only), in the order given.
 *
 * <p>{@link #cartesian()} is every combination, the first option varying slowest (CS231n's nested
 * loops over learning rates, then regularization strengths). {@link #random} draws N
 * configurations: a list gives one of its values uniformly, a range {@code LO:HI} a value uniform
 * in log space when {@code 0 < LO} (learning rates, as the CS231n notes recommend) and uniform
 * otherwise, printed with 3 significant digits.
 */
public final class Grid {
  private final Map<String, List<String>> lists = new LinkedHashMap<>();
  private final Map<String, double[]> ranges = new LinkedHashMap<>();
  private final List<String> names = new ArrayList<>();

  private Grid() {}

  /**
   * Parses the {@code --grid} values.
   *
   * @throws IllegalArgumentException naming the bad entry
   */
  public static Grid parse(List<String> specs) {
    if (specs == null || specs.isEmpty()) {
      throw new IllegalArgumentException("sweep: give at least one --grid NAME=V1,V2,...");
    }
    Grid g = new Grid();
    for (String spec : specs) {
      int eq = spec.indexOf('=');
      if (eq <= 0 || eq == spec.length() - 1) {
        throw new IllegalArgumentException(
            "--grid: expected NAME=V1,V2,... or NAME=LO:HI, got '" + spec + "'");
      }
      String name = spec.substring(0, eq).trim();
      if (name.startsWith("-")) {
        name = name.replaceFirst("^-+", "");
      }
      String body = spec.substring(eq + 1).trim();
      if (g.names.contains(name)) {
        throw new IllegalArgumentException("--grid: '" + name + "' is given twice");
      }
      if (!name.matches("[a-z][a-z0-9-]*")) {
        throw new IllegalArgumentException(
            "--grid: '" + name + "' is not a train option name (e.g. lr, reg, batch-size)");
      }
      g.names.add(name);
      if (body.contains(":") && !body.contains(",")) {
        String[] lohi = body.split(":", -1);
        try {
          double lo = Double.parseDouble(lohi[0]);
          double hi = Double.parseDouble(lohi[1]);
          if (lohi.length != 2 || !(lo < hi)) {
            throw new NumberFormatException();
          }
          g.ranges.put(name, new double[] {lo, hi});
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
          throw new IllegalArgumentException(
              "--grid " + name + ": a range is LO:HI with LO < HI, got '" + body + "'");
        }
      } else {
        List<String> values = new ArrayList<>();
        for (String v : body.split(",", -1)) {
          if (v.isBlank()) {
            throw new IllegalArgumentException(
                "--grid " + name + ": empty value in '" + body + "'");
          }
          values.add(v.trim());
        }
        g.lists.put(name, values);
      }
    }
    return g;
  }

  /** The swept option names, in order. */
  public List<String> names() {
    return List.copyOf(names);
  }

  /** The values of a list option (empty for a range). */
  public List<String> values(String name) {
    return lists.getOrDefault(name, List.of());
  }

  /**
   * Every combination of the lists.
   *
   * @throws IllegalArgumentException when an option is a range (ranges need {@code --random})
   */
  public List<SweepConfig> cartesian() {
    if (!ranges.isEmpty()) {
      throw new IllegalArgumentException(
          "--grid " + ranges.keySet() + ": a range LO:HI needs --random N");
    }
    List<SweepConfig> out = new ArrayList<>();
    int total = 1;
    for (String n : names) {
      total = Math.multiplyExact(total, lists.get(n).size());
    }
    for (int i = 0; i < total; i++) {
      Map<String, String> v = new LinkedHashMap<>();
      int rest = i;
      int stride = total;
      for (String n : names) {
        List<String> l = lists.get(n);
        stride /= l.size();
        v.put(n, l.get(rest / stride));
        rest %= stride;
      }
      out.add(new SweepConfig(i, v));
    }
    return out;
  }

  /**
   * {@code n} random configurations drawn with a seeded generator (the same seed, the same
   * configurations).
   */
  public List<SweepConfig> random(int n, long seed) {
    if (n <= 0) {
      throw new IllegalArgumentException("--random must be > 0, got " + n);
    }
    SplittableRandom rng = new SplittableRandom(seed);
    List<SweepConfig> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Map<String, String> v = new LinkedHashMap<>();
      for (String name : names) {
        double[] r = ranges.get(name);
        if (r == null) {
          List<String> l = lists.get(name);
          v.put(name, l.get(rng.nextInt(l.size())));
        } else {
          double u = rng.nextDouble();
          double x =
              r[0] > 0
                  ? Math.exp(Math.log(r[0]) + u * (Math.log(r[1]) - Math.log(r[0])))
                  : r[0] + u * (r[1] - r[0]);
          v.put(name, String.format(Locale.ROOT, "%.3g", x));
        }
      }
      out.add(new SweepConfig(i, v));
    }
    return out;
  }
}
