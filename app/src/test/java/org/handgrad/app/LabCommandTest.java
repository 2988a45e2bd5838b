package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.handgrad.app.lab.Labs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lab list}, {@code lab run} and {@code report} through the command line. */
class LabCommandTest {
  @TempDir Path tmp;

  @Test
  void listShowsOneLabALineWithWhatItShows() {
    CliRun r = CliRun.run(tmp, "lab", "list");
    assertEquals(0, r.code(), r.all());
    List<String> lines = r.out().lines().toList();
    assertEquals(Labs.names().size(), lines.size(), r.out());
    for (int i = 0; i < lines.size(); i++) {
      assertTrue(lines.get(i).startsWith(Labs.names().get(i) + " "), lines.get(i));
      assertTrue(lines.get(i).length() > Labs.names().get(i).length() + 20, lines.get(i));
    }
  }

  @Test
  void unknownLabIsAUsageErrorNamingTheLabs() {
    CliRun r = CliRun.run(tmp, "lab", "run", "weight-inti", "--run-dir", tmp.toString());
    assertEquals(2, r.code(), r.all());
    assertTrue(
        r.err().contains("unknown lab 'weight-inti'") && r.err().contains("weight-init"), r.all());
  }

  @Test
  void runWritesTheRunFolderAndReportIndexesIt() throws IOException {
    Path runs = tmp.resolve("runs");
    CliRun r =
        CliRun.run(tmp, "lab", "run", "broken-backward", "--quick", "--run-dir", runs.toString());
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("AGREES"), r.out());
    Path dir;
    try (Stream<Path> s = Files.list(runs)) {
      dir = s.findFirst().orElseThrow();
    }
    assertTrue(dir.getFileName().toString().startsWith("lab-broken-backward-"), dir.toString());
    for (String f :
        List.of("config.json", "summary.md", "result.json", "report.html", "gradcheck.png")) {
      assertTrue(Files.isRegularFile(dir.resolve(f)), f);
    }
    CliRun rep = CliRun.run(tmp, "report", runs.toString());
    assertEquals(0, rep.code(), rep.all());
    assertTrue(rep.out().contains("1 run,"), rep.out());
    String index = Files.readString(runs.resolve("index.html"));
    assertTrue(index.contains(dir.getFileName() + "/report.html"), index);
  }

  @Test
  void reportOnAMissingFolderSaysSo() {
    CliRun r = CliRun.run(tmp, "report", tmp.resolve("nope").toString());
    assertEquals(1, r.code(), r.all());
    assertTrue(r.err().contains("not a folder"), r.all());
  }
}
