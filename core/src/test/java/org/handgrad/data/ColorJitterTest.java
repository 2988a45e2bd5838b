package org.handgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** torchvision's adjustments (scripts/fixtures/color_jitter.py), RGB and grayscale images. */
class ColorJitterTest {
  private static final Map<String, Tensor> F = Fixtures.load("color_jitter");

  private static double[] f(String key) {
    return F.get(key).toDoubleArray();
  }

  @ParameterizedTest
  @ValueSource(strings = {"rgb", "gray"})
  void matchesTorchvisionAtFloat64(String kind) {
    Tensor x = F.get(kind);
    double tol = 1e-12;
    Golden.assertClose(
        "brightness",
        ColorJitter.adjustBrightness(x, f("f_brightness")),
        F.get("brightness_" + kind),
        tol);
    Golden.assertClose(
        "contrast", ColorJitter.adjustContrast(x, f("f_contrast")), F.get("contrast_" + kind), tol);
    Golden.assertClose(
        "saturation",
        ColorJitter.adjustSaturation(x, f("f_saturation")),
        F.get("saturation_" + kind),
        tol);
    Golden.assertClose("hue", ColorJitter.adjustHue(x, f("f_hue")), F.get("hue_" + kind), tol);
    int k = F.get("kernel").toIntArray()[0];
    Tensor blurred = ColorJitter.gaussianBlur(x, k, f("sigma"));
    Golden.assertClose("blur", blurred, F.get("blur64_" + kind), tol);
    // torchvision's own gaussian_blur builds the taps in float32 (torch.linspace's default dtype)
    // even for float64 images: it agrees to float32 precision.
    Golden.assertClose("torchvision blur", blurred, F.get("blur_" + kind), 1e-6);
  }

  @Test
  void grayscaleMatchesTorchvisionAndKeepsFloat32() {
    Tensor x = F.get("rgb");
    boolean[] all = {true, true, true};
    Golden.assertClose("gray", ColorJitter.grayscale(x, all), F.get("grayscale_rgb"), 1e-12);
    Tensor x32 = x.to(DType.FLOAT32);
    Tensor out = ColorJitter.grayscale(x32, new boolean[] {false, true, false});
    assertEquals(DType.FLOAT32, out.dtype());
    assertArrayEquals(
        x32.slice(0, 0, 1).toDoubleArray(), out.slice(0, 0, 1).toDoubleArray(), "untouched");
    Golden.assertClose(
        "gray32",
        out.slice(0, 1, 2).to(DType.FLOAT64),
        F.get("grayscale_rgb").slice(0, 1, 2),
        1e-6);
  }

  @Test
  void hueShiftOfAFullTurnIsTheIdentityAndHalfTurnsCompose() {
    Tensor x = F.get("rgb");
    Tensor half = ColorJitter.adjustHue(x, new double[] {0.5, 0.5, 0.5});
    Tensor back = ColorJitter.adjustHue(half, new double[] {-0.5, -0.5, -0.5});
    Golden.assertClose("round trip", back, x, 1e-12);
  }

  @Test
  void badInputGetsAClearError() {
    Tensor x = F.get("rgb");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ColorJitter.adjustBrightness(x, new double[] {1, 1}));
    assertEquals("adjustBrightness: expected 3 factors for x (3, 3, 5, 6), got 2", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ColorJitter.adjustHue(x, new double[] {0, 0.6, 0}));
    assertEquals("adjustHue: shift must be in [-0.5, 0.5], got 0.6", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ColorJitter.adjustContrast(
                    Tensor.zeros(DType.FLOAT64, 1, 2, 3, 3), new double[] {1}));
    assertEquals("adjustContrast: expected 1 or 3 channels, got x (1, 2, 3, 3)", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ColorJitter.gaussianBlur(x, 4, new double[] {1, 1, 1}));
    assertEquals("gaussianBlur: kernel size must be odd and positive, got 4", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ColorJitter.gaussianBlur(x, 11, new double[] {1, 1, 1}));
    assertEquals("gaussianBlur: kernel 11 is too large for reflect padding of 5x6", e.getMessage());
  }
}
