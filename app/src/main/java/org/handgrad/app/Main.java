package org.handgrad.app;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code ./handgrad} command line. */
@Command(
    name = "handgrad",
    mixinStandardHelpOptions = true,
    version = "handgrad 0.1.0",
    description = "CS231n in pure Java: train, check and benchmark hand-derived layers.",
    subcommands = {
      CommandLine.HelpCommand.class,
      GradCheckCommand.class,
      DataCommand.class,
      BenchCommand.class,
      TrainCommand.class,
      EvalCommand.class,
      PredictCommand.class,
      CaptionCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Runs the command line and exits with its status code. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured picocli command line (also used by tests). */
  public static CommandLine commandLine() {
    return commandLine(CommandLine.defaultFactory());
  }

  /**
   * The command line with commands made by {@code factory} (tests inject fake data folders).
   * Mistyped options print one error line and a pointer to the command's help rather than the whole
   * usage, which for {@code train} is a hundred lines.
   */
  static CommandLine commandLine(CommandLine.IFactory factory) {
    CommandLine cl = new CommandLine(new Main(), factory);
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          CommandLine c = ex.getCommandLine();
          PrintWriter err = c.getErr();
          err.println("error: " + ex.getMessage());
          CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
          err.println("see './" + c.getCommandSpec().qualifiedName(" ") + " --help'");
          err.flush();
          return c.getCommandSpec().exitCodeOnInvalidInput();
        });
    return cl;
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
