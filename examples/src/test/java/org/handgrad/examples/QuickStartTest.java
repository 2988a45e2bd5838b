package org.handgrad.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the README's library example briefly: it must train, save, load and predict. */
class QuickStartTest {
  @TempDir Path tmp;

  @Test
  void trainsSavesLoadsAndPredicts() throws IOException {
    double acc = QuickStart.run(1000, 2, tmp);
    assertTrue(Files.size(tmp.resolve("softmax.safetensors")) > 0);
    assertTrue(acc > 0.3, "test accuracy " + acc + " (chance 0.1)");
  }

  @Test
  void mainRuns() throws IOException {
    QuickStart.main(new String[] {"300", "1", tmp.toString()});
  }
}
