package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The top-level command line: every command the README lists is reachable through {@link Main}. */
class MainTest {
  @TempDir Path home;

  @Test
  void everyReadmeCommandIsRegistered() {
    Set<String> names = Main.commandLine().getSubcommands().keySet();
    for (String name :
        new String[] {
          "train",
          "eval",
          "predict",
          "gradcheck",
          "data",
          "bench",
          "caption",
          "clip",
          "lab",
          "report",
          "generate",
          "explain"
        }) {
      assertTrue(names.contains(name), "missing command " + name + " in " + names);
    }
  }

  @Test
  void captionSubcommandsAnswerHelpThroughMain() {
    for (String sub : new String[] {"train", "sample"}) {
      CliRun r = CliRun.run(home, "caption", sub, "--help");
      assertEquals(0, r.code(), r.out() + r.err());
      assertTrue(r.out().contains("Usage: handgrad caption " + sub), r.out());
    }
  }

  @Test
  void clipSubcommandsAnswerHelpThroughMain() {
    for (String sub : new String[] {"train", "zeroshot", "retrieve"}) {
      CliRun r = CliRun.run(home, "clip", sub, "--help");
      assertEquals(0, r.code(), r.out() + r.err());
      assertTrue(r.out().contains("Usage: handgrad clip " + sub), r.out());
    }
  }
}
