package org.handgrad.nn.functional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.handgrad.nn.GradCheck;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FilmTest {
  private static Map<String, Tensor> fixture;

  private static synchronized Tensor fx(String key) {
    if (fixture == null) {
      fixture = Fixtures.load("unet");
    }
    return Fixtures.get(fixture, key);
  }

  private static Tensor randn(SplittableRandom rng, int... shape) {
    Tensor t = Tensor.zeros(DType.FLOAT64, shape);
    for (int i = 0; i < t.size(); i++) {
      t.setFlat(i, rng.nextGaussian());
    }
    return t;
  }

  @Test
  void passesTheFloat64GradientCheck() {
    SplittableRandom rng = new SplittableRandom(5);
    Tensor x = randn(rng, 3, 2, 3, 5);
    Tensor scale = randn(rng, 3, 2);
    Tensor shift = randn(rng, 3, 2);
    Tensor dout = randn(rng, 3, 2, 3, 5);
    Film.Grads g = Film.filmBackward(dout, Film.filmForward(x, scale, shift).cache());
    double h = GradCheck.DEFAULT_H;
    Tensor dx =
        GradCheck.evalNumericalGradientArray(
            v -> Film.filmForward(v, scale, shift).out(), x, dout, h);
    Tensor ds =
        GradCheck.evalNumericalGradientArray(
            v -> Film.filmForward(x, v, shift).out(), scale, dout, h);
    Tensor dh =
        GradCheck.evalNumericalGradientArray(
            v -> Film.filmForward(x, scale, v).out(), shift, dout, h);
    assertTrue(GradCheck.relError(dx, g.dx()) < 1e-8, "dx " + GradCheck.relError(dx, g.dx()));
    assertTrue(GradCheck.relError(ds, g.dscale()) < 1e-8, "dscale");
    assertTrue(GradCheck.relError(dh, g.dshift()) < 1e-8, "dshift");
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FLOAT64", "FLOAT32"})
  void matchesPyTorch(DType dt) {
    Forward<Film.Cache> f =
        Film.filmForward(fx("film_x").to(dt), fx("film_scale").to(dt), fx("film_shift").to(dt));
    Film.Grads g = Film.filmBackward(fx("film_dout").to(dt), f.cache());
    double tol = dt == DType.FLOAT64 ? 1e-12 : 1e-6;
    Golden.assertClose("out", f.out().to(DType.FLOAT64), fx("film_out"), tol);
    Golden.assertClose("dx", g.dx().to(DType.FLOAT64), fx("film_dx"), tol);
    Golden.assertClose("dscale", g.dscale().to(DType.FLOAT64), fx("film_dscale"), tol);
    Golden.assertClose("dshift", g.dshift().to(DType.FLOAT64), fx("film_dshift"), tol);
  }

  @Test
  void zeroScaleAndShiftIsTheIdentity() {
    Tensor x = randn(new SplittableRandom(1), 2, 3, 2, 2);
    Tensor zero = Tensor.zeros(DType.FLOAT64, 2, 3);
    assertEquals(0.0, Golden.relDiff(Film.filmForward(x, zero, zero).out(), x));
  }

  @Test
  void badShapesNameTheOpAndBothShapes() {
    Tensor x = Tensor.zeros(DType.FLOAT32, 2, 3, 4, 4);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Film.filmForward(x, Tensor.zeros(DType.FLOAT32, 2, 4), x.slice(1, 0, 1)));
    assertEquals(
        "film: expected scale (N, C) = (2, 3) float32 for x (2, 3, 4, 4), got (2, 4) float32",
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Film.filmForward(
                    x, Tensor.zeros(DType.FLOAT32, 2, 3), Tensor.zeros(DType.FLOAT64, 2, 3)));
    assertEquals(
        "film: expected shift (N, C) = (2, 3) float32 for x (2, 3, 4, 4), got (2, 3) float64",
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> Film.filmForward(x.reshape(2, 3, 16), x, x));
    assertEquals("film: expected x (N, C, H, W), got (2, 3, 16)", e.getMessage());
  }
}
