package org.handgrad.app.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.Map;
import org.handgrad.io.Npy;
import org.handgrad.models.gan.Dcgan;
import org.handgrad.models.vae.Vae;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The twin converters (scripts/bench/ddpm_twin_to_run.py, vae_gan_twin_to_run.py) against the
 * PyTorch modules they convert: fixtures/twins holds run folders the converters wrote from small
 * seeded twins and what PyTorch computes with those weights (scripts/fixtures/twin_runs.py). Each
 * folder is loaded with the loader {@code generate sample} and {@code generate eval} use, so a
 * name, a transpose or a split the converter gets wrong fails here.
 */
class TwinRunsTest {
  private static Map<String, Tensor> expected;

  @BeforeAll
  static void load() throws IOException {
    expected = Npy.readNpz(fixture("expected.npz"));
  }

  private static Path fixture(String name) {
    URL url = TwinRunsTest.class.getResource("/fixtures/twins/" + name);
    assertNotNull(url, "fixtures/twins/" + name + " (scripts/fixtures/twin_runs.py)");
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Tensor get(String key) {
    Tensor t = expected.get(key);
    assertNotNull(t, "expected.npz has no " + key);
    return t;
  }

  /**
   * Max |actual - expected| over the largest |expected|: handgrad runs in float32, PyTorch's
   * reference in float64 from the same float32 weights.
   */
  private static void assertClose(String what, Tensor actual, Tensor want, double tol) {
    assertArrayEquals(want.shape(), actual.shape(), what + " shape");
    double[] a = actual.toDoubleArray(), w = want.toDoubleArray();
    double diff = 0, scale = 0;
    for (int i = 0; i < w.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - w[i]));
      scale = Math.max(scale, Math.abs(w[i]));
    }
    assertTrue(scale > 0, what + ": all-zero reference");
    assertTrue(diff <= tol * scale, what + ": max error " + diff + " > " + tol + " x " + scale);
  }

  private static final double F32 = 1e-5;

  @Test
  void ddpmTwinLoadsWithItsRawAndEmaWeights() throws IOException {
    Tensor x = get("ddpm_x");
    double[] t = get("ddpm_t").toDoubleArray();
    int[] y = get("ddpm_y").toIntArray();
    for (boolean ema : new boolean[] {false, true}) {
      GenRun run = GenRun.load(fixture("ddpm"), ema);
      assertEquals(7, run.step());
      assertEquals(DType.FLOAT32, run.net().config().dtype());
      Tensor out = run.net().forward(x.to(DType.FLOAT32), t, y);
      assertClose(ema ? "ema" : "model", out, get(ema ? "ddpm_ema" : "ddpm_model"), F32);
    }
    // The two sets differ, so the comparison above tells them apart.
    Tensor a = get("ddpm_model"), b = get("ddpm_ema");
    assertTrue(Math.abs(a.getFlat(0) - b.getFlat(0)) > 1e-3);
  }

  @Test
  void vaeTwinEncodesAndDecodesAsInPyTorch() throws IOException {
    LatentRun run = LatentRun.load(fixture("vae"));
    assertEquals(5, run.step());
    Vae vae = run.vae();
    assertNotNull(vae);
    Vae.Encoding e = vae.encode(get("vae_x").to(DType.FLOAT32));
    assertClose("mu", e.mu(), get("vae_mu"), F32);
    assertClose("logvar", e.logvar(), get("vae_logvar"), F32);
    Tensor decoded = vae.decode(get("vae_z").to(DType.FLOAT32));
    assertClose("decoded", decoded.reshape(3, 784), get("vae_decoded"), F32);
  }

  @Test
  void ganTwinGeneratesAndDiscriminatesAsInPyTorch() throws IOException {
    LatentRun run = LatentRun.load(fixture("gan"));
    assertEquals(9, run.step());
    Dcgan gan = run.gan();
    assertNotNull(gan);
    int[] labels = get("gan_labels").toIntArray();
    Tensor images = gan.generate(get("gan_z").to(DType.FLOAT32), labels);
    assertClose("images", images, get("gan_images"), F32);
    Tensor real = get("gan_real").to(DType.FLOAT32);
    Tensor logits = gan.discriminator().forward(gan.discriminatorInput(real, labels));
    assertClose("logits", logits, get("gan_logits"), F32);
  }
}
