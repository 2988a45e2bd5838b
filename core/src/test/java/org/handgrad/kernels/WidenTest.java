package org.handgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import jdk.incubator.vector.DoubleVector;
import org.junit.jupiter.api.Test;

/**
 * {@link Widen} reads the right floats at every offset, including the last vector of an array where
 * the full-width load does not fit, and no kernel creates a second vector species (see the {@link
 * Widen} comment for the slow-down a second float shape causes).
 */
class WidenTest {
  @Test
  void widensEveryOffsetIncludingTheTail() {
    int lanes = Species.D.length();
    for (int n = lanes; n <= 3 * Species.F.length() + 1; n++) {
      float[] x = new float[n];
      for (int i = 0; i < n; i++) {
        x[i] = 0.1f * i - 1.7f;
      }
      for (int i = 0; i + lanes <= n; i++) {
        DoubleVector v = Widen.floats(x, i);
        for (int k = 0; k < lanes; k++) {
          assertEquals((double) x[i + k], v.lane(k), "n " + n + ", offset " + i + ", lane " + k);
        }
      }
    }
  }

  @Test
  void kernelsUseOnlyTheSpeciesOfSpecies() throws IOException {
    // Runs from the core module folder (Maven's working directory for tests).
    Path dir = Path.of("src/main/java/org/handgrad/kernels");
    Pattern other = Pattern.compile("VectorSpecies\\.of\\(|SPECIES_(64|128|256|512|MAX)\\b");
    List<String> offenders = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (f.getFileName().toString().equals("Species.java")) {
          continue;
        }
        List<String> lines = Files.readAllLines(f);
        for (int i = 0; i < lines.size(); i++) {
          if (other.matcher(lines.get(i)).find()) {
            offenders.add(f.getFileName() + ":" + (i + 1) + ": " + lines.get(i).trim());
          }
        }
      }
    }
    assertTrue(offenders.isEmpty(), "species outside Species.java: " + offenders);
  }
}
