package org.handgrad.app.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.handgrad.io.Json;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtmlReportTest {
  @TempDir Path tmp;

  /** A finished train run as TrainingSession leaves it: config, log, result, two plots. */
  static Path fakeRun(Path runs, String name, double[] val, double test) throws IOException {
    Path run = runs.resolve(name);
    Files.createDirectories(run);
    Files.writeString(
        run.resolve("config.json"),
        Json.writePretty(
            Map.of(
                "command",
                "train",
                "model",
                "fc",
                "dataset",
                "fashion-mnist",
                "solver",
                Map.of("update_rule", "adam", "batch_size", 100))));
    List<String> log = new ArrayList<>();
    List<Double> train = new ArrayList<>();
    List<Double> valList = new ArrayList<>();
    for (int e = 0; e < val.length; e++) {
      log.add(Json.write(Map.of("event", "epoch", "epoch", e, "val_acc", val[e])));
      train.add(val[e] + 0.02);
      valList.add(val[e]);
    }
    log.add(Json.write(Map.of("event", "finish", "seconds", 125.0)));
    Files.write(run.resolve("metrics.jsonl"), log, StandardCharsets.UTF_8);
    Files.writeString(
        run.resolve("result.json"),
        Json.writePretty(
            Map.of(
                "model",
                "fc",
                "dataset",
                "fashion-mnist",
                "test_acc",
                test,
                "best_val_acc",
                val[val.length - 1],
                "epochs",
                val.length - 1)));
    Charts.accuracyCurve(train, valList, "Classification accuracy", run.resolve("accuracy.png"));
    Charts.lossCurve(List.of(2.3, 1.9, 1.2, 0.9, 0.7), "Training loss", run.resolve("loss.png"));
    return run;
  }

  @Test
  void runPageEmbedsEveryImageAndShowsTheNumbers() throws IOException {
    Path run = fakeRun(tmp, "fc-a", new double[] {0.3, 0.6, 0.7}, 0.6875);
    Files.writeString(
        run.resolve("summary.md"),
        "# Lab: x\n\n- **AGREES**: a <claim>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
            + "![The loss](loss.png)\n");
    String html = Files.readString(HtmlReport.write(run));
    // Each PNG once, inline: the summary's figure and the remaining one.
    assertEquals(2, count(html, "src=\"data:image/png;base64,"));
    assertFalse(html.contains("src=\"http"), "no network resources");
    assertFalse(html.contains("href=\"http"), "no network resources");
    assertTrue(html.contains("0.6875"), "test accuracy of result.json");
    assertTrue(html.contains("solver.update_rule"), "config flattened");
    assertTrue(html.contains("a &lt;claim&gt;"), "markdown text is escaped");
    assertTrue(html.contains("<span class=\"agree\">AGREES</span>"));
    assertTrue(html.contains("<td class=\"num\">1</td>"), "markdown table");
    assertTrue(html.contains("<figcaption>The loss</figcaption>"));
  }

  @Test
  void subfolderImagesAndEvalResultsAreShownButNotCheckpoints() throws IOException {
    Path run = fakeRun(tmp, "gen", new double[] {0.3}, 0.5);
    Files.createDirectories(run.resolve("samples"));
    Files.copy(run.resolve("loss.png"), run.resolve("samples/step_2.png"));
    Files.createDirectories(run.resolve("checkpoints"));
    Files.copy(run.resolve("loss.png"), run.resolve("checkpoints/not-a-figure.png"));
    Files.createDirectories(run.resolve("eval"));
    Files.writeString(run.resolve("eval/ddim_10.json"), "{\"frechet_distance\": 12.5}");
    String html = Files.readString(HtmlReport.write(run));
    assertEquals(3, count(html, "src=\"data:image/png;base64,"), "loss, accuracy, samples");
    assertTrue(html.contains("<figcaption>samples/step_2.png</figcaption>"), html);
    assertFalse(html.contains("not-a-figure"), html);
    assertTrue(html.contains("(eval/ddim_10.json)") && html.contains("12.5"), html);
  }

  @Test
  void indexComparesRunsAndLinksToTheirReports() throws IOException {
    fakeRun(tmp, "fc-a", new double[] {0.3, 0.6, 0.7}, 0.6875);
    fakeRun(tmp, "fc-b", new double[] {0.2, 0.5, 0.55, 0.8}, 0.79);
    Files.createDirectories(tmp.resolve("not-a-run"));
    List<RunIndex.Row> rows = RunIndex.write(tmp);
    assertEquals(List.of("fc-a", "fc-b"), rows.stream().map(RunIndex.Row::name).toList());
    assertEquals(List.of(0.2, 0.5, 0.55, 0.8), rows.get(1).valCurve());
    assertEquals(125.0, rows.get(0).seconds());
    String html = Files.readString(tmp.resolve(RunIndex.FILE));
    assertTrue(html.contains("<a href=\"fc-a/report.html\">fc-a</a>"));
    assertTrue(Files.isRegularFile(tmp.resolve("fc-b").resolve(HtmlReport.FILE)));
    assertTrue(html.contains("0.7900") && html.contains("2 min 05 s"), html);
    assertEquals(1, count(html, "src=\"data:image/png;base64,"), "the overlay plot");
    assertTrue(Files.isRegularFile(tmp.resolve(RunIndex.CURVES)));
  }

  @Test
  void badFoldersGetClearErrors() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> RunIndex.write(tmp.resolve("nope")));
    assertTrue(e.getMessage().contains("not a folder"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> HtmlReport.write(tmp.resolve("nope")));
    assertTrue(e.getMessage().contains("not a run folder"), e.getMessage());
  }

  @Test
  void aTornJsonFileIsShownAsMissing() throws IOException {
    Files.writeString(tmp.resolve("result.json"), "{\"test_acc\": 0.5");
    assertNull(HtmlReport.readFlat(tmp.resolve("result.json")));
  }

  // ---------------------------------------------------------------- in a real browser

  /**
   * The run page and the index in headless Chromium: every image must have loaded (complete with a
   * natural width). A script appended to a copy of each page writes the count into the DOM, which
   * {@code --dump-dom} prints once the page and its virtual-time budget are done.
   */
  @Test
  void pagesRenderInHeadlessChromiumWithEveryImageLoaded() throws Exception {
    String chromium = chromium();
    fakeRun(tmp, "fc-a", new double[] {0.3, 0.6, 0.7}, 0.6875);
    fakeRun(tmp, "fc-b", new double[] {0.2, 0.5, 0.55}, 0.5);
    RunIndex.write(tmp);
    int[] run = imagesLoaded(chromium, tmp.resolve("fc-a").resolve(HtmlReport.FILE));
    assertEquals(2, run[0], "images on the run page");
    assertEquals(run[0], run[1], "every image of the run page loaded");
    int[] index = imagesLoaded(chromium, tmp.resolve(RunIndex.FILE));
    assertEquals(1, index[0], "images on the index page");
    assertEquals(index[0], index[1], "every image of the index loaded");
  }

  /** The check itself can fail: a corrupt image is reported as not loaded. */
  @Test
  void theBrowserCheckSeesABrokenImage() throws Exception {
    String chromium = chromium();
    Path page = tmp.resolve("broken.html");
    StringBuilder html = new StringBuilder();
    HtmlReport.head(html, "broken");
    html.append("<img alt=\"x\" src=\"data:image/png;base64,AAAA\"></body></html>");
    Files.writeString(page, html);
    int[] r = imagesLoaded(chromium, page);
    assertEquals(1, r[0]);
    assertEquals(0, r[1], "a corrupt PNG must not count as loaded");
  }

  private static final String PROBE =
      "<script>window.addEventListener('load',function(){var ok=0;"
          + "for(var i=0;i<document.images.length;i++){var m=document.images[i];"
          + "if(m.complete&&m.naturalWidth>0){ok++;}}"
          + "var p=document.createElement('pre');p.id='probe';"
          + "p.textContent='IMAGES '+document.images.length+' LOADED '+ok;"
          + "document.body.appendChild(p);});</script>";

  /** {images, loaded} of a page in headless Chromium. */
  private int[] imagesLoaded(String chromium, Path page) throws Exception {
    String html = Files.readString(page);
    assertTrue(html.contains("</body>"), page + " has a body");
    Path probed = page.resolveSibling("probe-" + page.getFileName());
    Files.writeString(probed, html.replace("</body>", PROBE + "</body>"));
    Path profile = Files.createTempDirectory(tmp, "chromium-profile");
    Process p =
        new ProcessBuilder(
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--user-data-dir=" + profile,
                "--virtual-time-budget=5000",
                "--dump-dom",
                probed.toUri().toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium finished");
    Matcher m = Pattern.compile("IMAGES (\\d+) LOADED (\\d+)").matcher(dom);
    assertTrue(m.find(), "the probe ran in " + probed + "; chromium printed:\n" + head(dom));
    return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
  }

  /** The Chromium binary on PATH, or the test is skipped (CI installs Debian's chromium). */
  static String chromium() {
    for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
      for (String dir :
          System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
        if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
          return Path.of(dir, name).toString();
        }
      }
    }
    Assumptions.assumeTrue(
        false,
        "no chromium binary on PATH: install it (apt-get install chromium) to run the browser check");
    return null;
  }

  private static String head(String s) {
    return s.isEmpty() ? "(nothing)" : s.length() > 2000 ? s.substring(0, 2000) + "..." : s;
  }

  private static int count(String s, String what) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }
}
