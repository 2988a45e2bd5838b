package org.handgrad.models.diffusion;

import java.util.LinkedHashMap;
import java.util.Map;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;

/**
 * Maps the reference PyTorch U-Net's state_dict (as stored in fixtures/unet.npz) onto our parameter
 * names and layouts: linear weights transposed to (in, out); the packed attention projection split
 * into query, key and value row blocks, each transposed; out_proj is our proj.
 */
final class TorchUNet {
  private TorchUNet() {}

  /**
   * For every parameter of {@code net}, the array of {@code fixture} it corresponds to, in our
   * layout.
   *
   * @param prefix the key prefix of the arrays ("p_" for weights, "f64_grad_" for gradients)
   */
  static Map<String, Tensor> ours(UNet net, Map<String, Tensor> fixture, String prefix) {
    Map<String, Tensor> m = new LinkedHashMap<>();
    int c = net.config().widths()[net.config().levels() - 1];
    String[] parts = {"query", "key", "value"};
    for (Parameter p : net.parameters()) {
      String name = p.name();
      Tensor v;
      if (name.startsWith("attn.mha.")) {
        String[] s = name.split("\\.");
        String layer = s[2], kind = s[3];
        if (layer.equals("proj")) {
          Tensor w = Fixtures.get(fixture, prefix + "attn.mha.out_proj." + kind);
          v = kind.equals("weight") ? w.transpose() : w;
        } else {
          int i = java.util.Arrays.asList(parts).indexOf(layer);
          Tensor w = Fixtures.get(fixture, prefix + "attn.mha.in_proj_" + kind);
          v = w.slice(0, i * c, (i + 1) * c);
          v = kind.equals("weight") ? v.transpose() : v;
        }
      } else {
        v = Fixtures.get(fixture, prefix + name);
        if (isLinearWeight(name)) {
          v = v.transpose();
        }
      }
      m.put(name, v.contiguous());
    }
    return m;
  }

  static boolean isLinearWeight(String name) {
    return name.equals("t1.weight") || name.equals("t2.weight") || name.endsWith(".film.weight");
  }

  /** Copies the fixture's weights into {@code net}, converted to its dtype. */
  static void load(UNet net, Map<String, Tensor> fixture) {
    Map<String, Tensor> w = ours(net, fixture, "p_");
    for (Parameter p : net.parameters()) {
      p.assign(w.get(p.name()).to(p.dtype()));
    }
  }
}
