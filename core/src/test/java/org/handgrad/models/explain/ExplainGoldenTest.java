package org.handgrad.models.explain;

import java.util.Map;
import org.handgrad.models.cnn.BnConvNet;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.handgrad.testing.Golden;
import org.junit.jupiter.api.Test;

/**
 * Saliency maps and Grad-CAM against PyTorch autograd (scripts/fixtures/explain.py): a small bn-cnn
 * in evaluation mode with the fixture's weights and running statistics; Grad-CAM by
 * pytorch-grad-cam's definition at two conv layers, raw, upsampled and normalised.
 */
class ExplainGoldenTest {
  private static final Map<String, Tensor> FIX = Fixtures.load("explain");

  private static BnConvNet model(DType dt) {
    BnConvNet m =
        new BnConvNet(
            new BnConvNet.Config(new int[] {1, 8, 8}, new int[] {3, 4}, 2, 6, 5, 1.0, 0, dt, 0));
    for (Parameter p : m.parameters()) {
      p.value().copyFrom(Fixtures.get(FIX, p.name()));
    }
    Map<String, Tensor> buffers = m.buffers();
    for (int i = 1; i <= 5; i++) {
      for (String k : new String[] {"running_mean", "running_var"}) {
        buffers.get("bn" + i + "." + k).copyFrom(Fixtures.get(FIX, "bn" + i + "_" + k));
      }
      buffers.get("bn" + i + ".num_batches_tracked").fill(1);
    }
    return m;
  }

  private static double tol(DType dt) {
    return dt == DType.FLOAT64 ? 1e-10 : 1e-5;
  }

  @Test
  void saliencyAndGradCamMatchPyTorch() {
    int[] y = Fixtures.get(FIX, "y").toIntArray();
    for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
      String s = dt == DType.FLOAT64 ? "f64" : "f32";
      BnConvNet m = model(dt);
      Tensor x = Fixtures.get(FIX, "x").to(dt);
      Golden.assertClose(
          "scores " + s, m.loss(x), Fixtures.get(FIX, s + "_scores").to(dt), tol(dt));
      Golden.assertClose(
          "saliency " + s,
          Saliency.saliencyMaps(m, x, y),
          Fixtures.get(FIX, s + "_saliency").to(DType.FLOAT64),
          tol(dt));
      for (String layer : new String[] {"conv2", "conv4"}) {
        Tensor cam = GradCam.gradCam(m, x, y, layer);
        String key = s + "_gradcam_" + layer;
        Golden.assertClose(key, cam, Fixtures.get(FIX, key).to(DType.FLOAT64), tol(dt));
        Tensor up = GradCam.upsample(cam, 8, 8);
        Golden.assertClose(
            key + "_up", up, Fixtures.get(FIX, key + "_up").to(DType.FLOAT64), tol(dt));
        Golden.assertClose(
            key + "_norm",
            GradCam.normalize(up),
            Fixtures.get(FIX, key + "_norm").to(DType.FLOAT64),
            tol(dt));
      }
    }
  }
}
