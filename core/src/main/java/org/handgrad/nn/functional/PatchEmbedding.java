package org.handgrad.nn.functional;

import java.util.Objects;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Patch embedding of a Vision Transformer (Dosovitskiy et al. 2021): cut each image into
 * non-overlapping P x P patches, flatten every patch and project it linearly to D dimensions. This
 * is a convolution with a P x P kernel and stride P, written as one GEMM over the patches.
 *
 * <p>Dimension letters: N batch, C channels, H x W image, P patch side, L = (H / P)(W / P) patches
 * in row-major order over the patch grid, K = C P P values per patch, D embedding. A patch vector
 * is ordered (c, i, j), so the weight (K, D) is PyTorch's {@code Conv2d(C, D, P, stride=P)} weight
 * (D, C, P, P) reshaped to (D, K) and transposed; the output equals that conv's {@code
 * out.flatten(2).transpose(1, 2)}.
 */
public final class PatchEmbedding {
  private PatchEmbedding() {}

  /**
   * What the backward pass reads.
   *
   * @param patches the flattened patches, shape (N * L, K)
   * @param w the weight, shape (K, D)
   * @param xShape (N, C, H, W)
   * @param patch P
   */
  public record Cache(Tensor patches, Tensor w, int[] xShape, int patch) {
    /** Validates presence. */
    public Cache {
      Objects.requireNonNull(patches, "patches");
      Objects.requireNonNull(w, "w");
      Objects.requireNonNull(xShape, "xShape");
    }
  }

  /**
   * Gradients of the patch embedding.
   *
   * @param dx shape (N, C, H, W)
   * @param dw shape (K, D)
   * @param db shape (D,)
   */
  public record Grads(Tensor dx, Tensor dw, Tensor db) {}

  /**
   * Forward pass.
   *
   * @param x images, shape (N, C, H, W), float32 or float64, H and W divisible by P
   * @param w weight, shape (C * P * P, D), dtype of x
   * @param b bias, shape (D,)
   * @param patch P, at least 1
   * @return out, shape (N, L, D), and the cache
   * @throws IllegalArgumentException when H or W is not divisible by P, or on mismatched shapes
   */
  public static Forward<Cache> patchEmbeddingForward(Tensor x, Tensor w, Tensor b, int patch) {
    String op = "patch_embedding";
    x = SeqArgs.input(op, "x", x, "(N, C, H, W)", 4);
    int n = x.shape(0);
    int c = x.shape(1);
    int h = x.shape(2);
    int wd = x.shape(3);
    if (patch < 1 || h % patch != 0 || wd % patch != 0) {
      throw new IllegalArgumentException(
          op
              + ": image size "
              + h
              + "x"
              + wd
              + " is not divisible by the patch size "
              + patch
              + " (x "
              + x.shapeString()
              + ")");
    }
    int k = c * patch * patch;
    w = SeqArgs.input(op, "w", w, "(K, D)", 2);
    int d = w.shape(1);
    w = SeqArgs.matching(op, "w", w, "(K, D) with K = C*P*P", x, "x", k, d);
    b = SeqArgs.matching(op, "b", b, "(D,)", x, "x", d);
    int l = (h / patch) * (wd / patch);
    int[] map = patchIndex(c, h, wd, patch);
    Tensor patches = Tensor.zeros(x.dtype(), n * l, k);
    gather(patches, x, map, n, c * h * wd);
    Tensor out = Tensor.zeros(x.dtype(), n, l, d);
    TensorGemm.gemm(out, patches, false, w, false, n * l, d, k, 0);
    SeqKernels.addBias(n * l, d, out, 0, d, b);
    return new Forward<>(out, new Cache(patches, w, x.shape(), patch));
  }

  /**
   * Backward pass, the affine layer's on the patch matrix: dpatches = dout w^T, dw = patches^T
   * dout, db = the column sums of dout; dx scatters dpatches back to the pixels (each pixel is in
   * exactly one patch).
   *
   * @param dout shape (N, L, D)
   * @param cache from the forward pass
   */
  public static Grads patchEmbeddingBackward(Tensor dout, Cache cache) {
    int[] xs = cache.xShape();
    int n = xs[0];
    int k = cache.w().shape(0);
    int d = cache.w().shape(1);
    int rows = cache.patches().shape(0);
    dout =
        SeqArgs.matching(
            "patch_embedding_backward", "dout", dout, "(N, L, D)", cache.w(), "w", n, rows / n, d);
    Tensor dpatches = Tensor.zeros(dout.dtype(), rows, k);
    TensorGemm.gemm(dpatches, dout, false, cache.w(), true, rows, k, d, 0);
    Tensor dw = Tensor.zeros(dout.dtype(), k, d);
    TensorGemm.gemm(dw, cache.patches(), true, dout, false, k, d, rows, 0);
    Tensor db = Tensor.zeros(dout.dtype(), d);
    SeqKernels.sumRows(rows, d, db, 0, dout, 0, d);
    int[] map = patchIndex(xs[1], xs[2], xs[3], cache.patch());
    Tensor dx = Tensor.zeros(dout.dtype(), xs);
    scatter(dx, dpatches, map, n, xs[1] * xs[2] * xs[3]);
    return new Grads(dx, dw, db);
  }

  /**
   * For one image: element (l, col) of its (L, K) patch matrix is pixel {@code map[l * K + col]} of
   * its (C, H, W) block; the map is a permutation of [0, C H W).
   */
  private static int[] patchIndex(int c, int h, int w, int p) {
    int gw = w / p;
    int l = (h / p) * gw;
    int k = c * p * p;
    int[] map = new int[l * k];
    for (int pi = 0; pi < l; pi++) {
      int y0 = (pi / gw) * p;
      int x0 = (pi % gw) * p;
      int col = 0;
      for (int ch = 0; ch < c; ch++) {
        for (int i = 0; i < p; i++) {
          for (int j = 0; j < p; j++) {
            map[pi * k + col++] = (ch * h + y0 + i) * w + x0 + j;
          }
        }
      }
    }
    return map;
  }

  private static void gather(Tensor patches, Tensor x, int[] map, int n, int per) {
    int xo = x.offset();
    if (x.dtype() == DType.FLOAT32) {
      float[] dst = patches.floatStorage();
      float[] src = x.floatStorage();
      for (int b = 0; b < n; b++) {
        int s0 = xo + b * per;
        int d0 = b * per;
        for (int i = 0; i < per; i++) {
          dst[d0 + i] = src[s0 + map[i]];
        }
      }
    } else {
      double[] dst = patches.doubleStorage();
      double[] src = x.doubleStorage();
      for (int b = 0; b < n; b++) {
        int s0 = xo + b * per;
        int d0 = b * per;
        for (int i = 0; i < per; i++) {
          dst[d0 + i] = src[s0 + map[i]];
        }
      }
    }
  }

  private static void scatter(Tensor dx, Tensor dpatches, int[] map, int n, int per) {
    if (dx.dtype() == DType.FLOAT32) {
      float[] dst = dx.floatStorage();
      float[] src = dpatches.floatStorage();
      for (int b = 0; b < n; b++) {
        int o = b * per;
        for (int i = 0; i < per; i++) {
          dst[o + map[i]] = src[o + i];
        }
      }
    } else {
      double[] dst = dx.doubleStorage();
      double[] src = dpatches.doubleStorage();
      for (int b = 0; b < n; b++) {
        int o = b * per;
        for (int i = 0; i < per; i++) {
          dst[o + map[i]] = src[o + i];
        }
      }
    }
  }
}
