package org.handgrad.app;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.handgrad.data.DatasetRegistry;
import org.handgrad.data.Downloader;
import picocli.CommandLine;

/**
 * Runs one command line in-process with captured output, through {@link Main}: the real dataset
 * registry, a fake home (so {@code ~/.handgrad/data} is a temp folder) and no environment.
 *
 * @param code exit code
 * @param out standard output
 * @param err standard error
 */
record CliRun(int code, String out, String err) {

  /** Runs {@code args} (starting with the subcommand name) with the home folder {@code home}. */
  static CliRun run(Path home, String... args) {
    DatasetRegistry registry = DatasetRegistry.defaults();
    Downloader downloader = new Downloader(Duration.ofSeconds(5), Duration.ofSeconds(5));
    CommandLine.IFactory defaults = CommandLine.defaultFactory();
    CommandLine.IFactory factory =
        new CommandLine.IFactory() {
          @Override
          @SuppressWarnings("unchecked")
          public <K> K create(Class<K> cls) throws Exception {
            if (cls == TrainCommand.class) {
              return (K) new TrainCommand(registry, Map.of(), home, downloader, () -> false);
            }
            if (cls == LabCommand.class) {
              return (K) new LabCommand(registry, Map.of(), home, downloader, () -> false);
            }
            if (cls == FinetuneCommand.class) {
              return (K)
                  new FinetuneCommand(
                      () -> new TrainCommand(registry, Map.of(), home, downloader, () -> false));
            }
            if (cls == SpeedrunCommand.class) {
              return (K)
                  new SpeedrunCommand(
                      () -> new TrainCommand(registry, Map.of(), home, downloader, () -> false));
            }
            if (cls == EvalCommand.class) {
              return (K) new EvalCommand(registry, Map.of(), home, downloader, () -> false);
            }
            return defaults.create(cls);
          }
        };
    CommandLine cl = Main.commandLine(factory);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new CliRun(code, out.toString(), err.toString());
  }

  /** Output and errors, for assertion messages. */
  String all() {
    return "exit " + code + "\n--- out\n" + out + "--- err\n" + err;
  }
}
