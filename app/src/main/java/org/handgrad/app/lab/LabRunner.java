package org.handgrad.app.lab;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.handgrad.app.report.HtmlReport;
import org.handgrad.app.report.RunDirectory;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Json;

/**
 * Runs a {@link Lab} into a new run folder {@code <runs>/lab-<name>-<stamp>/}: {@code config.json}
 * first, then the lab's PNG plots, {@code summary.md} (numbers, the notes' conclusions and the
 * verdicts), {@code result.json} and {@code report.html}.
 */
public final class LabRunner {
  private LabRunner() {}

  /**
   * What a lab run produced.
   *
   * @param dir the run folder
   * @param summary the lab's findings
   * @param seconds wall time of the whole lab, data loading included
   */
  public record Outcome(Path dir, LabSummary summary, double seconds) {}

  /**
   * Runs one lab.
   *
   * @param runsRoot where the run folder is created
   * @param out progress and the verdicts
   */
  public static Outcome run(
      Lab lab,
      boolean quick,
      long seed,
      Path runsRoot,
      PrintWriter out,
      LabContext.DataLoader loader,
      List<String> args)
      throws IOException {
    RunDirectory run = RunDirectory.create(runsRoot, "lab-" + lab.name());
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("command", "lab");
    config.put("args", args);
    config.put("lab", lab.name());
    config.put("description", lab.description());
    config.put("quick", quick);
    config.put("seed", seed);
    config.put("java", System.getProperty("java.version"));
    config.put("cores", Runtime.getRuntime().availableProcessors());
    run.writeConfig(config);
    out.println("lab " + lab.name() + (quick ? " (quick)" : "") + ": " + lab.description());
    out.println("run folder: " + run.path());
    out.flush();

    LabContext ctx = new LabContext(quick, seed, run, out, loader);
    long t0 = System.nanoTime();
    lab.run(ctx);
    double seconds = (System.nanoTime() - t0) / 1e9;

    LabSummary s = ctx.summary();
    LabData d = ctx.loadedData();
    String data =
        d == null
            ? "none (the lab needs no dataset)"
            : d.dataset()
                + (d.fellBack() ? " (FALLBACK: Fashion-MNIST was not available)" : "")
                + String.format(
                    Locale.ROOT, ", %d train / %d val images", d.yTrain().length, d.yVal().length);
    String header =
        "# Lab: "
            + lab.name()
            + "\n\n"
            + lab.description()
            + "\n\n- command: `./handgrad lab run "
            + lab.name()
            + (quick ? " --quick" : "")
            + "`\n- data: "
            + data
            + String.format(
                Locale.ROOT, "\n- time: %.1f s on %d cores", seconds, config.get("cores"));
    AtomicFiles.write(run.file("summary.md"), s.markdown(header).getBytes(StandardCharsets.UTF_8));

    Map<String, Object> result = new LinkedHashMap<>();
    result.put("event", "lab");
    result.put("lab", lab.name());
    result.put("quick", quick);
    result.put("dataset", d == null ? null : d.dataset());
    result.put("fell_back", d != null && d.fellBack());
    result.put("agrees", s.allAgree());
    result.put("seconds", seconds);
    result.put(
        "checks",
        s.checks().stream()
            .map(
                c -> {
                  Map<String, Object> m = new LinkedHashMap<>();
                  m.put("claim", c.claim());
                  m.put("measured", c.measured());
                  m.put("agrees", c.agrees());
                  return m;
                })
            .toList());
    result.put("numbers", s.numbers());
    AtomicFiles.write(
        run.file("result.json"), Json.writePretty(result).getBytes(StandardCharsets.UTF_8));
    Path page = HtmlReport.write(run.path());

    out.println();
    for (LabSummary.Check c : s.checks()) {
      out.println(
          (c.agrees() ? "AGREES          " : "DOES NOT AGREE  ")
              + c.claim()
              + "\n                 measured: "
              + c.measured());
    }
    out.printf(Locale.ROOT, "%nlab %s done in %.1f s%n", lab.name(), seconds);
    out.println("summary: " + run.file("summary.md"));
    out.println("report: " + page);
    out.flush();
    return new Outcome(run.path(), s, seconds);
  }
}
