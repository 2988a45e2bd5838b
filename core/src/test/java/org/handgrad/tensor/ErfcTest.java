package org.handgrad.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ErfcTest {
  /** A few ulp: Cody's approximations are good to ~1e-18 before double rounding. */
  private static final double TOL = 4e-16;

  /** Reference values from mpmath at 40 digits: x, erf(x), erfc(x), erfc(-x). */
  @ParameterizedTest(name = "x = {0}")
  @CsvSource({
    "1e-300, 1.1283791670955126022e-300, 1.0, 1.0",
    "1e-10, 1.128379167095512615e-10, 0.99999999988716208329, 1.0000000001128379167",
    "0.1, 0.1124629160182848984, 0.8875370839817151016, 1.1124629160182848984",
    "0.25, 0.27632639016823693299, 0.72367360983176306701, 1.276326390168236933",
    "0.46875, 0.49261347321793799159, 0.50738652678206200841, 1.4926134732179379916",
    "0.5, 0.52049987781304653768, 0.47950012218695346232, 1.5204998778130465377",
    "0.75, 0.7111556336535151316, 0.2888443663464848684, 1.7111556336535151316",
    "1.0, 0.84270079294971486934, 0.15729920705028513066, 1.8427007929497148693",
    "1.5, 0.96610514647531072707, 0.033894853524689272933, 1.9661051464753107271",
    "2.0, 0.99532226501895273416, 0.0046777349810472658379, 1.9953222650189527342",
    "2.5, 0.99959304798255504106, 0.00040695201744495893956, 1.9995930479825550411",
    "3.0, 0.99997790950300141456, 0.000022090496998585441373, 1.9999779095030014146",
    "3.5, 0.99999925690162765859, 7.4309837234141274552e-7, 1.9999992569016276586",
    "4.0, 0.99999998458274209972, 1.5417257900280018852e-8, 1.9999999845827420997",
    "4.5, 0.99999999980338395585, 1.9661604415428874763e-10, 1.9999999998033839558",
    "5.0, 0.99999999999846254021, 1.5374597944280348502e-12, 1.9999999999984625402",
    "6.0, 0.99999999999999997848, 2.1519736712498913117e-17, 1.9999999999999999785",
    "8.0, 1.0, 1.122429717298292708e-29, 2.0",
    "10.0, 1.0, 2.088487583762544757e-45, 2.0",
    "15.0, 1.0, 7.2129941724512066666e-100, 2.0",
    "20.0, 1.0, 5.3958656116079009289e-176, 2.0",
    "26.0, 1.0, 5.6631924088561428465e-296, 2.0"
  })
  void matchesHighPrecisionValues(double x, double erf, double erfc, double erfcNeg) {
    assertRel(erf, SpecialFunctions.erf(x), "erf(" + x + ")");
    assertRel(-erf, SpecialFunctions.erf(-x), "erf(" + -x + ")");
    assertRel(erfc, SpecialFunctions.erfc(x), "erfc(" + x + ")");
    assertRel(erfcNeg, SpecialFunctions.erfc(-x), "erfc(" + -x + ")");
  }

  @Test
  void limitsAndSpecialValues() {
    assertEquals(0.0, SpecialFunctions.erf(0.0));
    assertEquals(1.0, SpecialFunctions.erf(Double.POSITIVE_INFINITY));
    assertEquals(-1.0, SpecialFunctions.erf(Double.NEGATIVE_INFINITY));
    assertEquals(0.0, SpecialFunctions.erfc(Double.POSITIVE_INFINITY));
    assertEquals(2.0, SpecialFunctions.erfc(Double.NEGATIVE_INFINITY));
    assertEquals(0.0, SpecialFunctions.erfc(27.0), "erfc underflows past 26.543");
    assertTrue(Double.isNaN(SpecialFunctions.erf(Double.NaN)));
    assertTrue(Double.isNaN(SpecialFunctions.erfc(Double.NaN)));
  }

  /** Both sides of each branch point, one ulp away (mpmath values at those exact doubles). */
  @ParameterizedTest(name = "x = {0}")
  @CsvSource({
    "0.46874999999999994, 0.49261347321793794131, 0.50738652678206205869",
    "0.46875000000000006, 0.49261347321793804187, 0.50738652678206195813",
    "3.9999999999999996, 0.99999998458274209972, 1.5417257900280075244e-8",
    "4.000000000000001, 0.99999998458274209972, 1.5417257900279906069e-8"
  })
  void accurateOnBothSidesOfTheBranchPoints(double x, double erf, double erfc) {
    assertRel(erf, SpecialFunctions.erf(x), "erf(" + x + ")");
    assertRel(erfc, SpecialFunctions.erfc(x), "erfc(" + x + ")");
  }

  @Test
  void erfPlusErfcIsOne() {
    for (double x = -6; x <= 6; x += 0.01) {
      assertEquals(1.0, SpecialFunctions.erf(x) + SpecialFunctions.erfc(x), 2.3e-16, "x = " + x);
    }
  }

  private static void assertRel(double expected, double actual, String what) {
    double r = Math.abs(actual - expected) / Math.abs(expected);
    assertTrue(expected == actual || r < TOL, what + " = " + actual + ", expected " + expected);
  }
}
