package org.handgrad.app.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Json;
import org.knowm.xchart.XYChart;

/**
 * {@code index.html} of a runs folder: the runs side by side (model, data, epochs, best validation
 * and test accuracy, wall time, a link to each run's {@link HtmlReport}) and one plot overlaying
 * their validation accuracy per epoch. {@code ./handgrad report RUNS_DIR} writes it.
 */
public final class RunIndex {
  private RunIndex() {}

  /** The index page's file name. */
  public static final String FILE = "index.html";

  /** The overlay plot, written beside the index (and embedded in it). */
  public static final String CURVES = "val-accuracy.png";

  /**
   * One run folder as a table row; absent values are null.
   *
   * @param name folder name
   * @param command train, caption, lab, ...
   * @param model model or lab name
   * @param data dataset used
   * @param epochs epochs completed
   * @param bestVal best validation accuracy
   * @param test test accuracy
   * @param seconds wall time of training (train: the Solver's; lab: the whole lab)
   * @param valCurve validation accuracy per check (epoch 0 = after the first iteration), or empty
   */
  public record Row(
      String name,
      String command,
      String model,
      String data,
      Double epochs,
      Double bestVal,
      Double test,
      Double seconds,
      List<Double> valCurve) {}

  /**
   * Writes every run's {@code report.html} (refreshing old ones), the overlay plot and {@code
   * index.html}.
   *
   * @param runsDir a folder whose sub-folders are runs (those without config.json, result.json,
   *     metrics.json or summary.md are skipped)
   * @return the rows, in folder-name order
   * @throws IllegalArgumentException when runsDir is not a folder
   */
  public static List<Row> write(Path runsDir) throws IOException {
    if (!Files.isDirectory(runsDir)) {
      throw new IllegalArgumentException("report: not a folder: " + runsDir);
    }
    List<Path> runs;
    try (Stream<Path> s = Files.list(runsDir)) {
      runs = s.filter(RunIndex::isRun).sorted().toList();
    }
    List<Row> rows = new ArrayList<>();
    for (Path run : runs) {
      HtmlReport.write(run);
      rows.add(row(run));
    }
    StringBuilder html = new StringBuilder();
    String title = "handgrad runs: " + runsDir.toAbsolutePath().normalize().getFileName();
    HtmlReport.head(html, title);
    html.append("<h1>").append(HtmlReport.esc(title)).append("</h1>\n");
    if (rows.isEmpty()) {
      html.append("<p>No run folders here yet.</p>\n");
    } else {
      table(html, rows);
    }
    List<Plots.Series> curves = new ArrayList<>();
    for (Row r : rows) {
      if (!r.valCurve().isEmpty()) {
        double[] y = r.valCurve().stream().mapToDouble(Double::doubleValue).toArray();
        curves.add(Plots.Series.of(r.name(), y));
      }
    }
    Path png = runsDir.resolve(CURVES);
    if (!curves.isEmpty()) {
      XYChart chart =
          Plots.lines(
              "Validation accuracy per epoch",
              "epoch",
              "validation accuracy",
              curves,
              false,
              true,
              1050,
              500);
      chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE);
      Plots.save(chart, png);
      html.append("<h2>Validation curves</h2>\n<figure>")
          .append(HtmlReport.img(png, "validation accuracy of every run"))
          .append("</figure>\n");
    } else {
      Files.deleteIfExists(png); // a stale plot of runs since removed
    }
    html.append("</body>\n</html>\n");
    AtomicFiles.write(runsDir.resolve(FILE), html.toString().getBytes(StandardCharsets.UTF_8));
    return rows;
  }

  private static boolean isRun(Path p) {
    if (!Files.isDirectory(p)) {
      return false;
    }
    for (String f : List.of("config.json", "result.json", "metrics.json", "summary.md")) {
      if (Files.isRegularFile(p.resolve(f))) {
        return true;
      }
    }
    return false;
  }

  /** What a run folder says about itself: result.json first, then config.json and the log. */
  static Row row(Path run) throws IOException {
    Map<String, Object> result = orEmpty(HtmlReport.readFlat(run.resolve("result.json")));
    Map<String, Object> config = orEmpty(HtmlReport.readFlat(run.resolve("config.json")));
    Map<String, Object> caption = orEmpty(HtmlReport.readFlat(run.resolve("metrics.json")));
    String command = str(config.get("command"));
    if (command == null) {
      command = !caption.isEmpty() ? "caption" : null;
    }
    String model =
        first(str(result.get("model")), str(config.get("model")), str(result.get("lab")));
    String data = first(str(result.get("dataset")), str(config.get("dataset")));
    List<Double> val = new ArrayList<>();
    Double seconds = num(result.get("seconds"));
    Path log = run.resolve("metrics.jsonl");
    if (Files.isRegularFile(log)) {
      for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
        Object v;
        try {
          v = Json.parse(line);
        } catch (IllegalArgumentException torn) {
          continue; // a line cut by a crash
        }
        if (v instanceof Map<?, ?> m) {
          if ("epoch".equals(m.get("event")) && m.get("val_acc") instanceof Number a) {
            val.add(a.doubleValue());
          } else if ("finish".equals(m.get("event")) && m.get("seconds") instanceof Number s) {
            seconds = s.doubleValue();
          }
        }
      }
    }
    return new Row(
        run.getFileName().toString(),
        command,
        model,
        data,
        num(result.get("epochs")),
        num(result.get("best_val_acc")),
        num(result.get("test_acc")),
        seconds,
        val);
  }

  private static void table(StringBuilder html, List<Row> rows) {
    html.append(
        "<table>\n<tr><th>run</th><th>command</th><th>model / lab</th><th>data</th>"
            + "<th>epochs</th><th>best val acc</th><th>test acc</th><th>wall time</th></tr>\n");
    for (Row r : rows) {
      String link = r.name() + "/" + HtmlReport.FILE;
      html.append("<tr><td><a href=\"")
          .append(HtmlReport.esc(link))
          .append("\">")
          .append(HtmlReport.esc(r.name()))
          .append("</a></td>");
      cell(html, r.command(), false);
      cell(html, r.model(), false);
      cell(html, r.data(), false);
      cell(html, r.epochs() == null ? null : HtmlReport.format(r.epochs()), true);
      cell(html, acc(r.bestVal()), true);
      cell(html, acc(r.test()), true);
      cell(html, duration(r.seconds()), true);
      html.append("</tr>\n");
    }
    html.append("</table>\n");
  }

  private static void cell(StringBuilder html, String v, boolean num) {
    html.append(num ? "<td class=\"num\">" : "<td>")
        .append(v == null ? "-" : HtmlReport.esc(v))
        .append("</td>");
  }

  private static String acc(Double a) {
    return a == null ? null : String.format(Locale.ROOT, "%.4f", a);
  }

  /** 42 s, 3 min 05 s, 1 h 02 min. */
  static String duration(Double seconds) {
    if (seconds == null) {
      return null;
    }
    long s = Math.round(seconds);
    if (s < 60) {
      return String.format(Locale.ROOT, "%.1f s", seconds);
    }
    if (s < 3600) {
      return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
    }
    return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
  }

  private static Map<String, Object> orEmpty(Map<String, Object> m) {
    return m == null ? Map.of() : m;
  }

  private static String str(Object v) {
    return v == null ? null : v.toString();
  }

  private static Double num(Object v) {
    return v instanceof Number n ? n.doubleValue() : null;
  }

  private static String first(String... values) {
    for (String v : values) {
      if (v != null) {
        return v;
      }
    }
    return null;
  }
}
