package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
  private long now;

  private ProgressBar bar(StringWriter sw, boolean terminal, ProgressBar.Unit unit) {
    return new ProgressBar(new PrintWriter(sw), "file.gz", unit, terminal, () -> now);
  }

  @Test
  void rendersPercentAmountsRateAndEta() {
    StringWriter sw = new StringWriter();
    ProgressBar b = bar(sw, false, ProgressBar.Unit.BYTES);
    now = 0;
    b.update(0, 26_400_000);
    now = 4_000_000_000L; // 4 s later, 12 MB done: 3 MB/s, 14.4 MB left = 0:05
    b.update(12_000_000, 26_400_000);
    assertEquals(
        "file.gz  45% [#########...........]  12.0/26.4 MB  3.00 MB/s  ETA 0:05", b.render(now));
  }

  @Test
  void unknownTotalShowsAmountAndRate() {
    ProgressBar b = bar(new StringWriter(), false, ProgressBar.Unit.BYTES);
    now = 0;
    b.update(0, -1);
    now = 2_000_000_000L;
    b.update(1_500, -1);
    assertEquals("file.gz  1.50 kB  750 B/s", b.render(now));
  }

  @Test
  void itemsAndFinishedLine() {
    StringWriter sw = new StringWriter();
    ProgressBar b = bar(sw, false, ProgressBar.Unit.ITEMS);
    now = 0;
    b.update(0, 50);
    now = 65_000_000_000L;
    b.update(50, 50);
    b.finish();
    String[] lines = sw.toString().split("\n");
    assertEquals(
        "file.gz 100% [####################]  50/50  0.77/s  in 1:05", lines[lines.length - 1]);
  }

  @Test
  void logModePrintsPeriodicLinesNotEveryUpdate() {
    StringWriter sw = new StringWriter();
    ProgressBar b = bar(sw, false, ProgressBar.Unit.BYTES);
    for (int i = 0; i <= 100; i++) {
      now = i * 100_000_000L; // 10 s of updates every 0.1 s
      b.update(i * 1000L, 100_000);
    }
    b.finish();
    String s = sw.toString();
    assertFalse(s.contains("\r"));
    long lines = s.lines().count();
    assertTrue(lines >= 3 && lines <= 6, lines + " lines:\n" + s);
    assertTrue(s.lines().reduce((a, c) -> c).orElseThrow().contains("100%"));
  }

  @Test
  void terminalModeRedrawsInPlace() {
    StringWriter sw = new StringWriter();
    ProgressBar b = bar(sw, true, ProgressBar.Unit.BYTES);
    for (int i = 0; i <= 10; i++) {
      now = i * 200_000_000L;
      b.update(i * 10L, 100);
    }
    b.finish();
    String s = sw.toString();
    assertEquals(12, s.chars().filter(c -> c == '\r').count(), s);
    assertTrue(s.endsWith("\n"));
    assertEquals(1, s.chars().filter(c -> c == '\n').count(), "one line ending, at the end");
  }

  @Test
  void finishWithoutUpdatesPrintsNothing() {
    StringWriter sw = new StringWriter();
    bar(sw, true, ProgressBar.Unit.BYTES).finish();
    assertEquals("", sw.toString());
  }

  @Test
  void durations() {
    assertEquals("0:05", ProgressBar.duration(4.6));
    assertEquals("12:34", ProgressBar.duration(754));
    assertEquals("1:02:03", ProgressBar.duration(3723));
  }
}
