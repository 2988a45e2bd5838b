package org.handgrad.app.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Json;

/**
 * {@code report.html}: one self-contained page per run folder, readable offline. It shows the
 * numbers of {@code result.json} (or a caption or CLIP run's {@code metrics.json}, a speedrun's
 * {@code speedrun.json}, a sweep's {@code summary.json}, a generate run's {@code eval/*.json}), a
 * lab's {@code summary.md}, every PNG of the folder and of its subfolders but {@code checkpoints/}
 * (loss and accuracy curves, confusion matrix, weights, samples, a lab's plots) and the run's
 * configuration. Images are embedded as {@code data:} URIs and the style sheet is inline, so the
 * file can be mailed or opened from anywhere; it loads nothing from the network.
 */
public final class HtmlReport {
  private HtmlReport() {}

  /** The page's file name in a run folder. */
  public static final String FILE = "report.html";

  /** JSON files larger than this are linked to, not tabulated (a long caption vocabulary). */
  static final long MAX_JSON_BYTES = 64 * 1024;

  /** Shared by the run page and the index page: readable widths, zebra tables, no web fonts. */
  static final String STYLE =
      "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;"
          + "margin:2em auto;padding:0 1em;color:#222;line-height:1.45}"
          + "h1{font-size:1.6em;border-bottom:1px solid #ddd;padding-bottom:.3em}"
          + "h2{font-size:1.25em;margin-top:1.6em}"
          + "table{border-collapse:collapse;margin:.6em 0}"
          + "td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}"
          + "tr:nth-child(even) td{background:#f7f7f7}th{background:#eef2f7}"
          + "td.num{text-align:right;font-variant-numeric:tabular-nums}"
          + "code{background:#f3f3f3;padding:0 .2em}"
          + "img{max-width:100%;height:auto;display:block;margin:.4em 0}"
          + "figure{margin:1em 0}figcaption{color:#666;font-size:.9em}"
          + ".agree{color:#0a7d32;font-weight:bold}.disagree{color:#b00020;font-weight:bold}";

  /**
   * Writes {@code report.html} into a run folder.
   *
   * @param runDir a run folder of {@code train}, {@code caption train}, {@code lab run}, {@code
   *     speedrun}, {@code ssl train}, {@code clip train}, {@code generate train} or {@code sweep}
   * @return the page written
   * @throws IllegalArgumentException when runDir is not a folder
   */
  public static Path write(Path runDir) throws IOException {
    if (!Files.isDirectory(runDir)) {
      throw new IllegalArgumentException("report: not a run folder: " + runDir);
    }
    String name = runDir.getFileName().toString();
    StringBuilder html = new StringBuilder();
    head(html, name);
    html.append("<h1>").append(esc(name)).append("</h1>\n");

    // A lab's summary (its verdicts and figures) leads; its checks are not repeated below.
    Set<String> shown = new LinkedHashSet<>();
    Path summary = runDir.resolve("summary.md");
    boolean hasSummary = Files.isRegularFile(summary);
    if (hasSummary) {
      html.append(Markdown.toHtml(Files.readString(summary), runDir, shown));
    }
    List<String> results =
        new ArrayList<>(List.of("result.json", "metrics.json", "speedrun.json", "summary.json"));
    results.addAll(evalJsons(runDir));
    for (String result : results) {
      Map<String, Object> flat = readFlat(runDir.resolve(result));
      if (flat != null) {
        if (hasSummary) {
          flat.remove("checks");
        }
        html.append("<h2>Results <small>(").append(result).append(")</small></h2>\n");
        keyValueTable(html, flat);
      }
    }
    List<Path> pngs = pngs(runDir);
    boolean any = false;
    for (Path png : pngs) {
      String file = runDir.relativize(png).toString().replace('\\', '/');
      if (shown.contains(file)) {
        continue;
      }
      if (!any) {
        html.append("<h2>Figures</h2>\n");
        any = true;
      }
      html.append("<figure>")
          .append(img(png, file))
          .append("<figcaption>")
          .append(esc(file))
          .append("</figcaption></figure>\n");
    }
    for (String config : List.of("config.json", "data.json")) {
      Path f = runDir.resolve(config);
      if (Files.isRegularFile(f) && Files.size(f) <= MAX_JSON_BYTES) {
        Map<String, Object> flat = readFlat(f);
        if (flat != null) {
          html.append("<h2>Configuration <small>(").append(config).append(")</small></h2>\n");
          keyValueTable(html, flat);
        }
      }
    }
    html.append("<p><small>written by handgrad from ")
        .append(esc(runDir.toAbsolutePath().toString()))
        .append("</small></p>\n</body>\n</html>\n");
    Path out = runDir.resolve(FILE);
    AtomicFiles.write(out, html.toString().getBytes(StandardCharsets.UTF_8));
    return out;
  }

  // ---------------------------------------------------------------- pieces shared with RunIndex

  static void head(StringBuilder html, String title) {
    html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>")
        .append(esc(title))
        .append("</title>\n<style>")
        .append(STYLE)
        .append("</style>\n</head>\n<body>\n");
  }

  /** HTML-escapes text for element content and double-quoted attributes. */
  static String esc(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '&' -> sb.append("&amp;");
        case '"' -> sb.append("&quot;");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }

  /** An {@code <img>} with the PNG's bytes inline: the page needs no files beside it. */
  static String img(Path png, String alt) {
    try {
      return "<img alt=\""
          + esc(alt)
          + "\" src=\"data:image/png;base64,"
          + Base64.getEncoder().encodeToString(Files.readAllBytes(png))
          + "\">";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The PNG files of a run folder: those directly in it, by name, then those one folder down (a
   * generate run's {@code samples/}), by path; {@code checkpoints/} is not looked into.
   */
  static List<Path> pngs(Path dir) throws IOException {
    List<Path> all = new ArrayList<>(filesEndingWith(dir, ".png"));
    try (Stream<Path> s = Files.list(dir)) {
      for (Path sub :
          s.filter(p -> Files.isDirectory(p) && !p.getFileName().toString().equals("checkpoints"))
              .sorted()
              .toList()) {
        all.addAll(filesEndingWith(sub, ".png"));
      }
    }
    return all;
  }

  /** The JSON results of {@code generate eval} in the folder's {@code eval/}, by name. */
  private static List<String> evalJsons(Path runDir) throws IOException {
    Path eval = runDir.resolve("eval");
    if (!Files.isDirectory(eval)) {
      return List.of();
    }
    return filesEndingWith(eval, ".json").stream()
        .map(p -> "eval/" + p.getFileName().toString())
        .toList();
  }

  private static List<Path> filesEndingWith(Path dir, String suffix) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(suffix))
          .sorted()
          .toList();
    }
  }

  /**
   * A JSON object file flattened to dotted keys ("solver.optim_config.learning_rate"), lists
   * written inline; null when the file is missing or is not a JSON object.
   */
  static Map<String, Object> readFlat(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return null;
    }
    Object v;
    try {
      v = Json.parse(Files.readString(file));
    } catch (IllegalArgumentException malformed) {
      return null; // a half-written file is shown as missing, not as an error page
    }
    if (!(v instanceof Map<?, ?> m)) {
      return null;
    }
    Map<String, Object> flat = new LinkedHashMap<>();
    flatten("", m, flat);
    return flat;
  }

  private static void flatten(String prefix, Map<?, ?> m, Map<String, Object> out) {
    for (Map.Entry<?, ?> e : m.entrySet()) {
      String key = prefix + e.getKey();
      if (e.getValue() instanceof Map<?, ?> inner && !inner.isEmpty()) {
        flatten(key + ".", inner, out);
      } else {
        out.put(key, e.getValue());
      }
    }
  }

  private static void keyValueTable(StringBuilder html, Map<String, Object> flat) {
    html.append("<table>\n");
    for (Map.Entry<String, Object> e : flat.entrySet()) {
      Object v = e.getValue();
      html.append("<tr><th>")
          .append(esc(e.getKey()))
          .append("</th><td")
          .append(v instanceof Number ? " class=\"num\">" : ">")
          .append(esc(format(v)))
          .append("</td></tr>\n");
    }
    html.append("</table>\n");
  }

  /** A value for a table cell: numbers with at most 6 significant digits, lists as JSON. */
  static String format(Object v) {
    if (v == null) {
      return "-";
    }
    if (v instanceof Double d) {
      if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        return Long.toString(d.longValue());
      }
      return String.format(java.util.Locale.ROOT, "%.6g", d).replaceFirst("\\.?0+(e|$)", "$1");
    }
    if (v instanceof String s) {
      return s;
    }
    if (v instanceof Number || v instanceof Boolean) {
      return v.toString();
    }
    return Json.write(v);
  }

  /**
   * The little Markdown that lab summaries use: headings, paragraphs, bullet lists, pipe tables,
   * {@code `code`}, {@code **bold**} and image lines {@code ![alt](file.png)} whose file is in the
   * run folder (embedded). Anything else is shown as text.
   */
  static final class Markdown {
    private Markdown() {}

    private static final Pattern IMAGE = Pattern.compile("!\\[([^\\]]*)\\]\\(([^)\\s]+)\\)");

    /**
     * @param shown collects the names of the images embedded, so the page does not repeat them
     */
    static String toHtml(String md, Path dir, Set<String> shown) {
      StringBuilder out = new StringBuilder();
      List<String> para = new ArrayList<>();
      List<String[]> table = new ArrayList<>();
      boolean list = false;
      for (String raw : (md + "\n").split("\n", -1)) {
        String line = raw.strip();
        boolean isTable = line.startsWith("|");
        boolean isItem = line.startsWith("- ");
        if (!isTable && !table.isEmpty()) {
          table(out, table);
          table.clear();
        }
        if (!isItem && list) {
          out.append("</ul>\n");
          list = false;
        }
        if (line.isEmpty() || line.startsWith("#") || isTable || isItem || line.startsWith("![")) {
          if (!para.isEmpty()) {
            out.append("<p>").append(inline(String.join(" ", para))).append("</p>\n");
            para.clear();
          }
        }
        if (line.isEmpty()) {
          continue;
        }
        if (line.startsWith("#")) {
          int level = 0;
          while (level < line.length() && line.charAt(level) == '#') {
            level++;
          }
          int h = Math.min(6, level + 1); // the page's h1 is the run name
          out.append("<h").append(h).append('>');
          out.append(inline(line.substring(level).strip()));
          out.append("</h").append(h).append(">\n");
        } else if (isTable) {
          if (!line.matches("\\|[\\s:|-]+\\|?")) { // skip the |---|---| separator row
            String body = line.substring(1, line.endsWith("|") ? line.length() - 1 : line.length());
            table.add(body.split("\\|", -1));
          }
        } else if (isItem) {
          if (!list) {
            out.append("<ul>\n");
            list = true;
          }
          out.append("<li>").append(inline(line.substring(2))).append("</li>\n");
        } else if (IMAGE.matcher(line).matches()) {
          Matcher m = IMAGE.matcher(line);
          m.matches();
          String file = m.group(2);
          Path png = dir.resolve(file).normalize();
          if (file.endsWith(".png")
              && png.getParent().equals(dir.normalize())
              && Files.isRegularFile(png)) {
            out.append("<figure>")
                .append(img(png, m.group(1)))
                .append("<figcaption>")
                .append(esc(m.group(1)))
                .append("</figcaption></figure>\n");
            shown.add(png.getFileName().toString());
          } else {
            out.append("<p>").append(esc(line)).append(" (image not in the run folder)</p>\n");
          }
        } else {
          para.add(line);
        }
      }
      return out.toString();
    }

    private static void table(StringBuilder out, List<String[]> rows) {
      out.append("<table>\n");
      for (int r = 0; r < rows.size(); r++) {
        String cell = r == 0 ? "th" : "td";
        out.append("<tr>");
        for (String c : rows.get(r)) {
          String t = c.strip();
          boolean num = r > 0 && t.matches("[-+]?[0-9.,e%x ]+");
          out.append('<').append(cell).append(num ? " class=\"num\">" : ">");
          out.append(inline(t)).append("</").append(cell).append('>');
        }
        out.append("</tr>\n");
      }
      out.append("</table>\n");
    }

    /** Escapes, then turns {@code `code`}, {@code **bold**} and the verdicts into markup. */
    static String inline(String text) {
      String s = esc(text);
      s = s.replaceAll("`([^`]+)`", "<code>$1</code>");
      s = s.replaceAll("\\*\\*([^*]+)\\*\\*", "<b>$1</b>");
      s = s.replace("AGREES", "<span class=\"agree\">AGREES</span>");
      s = s.replace("DOES NOT AGREE", "<span class=\"disagree\">DOES NOT AGREE</span>");
      return s;
    }
  }
}
