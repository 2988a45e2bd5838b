package org.handgrad.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import org.handgrad.app.lab.Lab;
import org.handgrad.app.lab.LabData;
import org.handgrad.app.lab.LabRunner;
import org.handgrad.app.lab.Labs;
import org.handgrad.app.train.DataSource;
import org.handgrad.data.DataDirs;
import org.handgrad.data.DatasetRegistry;
import org.handgrad.data.Downloader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code ./handgrad lab list} and {@code ./handgrad lab run NAME [--quick] [--run-dir DIR]}: the
 * experiments and debug-handbook failures of the CS231n notes ({@link org.handgrad.app.lab}).
 */
@Command(
    name = "lab",
    mixinStandardHelpOptions = true,
    description = {
      "Labs for learners: each reproduces an experiment or a debug-handbook failure of the"
          + " CS231n notes on Fashion-MNIST (or the built-in shapes when it is missing), writes"
          + " plots, summary.md and report.html, and says whether the measurement agrees with"
          + " the notes."
    },
    subcommands = {LabCommand.ListLabs.class, LabCommand.Run.class})
public final class LabCommand implements Runnable {
  @Spec CommandSpec spec;

  private final DatasetRegistry registry;
  private final Map<String, String> env;
  private final Path home;
  private final Downloader downloader;
  private final BooleanSupplier terminal;

  /** The real registry, environment and home folder. */
  public LabCommand() {
    this(
        DatasetRegistry.defaults(),
        System.getenv(),
        Path.of(System.getProperty("user.home")),
        new Downloader(),
        ProgressBar::interactive);
  }

  /** For tests. */
  LabCommand(
      DatasetRegistry registry,
      Map<String, String> env,
      Path home,
      Downloader downloader,
      BooleanSupplier terminal) {
    this.registry = registry;
    this.env = env;
    this.home = home;
    this.downloader = downloader;
    this.terminal = terminal;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code lab list}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "One lab a line: its name, then what it shows.")
  static final class ListLabs implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      int width = Labs.names().stream().mapToInt(String::length).max().orElse(0);
      for (Lab l : Labs.all()) {
        out.printf("%-" + width + "s  %s%n", l.name(), l.description());
      }
      out.flush();
      return 0;
    }
  }

  /** {@code lab run NAME}. */
  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      description =
          "Runs one lab into a new folder RUN_DIR/lab-NAME-<time>/: PNG plots, summary.md (the"
              + " numbers, the notes' conclusions, whether they agree), result.json, report.html.",
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {
        "0:the lab ran (its verdicts are in summary.md, agreeing or not)",
        "1:it could not run (data, files)",
        "2:unknown lab or bad usage"
      })
  static final class Run implements Callable<Integer> {
    @Spec CommandSpec spec;
    @ParentCommand LabCommand parent;

    @Parameters(paramLabel = "NAME", description = "The lab (see ./handgrad lab list).")
    String name;

    @Option(names = "--quick", description = "The reduced version: well under a minute.")
    boolean quick;

    @Option(
        names = "--run-dir",
        paramLabel = "DIR",
        defaultValue = "runs",
        description = "Where the run folder is created (default: ${DEFAULT-VALUE}).")
    Path runDir;

    @Option(
        names = "--seed",
        defaultValue = "0",
        description = "Seeds initialization and minibatch order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Data folder (as for train).")
    Path dataDir;

    @Option(names = "--no-fetch", description = "Do not download Fashion-MNIST when missing.")
    boolean noFetch;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      Lab lab;
      try {
        lab = Labs.get(name);
      } catch (IllegalArgumentException e) {
        err.println("error: " + e.getMessage());
        err.flush();
        return 2;
      }
      DataSource source =
          new DataSource(
              parent.registry,
              DataDirs.resolve(dataDir, parent.env, parent.home),
              parent.downloader,
              err,
              parent.terminal);
      try {
        LabRunner.run(
            lab,
            quick,
            seed,
            runDir,
            out,
            (numTrain, numVal) -> LabData.load(source, !noFetch, numTrain, numVal),
            List.copyOf(spec.commandLine().getParseResult().originalArgs()));
        return 0;
      } catch (IOException | IllegalArgumentException e) {
        err.println("error: " + Errors.message(e));
        err.flush();
        return 1;
      }
    }
  }
}
