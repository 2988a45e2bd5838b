package org.handgrad.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.handgrad.app.report.HtmlReport;
import org.handgrad.app.report.RunIndex;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ./handgrad report RUNS_DIR}: refreshes the {@code report.html} of every run folder in
 * RUNS_DIR and writes {@code RUNS_DIR/index.html}, the runs side by side ({@link RunIndex}).
 */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = {
      "Writes RUNS_DIR/index.html: a table of the runs in RUNS_DIR (model, data, epochs, best"
          + " val and test accuracy, wall time) with links to each run's report.html, and their"
          + " validation curves overlaid. Each run's report.html is rewritten too.",
      "The pages are self-contained (images embedded): open them in any browser, offline."
    })
public final class ReportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(
      paramLabel = "RUNS_DIR",
      defaultValue = "runs",
      description = "Folder of run folders (default: ${DEFAULT-VALUE}).")
  Path runsDir;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      List<RunIndex.Row> rows = RunIndex.write(runsDir);
      out.println(
          "wrote "
              + runsDir.resolve(RunIndex.FILE)
              + " ("
              + rows.size()
              + " run"
              + (rows.size() == 1 ? "" : "s")
              + ", each with its "
              + HtmlReport.FILE
              + ")");
      out.flush();
      return 0;
    } catch (IOException | IllegalArgumentException e) {
      err.println("error: " + Errors.message(e));
      err.flush();
      return 1;
    }
  }
}
