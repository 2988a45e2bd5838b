package org.handgrad.app.lab;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.handgrad.app.report.HtmlReport;
import org.handgrad.app.train.DataSource;
import org.handgrad.data.DataDirs;
import org.handgrad.data.DatasetRegistry;
import org.handgrad.data.Downloader;

/**
 * Runs a lab's {@code --quick} form for a test: Fashion-MNIST from the system folder or the shapes
 * fallback (never a download), and the files every lab run must leave.
 */
final class LabTesting {
  private LabTesting() {}

  /**
   * Runs the lab and checks its run folder and that summary.md lists every check.
   *
   * @param tmp the test's temporary folder
   * @param requireAllAgree also assert that every check of the lab agrees
   */
  static LabRunner.Outcome runQuick(Path tmp, String name, boolean requireAllAgree)
      throws IOException {
    DataSource source =
        new DataSource(
            DatasetRegistry.defaults(),
            DataDirs.resolve(null, Map.of(), tmp.resolve("home")),
            new Downloader(Duration.ofSeconds(1), Duration.ofSeconds(1)),
            new PrintWriter(new StringWriter()),
            () -> false);
    StringWriter out = new StringWriter();
    LabRunner.Outcome o =
        LabRunner.run(
            Labs.get(name),
            true,
            0,
            tmp.resolve("runs"),
            new PrintWriter(out, true),
            (n, v) -> LabData.load(source, false, n, v),
            List.of("--quick"));
    for (String f : List.of("config.json", "summary.md", "result.json", HtmlReport.FILE)) {
      assertTrue(Files.isRegularFile(o.dir().resolve(f)), f + " in " + o.dir());
    }
    String md = Files.readString(o.dir().resolve("summary.md"));
    for (LabSummary.Check c : o.summary().checks()) {
      assertTrue(md.contains(c.claim()), "summary lists the check " + c.claim());
    }
    if (requireAllAgree) {
      assertTrue(o.summary().allAgree(), "every check agrees:\n" + md + "\n" + out);
    }
    System.out.println(out);
    return o;
  }

  /** A number the lab recorded for result.json. */
  static double num(LabRunner.Outcome o, String key) {
    Object v = o.summary().numbers().get(key);
    assertTrue(v instanceof Number, key + " is a number: " + v + " in " + o.summary().numbers());
    return ((Number) v).doubleValue();
  }
}
