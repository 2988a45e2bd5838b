package org.handgrad.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code ./handgrad} command line. */
@Command(
    name = "handgrad",
    mixinStandardHelpOptions = true,
    version = "handgrad 0.1.0",
    description = "CS231n in pure Java: train, check and benchmark hand-derived layers.",
    subcommands = {CommandLine.HelpCommand.class, GradCheckCommand.class, DataCommand.class})
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Runs the command line and exits with its status code. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured picocli command line (also used by tests). */
  public static CommandLine commandLine() {
    return new CommandLine(new Main());
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
