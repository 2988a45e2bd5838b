package org.handgrad.app.lab;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a lab found, built while it runs: Markdown text for {@code summary.md} (paragraphs, tables,
 * figures), the numbers for {@code result.json}, and the checks: each a conclusion of the notes
 * next to the measurement and whether the two agree.
 */
public final class LabSummary {
  /**
   * One conclusion of the notes, tested.
   *
   * @param claim what the notes say, e.g. "He initialization trains a deep ReLU net"
   * @param measured the numbers behind the verdict, e.g. "val acc 0.81 (He) vs 0.10 (scale 1.0)"
   * @param agrees whether the measurement agrees with the claim
   */
  public record Check(String claim, String measured, boolean agrees) {}

  private final StringBuilder body = new StringBuilder();
  private final List<Check> checks = new ArrayList<>();
  private final Map<String, Object> numbers = new LinkedHashMap<>();

  /** A paragraph of Markdown. */
  public LabSummary text(String markdown) {
    body.append(markdown.strip()).append("\n\n");
    return this;
  }

  /** A section heading (rendered one level below the lab's title). */
  public LabSummary heading(String title) {
    body.append("## ").append(title).append("\n\n");
    return this;
  }

  /**
   * A table.
   *
   * @param header column titles
   * @param rows cells, each row as long as the header
   */
  public LabSummary table(List<String> header, List<List<String>> rows) {
    body.append("| ").append(String.join(" | ", header)).append(" |\n|");
    body.append("---|".repeat(header.size())).append('\n');
    for (List<String> r : rows) {
      if (r.size() != header.size()) {
        throw new IllegalArgumentException(
            "lab summary table: row " + r + " has " + r.size() + " cells, header " + header.size());
      }
      body.append("| ").append(String.join(" | ", r)).append(" |\n");
    }
    body.append('\n');
    return this;
  }

  /**
   * A figure of the run folder.
   *
   * @param file the PNG's name in the run folder
   */
  public LabSummary figure(String file, String caption) {
    body.append("![").append(caption).append("](").append(file).append(")\n\n");
    return this;
  }

  /** A measured number for result.json (finite doubles, ints, strings, booleans). */
  public LabSummary number(String key, Object value) {
    if (value instanceof Double d && !Double.isFinite(d)) {
      numbers.put(key, d.toString()); // JSON has no NaN: keep it readable as text
    } else {
      numbers.put(key, value);
    }
    return this;
  }

  /** Records a conclusion of the notes and whether the measurement agrees. */
  public LabSummary check(String claim, String measured, boolean agrees) {
    checks.add(new Check(claim, measured, agrees));
    return this;
  }

  /** The checks so far. */
  public List<Check> checks() {
    return List.copyOf(checks);
  }

  /** The numbers so far. */
  public Map<String, Object> numbers() {
    return new LinkedHashMap<>(numbers);
  }

  /** Whether every check agrees (and there is at least one). */
  public boolean allAgree() {
    return !checks.isEmpty() && checks.stream().allMatch(Check::agrees);
  }

  /**
   * The whole {@code summary.md}.
   *
   * @param header lines above the body: title, command, data, time
   */
  public String markdown(String header) {
    StringBuilder md = new StringBuilder(header.strip()).append("\n\n");
    md.append("## What the notes say, and what we measured\n\n");
    for (Check c : checks) {
      md.append("- ")
          .append(c.agrees() ? "**AGREES**" : "**DOES NOT AGREE**")
          .append(": ")
          .append(c.claim())
          .append(". Measured: ")
          .append(c.measured())
          .append('\n');
    }
    md.append('\n').append(body);
    return md.toString();
  }

  /** A short exact number for text, keys and titles: 3 for 3.0, 1.5, 0.01 (no trailing zeros). */
  public static String plain(double v) {
    return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
  }

  /** A number for tables: 4 significant digits, or scientific notation when tiny or huge. */
  public static String fmt(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return Double.toString(v);
    }
    double a = Math.abs(v);
    if (a != 0 && (a < 1e-3 || a >= 1e5)) {
      return String.format(Locale.ROOT, "%.2e", v);
    }
    return String.format(Locale.ROOT, "%.4g", v);
  }
}
