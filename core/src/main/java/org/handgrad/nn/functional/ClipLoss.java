package org.handgrad.nn.functional;

import java.util.Objects;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * The contrastive image-text loss of CLIP (Radford et al. 2021, "Learning Transferable Visual
 * Models From Natural Language Supervision", Figure 3), its L2 normalization and the cosine
 * similarity matrix of CS231n's {@code get_similarity_no_loop}.
 *
 * <p>Dimension letters: N pairs (image i goes with text i), M a second batch, D the joint
 * embedding. Given unnormalized embeddings and the learnable log-temperature {@code t} (CLIP's
 * {@code logit_scale}):
 *
 * <pre>
 *   I = img / ||img||,  T = txt / ||txt||     row-wise, (N, D)
 *   s = exp(min(t, log 100))                   the paper clips the scale at 100
 *   logits = s I T^T                           (N, N): row i scores image i against every text
 *   loss = (CE(logits, arange(N)) + CE(logits^T, arange(N))) / 2
 * </pre>
 *
 * <p>Gradient (derived in {@code docs/clip.md}): with P = softmax over the rows of logits and Q =
 * softmax over its columns (the rows of logits^T), each cross-entropy gives (softmax - one-hot) /
 * N, so {@code dlogits = (P - E) / 2N + (Q - E) / 2N} with E the identity; then {@code dI = s
 * dlogits T}, {@code dT = s dlogits^T I}, {@code dt = sum(dlogits * logits)} when {@code t < log
 * 100} and 0 above (PyTorch's {@code clamp(max=...)} passes the gradient at the bound itself), and
 * the normalizations' backward {@code dx = (dy - y (y . dy)) / ||x||}.
 *
 * <p>Both dtypes: the cross-entropies run through {@link Losses#softmaxLoss}, which accumulates in
 * float64; the products stay in the input's dtype.
 */
public final class ClipLoss {
  private ClipLoss() {}

  /** CLIP's initial log-temperature, log(1 / 0.07) (the paper's temperature 0.07). */
  public static final double INIT_LOGIT_SCALE = Math.log(1 / 0.07);

  /** The largest effective log-temperature, log(100): the paper clips the logit scale at 100. */
  public static final double MAX_LOGIT_SCALE = Math.log(100);

  /**
   * Norms below this are replaced by it (PyTorch's {@code F.normalize} eps), so a zero row gives a
   * zero embedding instead of NaN.
   */
  public static final double NORM_EPS = 1e-12;

  // ---------------------------------------------------------------- L2 normalization

  /**
   * Cache of {@link #l2NormalizeForward}.
   *
   * @param out the normalized rows, shape (N, D)
   * @param norms max(||x_i||, eps), shape (N,) float64
   */
  public record NormalizeCache(Tensor out, double[] norms) {}

  /**
   * Row-wise L2 normalization {@code y_i = x_i / max(||x_i||, eps)}, PyTorch's {@code
   * F.normalize(x, dim=1)}.
   *
   * @param x shape (N, D), float32 or float64
   * @return out, shape (N, D), the dtype of x
   */
  public static Forward<NormalizeCache> l2NormalizeForward(Tensor x) {
    String op = "l2_normalize";
    x = matrix(op, "x", x);
    int n = x.shape(0);
    int d = x.shape(1);
    Tensor out = Tensor.zeros(x.dtype(), n, d);
    double[] norms = new double[n];
    double[] row = new double[d];
    for (int i = 0; i < n; i++) {
      read(x, i, row);
      double ss = 0;
      for (double v : row) {
        ss += v * v;
      }
      norms[i] = Math.max(Math.sqrt(ss), NORM_EPS);
      for (int j = 0; j < d; j++) {
        row[j] /= norms[i];
      }
      write(out, i, row);
    }
    return new Forward<>(out, new NormalizeCache(out, norms));
  }

  /**
   * Backward of {@link #l2NormalizeForward}: {@code dx_i = (dy_i - y_i (y_i . dy_i)) / ||x_i||},
   * the projection of dy onto the tangent plane of the unit sphere, scaled by the inverse norm
   * (rows below eps are a plain division, whose derivative is {@code dy / eps}).
   *
   * @param dout shape (N, D)
   * @param cache from the forward pass
   * @return dx, shape (N, D)
   */
  public static Tensor l2NormalizeBackward(Tensor dout, NormalizeCache cache) {
    Tensor y = cache.out();
    checkSame("l2_normalize_backward", "dout", dout, y);
    dout = dout.contiguous();
    int n = y.shape(0);
    int d = y.shape(1);
    Tensor dx = Tensor.zeros(y.dtype(), n, d);
    double[] yr = new double[d];
    double[] gr = new double[d];
    for (int i = 0; i < n; i++) {
      read(y, i, yr);
      read(dout, i, gr);
      double dot = 0;
      if (cache.norms()[i] > NORM_EPS) {
        for (int j = 0; j < d; j++) {
          dot += yr[j] * gr[j];
        }
      }
      for (int j = 0; j < d; j++) {
        gr[j] = (gr[j] - yr[j] * dot) / cache.norms()[i];
      }
      write(dx, i, gr);
    }
    return dx;
  }

  // ---------------------------------------------------------------- similarity

  /**
   * Cosine similarities, CS231n's {@code get_similarity_no_loop(text_features, image_features)}:
   * {@code out[i, j] = cos(text_i, image_j)}, computed as one product of the normalized rows.
   *
   * @param text shape (N, D), float32 or float64
   * @param image shape (M, D), the dtype of text
   * @return similarities, shape (N, M) (texts are rows, images are columns)
   */
  public static Tensor similarityNoLoop(Tensor text, Tensor image) {
    String op = "get_similarity_no_loop";
    text = matrix(op, "text_features", text);
    image = matrix(op, "image_features", image);
    if (text.shape(1) != image.shape(1) || text.dtype() != image.dtype()) {
      throw new IllegalArgumentException(
          op
              + ": text_features (N, D) and image_features (M, D) must share D and dtype, got "
              + describe(text)
              + " and "
              + describe(image));
    }
    Tensor t = l2NormalizeForward(text).out();
    Tensor im = l2NormalizeForward(image).out();
    return t.matmul(im.transpose());
  }

  /**
   * The two-loop reference of {@link #similarityNoLoop}: every entry is its own cosine, in float64.
   *
   * @param text shape (N, D)
   * @param image shape (M, D)
   * @return similarities, shape (N, M), float64
   */
  public static Tensor similarityTwoLoops(Tensor text, Tensor image) {
    String op = "get_similarity_two_loops";
    text = matrix(op, "text_features", text);
    image = matrix(op, "image_features", image);
    if (text.shape(1) != image.shape(1)) {
      throw new IllegalArgumentException(
          op
              + ": text and image features must share D, got "
              + describe(text)
              + " and "
              + describe(image));
    }
    int n = text.shape(0);
    int m = image.shape(0);
    int d = text.shape(1);
    Tensor out = Tensor.zeros(DType.FLOAT64, n, m);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < m; j++) {
        double dot = 0;
        double nt = 0;
        double ni = 0;
        for (int k = 0; k < d; k++) {
          double a = text.get(i, k);
          double b = image.get(j, k);
          dot += a * b;
          nt += a * a;
          ni += b * b;
        }
        out.set(
            dot / (Math.max(Math.sqrt(nt), NORM_EPS) * Math.max(Math.sqrt(ni), NORM_EPS)), i, j);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- the loss

  /**
   * The log-temperature of a temperature: {@code t = log(1 / temperature)}, so that {@code exp(t) =
   * 1 / temperature} multiplies the cosine similarities (CLIP initialises the temperature at 0.07).
   *
   * @param temperature &gt; 0
   * @throws IllegalArgumentException for a temperature &lt;= 0 or not finite
   */
  public static double logitScaleOf(double temperature) {
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException(
          "clip_loss: the temperature must be > 0 and finite (logits = cos / temperature), got "
              + temperature);
    }
    return Math.log(1 / temperature);
  }

  /**
   * Cache of {@link #clipLossForward}.
   *
   * @param img normalization cache of the image embeddings
   * @param txt normalization cache of the text embeddings
   * @param logits s I T^T, shape (N, N)
   * @param dlogits the loss's gradient with respect to the logits, shape (N, N)
   * @param scale s = exp(min(t, log 100))
   * @param clamped whether t exceeded log 100 (then dt = 0)
   */
  public record Cache(
      NormalizeCache img,
      NormalizeCache txt,
      Tensor logits,
      Tensor dlogits,
      double scale,
      boolean clamped) {}

  /**
   * Result of {@link #clipLossForward}.
   *
   * @param loss the symmetric loss, averaged over the N pairs
   * @param logits s I T^T, shape (N, N)
   * @param cache for the backward pass
   */
  public record Result(double loss, Tensor logits, Cache cache) {}

  /**
   * Gradients of {@link #clipLossForward}.
   *
   * @param dimg shape (N, D)
   * @param dtxt shape (N, D)
   * @param dlogitScale dL/dt, a scalar
   */
  public record Grads(Tensor dimg, Tensor dtxt, double dlogitScale) {}

  /**
   * The symmetric contrastive loss of a batch of N matching pairs.
   *
   * @param img image embeddings, unnormalized, shape (N, D), float32 or float64, N &gt;= 2
   * @param txt text embeddings, unnormalized, shape (N, D), the dtype of img
   * @param logitScale t, the log-temperature; the effective scale is exp(min(t, log 100))
   * @throws IllegalArgumentException on shapes that differ, a batch of one pair (the loss of a
   *     single pair is 0 whatever the embeddings: there is no negative), or a non-finite t
   */
  public static Result clipLossForward(Tensor img, Tensor txt, double logitScale) {
    String op = "clip_loss";
    img = matrix(op, "img", img);
    txt = matrix(op, "txt", txt);
    if (!img.sameShape(txt) || img.dtype() != txt.dtype()) {
      throw new IllegalArgumentException(
          op
              + ": image and text embeddings must both be (N, D) of one dtype (pair i = image i"
              + " with text i), got img "
              + describe(img)
              + " and txt "
              + describe(txt));
    }
    int n = img.shape(0);
    if (n < 2) {
      throw new IllegalArgumentException(
          op
              + ": a batch of "
              + n
              + " pair has no negatives, so the loss is 0 and teaches nothing; use N >= 2, got"
              + " img "
              + describe(img));
    }
    if (!Double.isFinite(logitScale)) {
      throw new IllegalArgumentException(op + ": logit_scale must be finite, got " + logitScale);
    }
    Forward<NormalizeCache> fi = l2NormalizeForward(img);
    Forward<NormalizeCache> ft = l2NormalizeForward(txt);
    boolean clamped = logitScale > MAX_LOGIT_SCALE;
    double scale = Math.exp(Math.min(logitScale, MAX_LOGIT_SCALE));
    Tensor logits = fi.out().matmul(ft.out().transpose()).muli(scale);
    int[] diag = new int[n];
    for (int i = 0; i < n; i++) {
      diag[i] = i;
    }
    Losses.Loss perImage = Losses.softmaxLoss(logits, diag);
    Losses.Loss perText = Losses.softmaxLoss(logits.transpose().contiguous(), diag);
    // Each cross-entropy's dx is already divided by N; the mean of the two halves it.
    Tensor dlogits = perImage.dx().add(perText.dx().transpose()).muli(0.5);
    double loss = 0.5 * (perImage.loss() + perText.loss());
    return new Result(
        loss, logits, new Cache(fi.cache(), ft.cache(), logits, dlogits, scale, clamped));
  }

  /**
   * Backward of {@link #clipLossForward} for dL = 1 (the loss is a scalar; scale the result for
   * another upstream gradient).
   *
   * @param cache from the forward pass
   * @return dimg (N, D), dtxt (N, D) and dL/d(logit_scale)
   */
  public static Grads clipLossBackward(Cache cache) {
    Objects.requireNonNull(cache, "clip_loss_backward: cache");
    Tensor dl = cache.dlogits();
    Tensor in = cache.img().out();
    Tensor tn = cache.txt().out();
    Tensor dimgN = dl.matmul(tn).muli(cache.scale());
    Tensor dtxtN = dl.transpose().matmul(in).muli(cache.scale());
    // d logits / dt = logits (the scale is exp(t)), unless the clamp is active.
    double dt = cache.clamped() ? 0 : dl.mul(cache.logits()).sum().item();
    return new Grads(
        l2NormalizeBackward(dimgN, cache.img()), l2NormalizeBackward(dtxtN, cache.txt()), dt);
  }

  // ---------------------------------------------------------------- helpers

  private static Tensor matrix(String op, String name, Tensor x) {
    Objects.requireNonNull(x, op + ": " + name);
    if (x.ndim() != 2 || !(x.dtype() == DType.FLOAT32 || x.dtype() == DType.FLOAT64)) {
      throw new IllegalArgumentException(
          op + ": expected " + name + " of shape (N, D), float32 or float64, got " + describe(x));
    }
    if (x.shape(0) < 1 || x.shape(1) < 1) {
      throw new IllegalArgumentException(op + ": " + name + " is empty: " + describe(x));
    }
    return x.contiguous();
  }

  private static void checkSame(String op, String name, Tensor a, Tensor ref) {
    if (!a.sameShape(ref) || a.dtype() != ref.dtype()) {
      throw new IllegalArgumentException(
          op + ": expected " + name + " like the output " + describe(ref) + ", got " + describe(a));
    }
  }

  private static String describe(Tensor x) {
    return x.shapeString() + " " + x.dtype().numpyName();
  }

  /** Reads row i of a contiguous (N, D) tensor. */
  private static void read(Tensor c, int i, double[] row) {
    int d = row.length;
    int off = c.offset() + i * d;
    if (c.dtype() == DType.FLOAT32) {
      float[] s = c.floatStorage();
      for (int j = 0; j < d; j++) {
        row[j] = s[off + j];
      }
    } else {
      double[] s = c.doubleStorage();
      System.arraycopy(s, off, row, 0, d);
    }
  }

  private static void write(Tensor out, int i, double[] row) {
    int d = row.length;
    int off = out.offset() + i * d;
    if (out.dtype() == DType.FLOAT32) {
      float[] s = out.floatStorage();
      for (int j = 0; j < d; j++) {
        s[off + j] = (float) row[j];
      }
    } else {
      System.arraycopy(row, 0, out.doubleStorage(), off, d);
    }
  }
}
