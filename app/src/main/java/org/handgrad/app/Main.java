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
      ExplainCommand.class,
      CaptionCommand.class,
      SslCommand.class,
      LabCommand.class,
      ReportCommand.class,
      GenerateCommand.class,
      ImportCommand.class,
      ExportCommand.class,
      FinetuneCommand.class,
      SpeedrunCommand.class,
      ClipCommand.class,
      SegmentVideoCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Runs the command line and exits with its status code. */
  public static void main(String[] args) {
    int code;
    try {
      code = commandLine().execute(args);
    } catch (OutOfMemoryError e) { // an Error passes picocli's handlers; no stack trace for it
      System.err.println(
          "error: out of memory ("
              + e.getMessage()
              + "); give Java more heap, e.g. HANDGRAD_JAVA_OPTS=-Xmx8g, or use smaller data");
      code = 1;
    }
    System.exit(code);
  }

  /** Exit code of an unexpected failure (a bug): EX_SOFTWARE of sysexits.h. */
  public static final int INTERNAL_ERROR = 70;

  /** Set to see the stack trace of an unexpected failure. */
  public static final String DEBUG_ENV = "HANDGRAD_DEBUG";

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
          if (c.getCommandSpec().parent() == null
              && ex instanceof CommandLine.UnmatchedArgumentException u
              && !u.getUnmatched().isEmpty()
              && !u.getUnmatched().get(0).startsWith("-")) {
            err.println(
                "error: unknown command '"
                    + u.getUnmatched().get(0)
                    + "'; commands: "
                    + String.join(", ", c.getSubcommands().keySet()));
          } else {
            err.println("error: " + ex.getMessage());
          }
          CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
          err.println("see './" + c.getCommandSpec().qualifiedName(" ") + " --help'");
          err.flush();
          return c.getCommandSpec().exitCodeOnInvalidInput();
        });
    // Anything a command did not handle is a bug: one line saying so, not a stack trace.
    cl.setExecutionExceptionHandler(
        (ex, c, parsed) -> {
          PrintWriter err = c.getErr();
          err.println();
          err.println("error: unexpected " + ex);
          if (System.getenv(DEBUG_ENV) != null) {
            ex.printStackTrace(err);
          } else {
            err.println(
                "this is a bug in handgrad; run again with "
                    + DEBUG_ENV
                    + "=1 for the stack trace, and please report it");
          }
          err.flush();
          return INTERNAL_ERROR;
        });
    return cl;
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
