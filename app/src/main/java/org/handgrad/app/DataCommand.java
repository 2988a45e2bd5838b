package org.handgrad.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import org.handgrad.data.DataDirs;
import org.handgrad.data.DatasetFetcher;
import org.handgrad.data.DatasetInfo;
import org.handgrad.data.DatasetRegistry;
import org.handgrad.data.Downloader;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code handgrad data}: list the known datasets and where they are, download them.
 *
 * <pre>
 * ./handgrad data list [--data-dir DIR]
 * ./handgrad data fetch NAME [--data-dir DIR] [--mirror URL] [--force]
 * </pre>
 *
 * <p>The data folder is {@code --data-dir}, else {@code $HANDGRAD_DATA}, else {@code
 * ~/.handgrad/data}; system copies (Debian's {@code /usr/share/datasets/fashion-mnist}) are found
 * too. Tables and results go to standard output, progress bars and errors to standard error. Exit
 * codes: 0 done, 1 failed (the message says what to do), 2 bad usage.
 */
@Command(
    name = "data",
    description = "List, locate and download datasets (fashion-mnist, mnist, cifar10, shapes).",
    subcommands = {DataCommand.ListDatasets.class, DataCommand.Fetch.class})
public final class DataCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  final DatasetRegistry registry;
  final Map<String, String> env;
  final Path home;
  final Downloader downloader;
  final BooleanSupplier terminal;

  /** The real registry, environment, home folder and network. */
  public DataCommand() {
    this(
        DatasetRegistry.defaults(),
        System.getenv(),
        Path.of(System.getProperty("user.home")),
        new Downloader(),
        ProgressBar::interactive);
  }

  /** For tests: a registry of test datasets, a fake environment and home, a tuned downloader. */
  DataCommand(
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

  DataDirs dirs(Path explicit) {
    return DataDirs.resolve(explicit, env, home);
  }

  /** The {@code --data-dir} and {@code --help} options shared by the subcommands. */
  static final class DataDirOption {
    @Option(
        names = {"-h", "--help"},
        usageHelp = true,
        description = "Show this help message and exit.")
    boolean help;

    @Option(
        names = "--data-dir",
        paramLabel = "DIR",
        description = "data folder (default: $HANDGRAD_DATA, else ~/.handgrad/data)")
    Path dataDir;
  }

  /** {@code data list}. */
  @Command(
      name = "list",
      description = "Show each known dataset: where it was found or how to get it.")
  static final class ListDatasets implements Callable<Integer> {
    @ParentCommand DataCommand parent;
    @Spec CommandLine.Model.CommandSpec spec;
    @Mixin DataDirOption options;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      DataDirs dirs = parent.dirs(options.dataDir);
      out.printf(Locale.ROOT, "%-15s %-9s %-10s %s%n", "DATASET", "STATUS", "SIZE", "WHERE");
      for (DatasetInfo info : parent.registry.all()) {
        if (info.kind() == DatasetInfo.Kind.SYNTHETIC) {
          out.printf(
              Locale.ROOT,
              "%-15s %-9s %-10s %s%n",
              info.name(),
              "built-in",
              "-",
              "generated on the fly, nothing to download");
          continue;
        }
        Optional<Path> where = parent.registry.locate(info, dirs);
        if (where.isPresent()) {
          long size = DatasetRegistry.localSize(info, where.get());
          out.printf(
              Locale.ROOT,
              "%-15s %-9s %-10s %s%n",
              info.name(),
              "found",
              DatasetRegistry.humanBytes(size),
              where.get());
        } else {
          long size = info.downloadSize();
          out.printf(
              Locale.ROOT,
              "%-15s %-9s %-10s %s%n",
              info.name(),
              "missing",
              size > 0 ? DatasetRegistry.humanBytes(size) : "?",
              "not in " + dirs.datasetDir(info.name()));
          out.println(DatasetRegistry.howToGet(info, dirs).indent(2).stripTrailing());
        }
      }
      out.println();
      out.println(
          "data folder: "
              + dirs.dataDir()
              + " ("
              + dirs.origin()
              + "; set with --data-dir or $"
              + DataDirs.ENV
              + ")");
      out.flush();
      return 0;
    }
  }

  /** {@code data fetch NAME}. */
  @Command(
      name = "fetch",
      description = {
        "Download a dataset into the data folder, verify its checksums, unpack it.",
        "An interrupted download resumes where it stopped when run again."
      })
  static final class Fetch implements Callable<Integer> {
    @ParentCommand DataCommand parent;
    @Spec CommandLine.Model.CommandSpec spec;
    @Mixin DataDirOption options;

    @Parameters(paramLabel = "NAME", description = "dataset name, see 'data list'")
    String name;

    @Option(
        names = "--mirror",
        paramLabel = "URL",
        description = "base URL to download the files from instead of the official sources")
    URI mirror;

    @Option(
        names = "--force",
        description = "download into the data folder even if a copy exists elsewhere")
    boolean force;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      Optional<DatasetInfo> found = parent.registry.find(name);
      if (found.isEmpty()) {
        err.println(
            "error: unknown dataset '" + name + "'; known datasets: " + parent.registry.names());
        err.flush();
        return 2;
      }
      DatasetInfo info = found.get();
      if (info.kind() == DatasetInfo.Kind.SYNTHETIC) {
        out.println(name + " is generated on the fly; nothing to download.");
        out.flush();
        return 0;
      }
      DataDirs dirs = parent.dirs(options.dataDir);
      Optional<Path> where = parent.registry.locate(info, dirs);
      if (where.isPresent() && !(force && !where.get().equals(dirs.datasetDir(name)))) {
        out.println(name + " is already available in " + where.get());
        out.flush();
        return 0;
      }
      long size = info.downloadSize();
      err.println(
          "fetching "
              + name
              + (size > 0 ? " (" + DatasetRegistry.humanBytes(size) + ")" : "")
              + " into "
              + dirs.datasetDir(name));
      err.flush();
      ProgressBar[] current = new ProgressBar[1];
      try {
        Path dir =
            new DatasetFetcher(parent.downloader)
                .fetch(
                    info,
                    dirs,
                    mirror,
                    (file, url) -> {
                      if (current[0] != null) {
                        current[0].finish();
                      }
                      ProgressBar bar =
                          new ProgressBar(
                              err,
                              file.fileName(),
                              ProgressBar.Unit.BYTES,
                              parent.terminal.getAsBoolean(),
                              System::nanoTime);
                      current[0] = bar;
                      return (done, total, rate) -> bar.update(done, total);
                    });
        finish(current[0]);
        out.println(name + " is ready in " + dir);
        out.flush();
        return 0;
      } catch (IOException e) {
        finish(current[0]);
        err.println("error: " + Errors.message(e));
        err.flush();
        return 1;
      }
    }

    private static void finish(ProgressBar bar) {
      if (bar != null) {
        bar.finish();
      }
    }
  }
}
