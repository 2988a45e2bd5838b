package org.handgrad.app.lab;

import java.io.IOException;

/**
 * One experiment or debug-handbook failure of the CS231n notes, reproduced in one command ({@code
 * ./handgrad lab run NAME}): it trains or probes the models it needs, writes PNG plots into its run
 * folder, and records in a {@link LabSummary} the measured numbers, the conclusion the notes draw
 * and whether the measurement agrees with it.
 */
public interface Lab {
  /** The name on the command line, lower case with dashes ("weight-init"). */
  String name();

  /** What the lab shows, one line for {@code lab list}. */
  String description();

  /**
   * Runs the lab.
   *
   * @param ctx the data, the run folder, the quick flag and the summary to fill
   */
  void run(LabContext ctx) throws IOException;
}
