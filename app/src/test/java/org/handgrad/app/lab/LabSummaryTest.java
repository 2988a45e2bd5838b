package org.handgrad.app.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The lab summary's number formats and verdict. */
class LabSummaryTest {
  @Test
  void plainDropsTrailingZerosFmtKeepsFourDigits() {
    assertEquals("3", LabSummary.plain(3.0));
    assertEquals("1.5", LabSummary.plain(1.5));
    assertEquals("0.01", LabSummary.plain(1e-2));
    assertEquals("0.01000", LabSummary.fmt(1e-2));
    assertEquals("1.20e+05", LabSummary.fmt(1.2e5));
  }

  @Test
  void agreesOnlyWithChecksAllAgreeing() {
    LabSummary s = new LabSummary();
    assertFalse(s.allAgree(), "no checks: no verdict");
    s.check("a", "1", true);
    assertTrue(s.allAgree());
    s.check("b", "2", false);
    assertFalse(s.allAgree());
  }
}
