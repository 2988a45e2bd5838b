package org.handgrad.nn.functional;

import static org.handgrad.nn.functional.SeqArgs.input;
import static org.handgrad.nn.functional.SeqArgs.matching;

import java.util.Objects;
import java.util.SplittableRandom;
import org.handgrad.kernels.Parallel;
import org.handgrad.kernels.RowOps;
import org.handgrad.nn.functional.Dropout.DropoutParam;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;

/**
 * Attention (Vaswani et al. 2017; CS231n assignment 3, "Transformer"): scaled dot-product attention
 * over heads, and multi-head attention with query, key, value and output projections.
 *
 * <p>Dimension letters: N batch, H heads, S query positions, T key/value positions, E embedding
 * (model) dimension, Dh = E / H per head. A head attends with {@code A = softmax(Q K^T / sqrt(Dh))}
 * row by row and returns {@code A V}. The optional mask is CS231n's {@code attn_mask} of shape (S,
 * T): {@code mask[i, j] == 0} means query i may not attend to key j (its score becomes -inf before
 * the softmax, so its weight is exactly 0 and so is its gradient). PyTorch's boolean {@code
 * attn_mask} has the opposite meaning (True = not allowed). A row that masks every key is an error:
 * its softmax would be 0/0.
 *
 * <p>Dropout on the attention weights follows {@link Dropout} (p is the KEEP probability here; the
 * CS231n and PyTorch modules take the DROP probability and convert, see {@code
 * nn.modules.MultiHeadAttention}).
 *
 * <p>The per-head products run through {@link TensorGemm} on the operands in place, with leading
 * dimensions: a head of a (N, S, E) projection is the (S, Dh) matrix at column h*Dh with row stride
 * E, so multi-head attention splits and merges heads without copying. Heads are split over {@link
 * Parallel} in chunks that depend only on N*H, so results do not depend on the thread count.
 */
public final class Attention {
  private Attention() {}

  // ---------------------------------------------------------------- masks

  /**
   * The causal mask of a sequence of length S: {@code mask[i, j] = 1} for j &lt;= i (a position
   * sees itself and the past), 0 otherwise; CS231n's {@code torch.tril(torch.ones(S, S))}.
   *
   * @return int32 tensor, shape (S, S)
   */
  public static Tensor causalMask(int s) {
    if (s < 1) {
      throw new IllegalArgumentException("causalMask: S must be >= 1, got " + s);
    }
    int[] m = new int[s * s];
    for (int i = 0; i < s; i++) {
      for (int j = 0; j <= i; j++) {
        m[i * s + j] = 1;
      }
    }
    return Tensor.of(m, s, s);
  }

  // ---------------------------------------------------------------- scaled dot-product attention

  /**
   * What the backward pass of the attention core reads.
   *
   * @param q queries, (N, H, S, Dh) in the layout of {@code ql}
   * @param k keys, (N, H, T, Dh)
   * @param v values, (N, H, T, Dh)
   * @param attn the attention weights softmax(Q K^T / sqrt(Dh)), shape (N, H, S, T), contiguous
   * @param dropMask the dropout mask of the weights (1/p kept, 0 dropped), (N, H, S, T), or null
   * @param dims N, H, S, T, Dh and the operands' layouts
   */
  public record Cache(Tensor q, Tensor k, Tensor v, Tensor attn, Tensor dropMask, Dims dims) {
    /** Validates presence. */
    public Cache {
      Objects.requireNonNull(q, "q");
      Objects.requireNonNull(k, "k");
      Objects.requireNonNull(v, "v");
      Objects.requireNonNull(attn, "attn");
      Objects.requireNonNull(dims, "dims");
    }

    /**
     * The attention weights after dropout, what multiplies V: {@link #attn} times the dropout mask,
     * or {@link #attn} itself without dropout. Shape (N, H, S, T).
     */
    public Tensor weights() {
      return dropMask == null ? attn : attn.mul(dropMask);
    }
  }

  /**
   * Sizes and memory layouts of one attention call. Element (b, h, i, d) of an operand with layout
   * (batch, head, row) is at {@code offset + b*batch + h*head + i*row + d}: a (N, H, S, Dh)
   * contiguous tensor has (H*S*Dh, S*Dh, Dh); a (N, S, E) projection read as heads has (S*E, Dh,
   * E).
   *
   * @param n N
   * @param h H
   * @param s S
   * @param t T
   * @param dh Dh
   * @param q layout of the queries and of the output (both have S rows)
   * @param kv layout of the keys and values (T rows)
   */
  public record Dims(int n, int h, int s, int t, int dh, Layout q, Layout kv) {}

  /**
   * Strides of one operand, in elements.
   *
   * @param batch between examples
   * @param head between heads
   * @param row between positions
   */
  public record Layout(int batch, int head, int row) {
    int at(int b, int hd) {
      return b * batch + hd * head;
    }
  }

  /**
   * Gradients of the attention core.
   *
   * @param dq the shape of q
   * @param dk the shape of k
   * @param dv the shape of v
   */
  public record Grads(Tensor dq, Tensor dk, Tensor dv) {}

  /**
   * Scaled dot-product attention of every head: {@code out = dropout(softmax(Q K^T / sqrt(Dh) +
   * maskTerm)) V}, PyTorch's {@code F.scaled_dot_product_attention} with CS231n's mask convention.
   *
   * @param q queries, shape (N, H, S, Dh), float32 or float64
   * @param k keys, shape (N, H, T, Dh), dtype of q
   * @param v values, shape (N, H, T, Dh), dtype of q
   * @param mask null, or shape (S, T) of any dtype: 0 = query i may not attend to key j
   * @param dropout dropout of the attention weights (TEST mode or p = 1: none)
   * @return out (N, H, S, Dh), and the cache (holding the weights, {@link Cache#attn()})
   * @throws IllegalArgumentException on mismatched shapes or dtypes, a mask that is not (S, T), or
   *     a mask row with no allowed key
   */
  public static Forward<Cache> scaledDotProductAttentionForward(
      Tensor q, Tensor k, Tensor v, Tensor mask, DropoutParam dropout) {
    String op = "scaled_dot_product_attention";
    q = input(op, "q", q, "(N, H, S, Dh)", 4);
    int n = q.shape(0);
    int h = q.shape(1);
    int s = q.shape(2);
    int dh = q.shape(3);
    k = input(op, "k", k, "(N, H, T, Dh)", 4);
    int t = k.shape(2);
    k = matching(op, "k", k, "(N, H, T, Dh)", q, "q", n, h, t, dh);
    v = matching(op, "v", v, "(N, H, T, Dh)", q, "q", n, h, t, dh);
    Layout lq = new Layout(h * s * dh, s * dh, dh);
    Layout lkv = new Layout(h * t * dh, t * dh, dh);
    Dims dims = new Dims(n, h, s, t, dh, lq, lkv);
    Tensor out = Tensor.zeros(q.dtype(), n, h, s, dh);
    Cache cache = core(op, out, q, k, v, dims, mask, dropout);
    return new Forward<>(out, cache);
  }

  /**
   * Backward of {@link #scaledDotProductAttentionForward}. With P the weights after dropout and A
   * before: dV = P^T dout; dP = dout V^T; dA = dP * dropMask; the softmax backward per row, dZ = A
   * * (dA - sum_j(dA * A)); and through Z = Q K^T / sqrt(Dh): dQ = dZ K / sqrt(Dh), dK = dZ^T Q /
   * sqrt(Dh). A masked weight is 0, so its dZ is exactly 0 and no gradient reaches its key.
   *
   * @param dout upstream gradient, shape (N, H, S, Dh)
   * @param cache from the forward pass
   * @return dq, dk, dv of the shapes of q, k and v
   */
  public static Grads scaledDotProductAttentionBackward(Tensor dout, Cache cache) {
    Dims d = cache.dims();
    dout =
        matching(
            "scaled_dot_product_attention_backward",
            "dout",
            dout,
            "(N, H, S, Dh)",
            cache.q(),
            "q",
            d.n(),
            d.h(),
            d.s(),
            d.dh());
    Tensor dq = Tensor.zerosLike(cache.q());
    Tensor dk = Tensor.zerosLike(cache.k());
    Tensor dv = Tensor.zerosLike(cache.v());
    coreBackward(dout, cache, dq, dk, dv);
    return new Grads(dq, dk, dv);
  }

  // ---------------------------------------------------------------- multi-head attention

  /**
   * The four projections of multi-head attention, CS231n's {@code query}, {@code key}, {@code
   * value} and {@code proj} linear layers, each applied to the last dimension as {@code x w + b}.
   * Weights are stored (in, out) = (E, E), CS231n's affine layout; PyTorch's {@code nn.Linear}
   * weight is the transpose.
   *
   * @param wq (E, E)
   * @param bq (E,)
   * @param wk (E, E)
   * @param bk (E,)
   * @param wv (E, E)
   * @param bv (E,)
   * @param wo output projection (E, E)
   * @param bo (E,)
   */
  public record Projections(
      Tensor wq, Tensor bq, Tensor wk, Tensor bk, Tensor wv, Tensor bv, Tensor wo, Tensor bo) {
    /** Validates presence. */
    public Projections {
      Objects.requireNonNull(wq, "wq");
      Objects.requireNonNull(bq, "bq");
      Objects.requireNonNull(wk, "wk");
      Objects.requireNonNull(bk, "bk");
      Objects.requireNonNull(wv, "wv");
      Objects.requireNonNull(bv, "bv");
      Objects.requireNonNull(wo, "wo");
      Objects.requireNonNull(bo, "bo");
    }
  }

  /**
   * Cache of {@link #multiHeadAttentionForward}.
   *
   * @param q cache of the query projection
   * @param k cache of the key projection
   * @param v cache of the value projection
   * @param attention cache of the attention core (its weights: {@link Cache#attn()}, (N, H, S, T))
   * @param proj cache of the output projection
   */
  public record MhaCache(
      TemporalAffine.Cache q,
      TemporalAffine.Cache k,
      TemporalAffine.Cache v,
      Cache attention,
      TemporalAffine.Cache proj) {}

  /**
   * Gradients of multi-head attention. When one tensor was passed as query, key and value
   * (self-attention), its gradient is {@code dquery + dkey + dvalue}.
   *
   * @param dquery (N, S, E)
   * @param dkey (N, T, E)
   * @param dvalue (N, T, E)
   * @param dwq (E, E)
   * @param dbq (E,)
   * @param dwk (E, E)
   * @param dbk (E,)
   * @param dwv (E, E)
   * @param dbv (E,)
   * @param dwo (E, E)
   * @param dbo (E,)
   */
  public record MhaGrads(
      Tensor dquery,
      Tensor dkey,
      Tensor dvalue,
      Tensor dwq,
      Tensor dbq,
      Tensor dwk,
      Tensor dbk,
      Tensor dwv,
      Tensor dbv,
      Tensor dwo,
      Tensor dbo) {}

  /**
   * Multi-head attention, CS231n's {@code MultiHeadAttention.forward(query, key, value,
   * attn_mask)}: project query, key and value, split E into H heads of Dh = E / H, attend per head
   * ({@link #scaledDotProductAttentionForward}), merge the heads and project the result. Self-
   * attention passes one tensor three times; cross-attention passes the decoder state as query and
   * the encoder output (memory) as key and value.
   *
   * @param query shape (N, S, E), float32 or float64
   * @param key shape (N, T, E)
   * @param value shape (N, T, E)
   * @param w the projections, E x E weights and E biases
   * @param numHeads H, dividing E
   * @param mask null or (S, T), 0 = not allowed
   * @param dropout dropout of the attention weights
   * @return out (N, S, E), and the cache
   * @throws IllegalArgumentException when E is not divisible by H, on mismatched shapes or dtypes,
   *     or a bad mask
   */
  public static Forward<MhaCache> multiHeadAttentionForward(
      Tensor query,
      Tensor key,
      Tensor value,
      Projections w,
      int numHeads,
      Tensor mask,
      DropoutParam dropout) {
    String op = "multi_head_attention";
    query = input(op, "query", query, "(N, S, E)", 3);
    int n = query.shape(0);
    int s = query.shape(1);
    int e = query.shape(2);
    if (numHeads < 1 || e % numHeads != 0) {
      throw new IllegalArgumentException(
          op
              + ": embedding dimension E="
              + e
              + " is not divisible by the number of heads H="
              + numHeads);
    }
    key = input(op, "key", key, "(N, T, E)", 3);
    int t = key.shape(1);
    key = matching(op, "key", key, "(N, T, E)", query, "query", n, t, e);
    value = matching(op, "value", value, "(N, T, E)", query, "query", n, t, e);
    Objects.requireNonNull(w, op + ": projections");
    Forward<TemporalAffine.Cache> fq = TemporalAffine.temporalAffineForward(query, w.wq(), w.bq());
    Forward<TemporalAffine.Cache> fk = TemporalAffine.temporalAffineForward(key, w.wk(), w.bk());
    Forward<TemporalAffine.Cache> fv = TemporalAffine.temporalAffineForward(value, w.wv(), w.bv());
    if (fq.out().shape(2) != e) {
      throw new IllegalArgumentException(
          op
              + ": expected square projections (E, E) with E="
              + e
              + ", got wq "
              + w.wq().shapeString());
    }
    int dh = e / numHeads;
    Layout lq = new Layout(s * e, dh, e);
    Layout lkv = new Layout(t * e, dh, e);
    Dims dims = new Dims(n, numHeads, s, t, dh, lq, lkv);
    Tensor merged = Tensor.zeros(query.dtype(), n, s, e);
    Cache attention = core(op, merged, fq.out(), fk.out(), fv.out(), dims, mask, dropout);
    Forward<TemporalAffine.Cache> fo = TemporalAffine.temporalAffineForward(merged, w.wo(), w.bo());
    return new Forward<>(
        fo.out(), new MhaCache(fq.cache(), fk.cache(), fv.cache(), attention, fo.cache()));
  }

  /**
   * Backward of {@link #multiHeadAttentionForward}, in the reverse order of the forward pass:
   * output projection, attention core (per head, in the merged layout), then the three input
   * projections.
   *
   * @param dout upstream gradient, shape (N, S, E)
   * @param cache from the forward pass
   */
  public static MhaGrads multiHeadAttentionBackward(Tensor dout, MhaCache cache) {
    TemporalAffine.Grads go = TemporalAffine.temporalAffineBackward(dout, cache.proj());
    Cache c = cache.attention();
    Tensor dq = Tensor.zerosLike(c.q());
    Tensor dk = Tensor.zerosLike(c.k());
    Tensor dv = Tensor.zerosLike(c.v());
    coreBackward(go.dx(), c, dq, dk, dv);
    TemporalAffine.Grads gq = TemporalAffine.temporalAffineBackward(dq, cache.q());
    TemporalAffine.Grads gk = TemporalAffine.temporalAffineBackward(dk, cache.k());
    TemporalAffine.Grads gv = TemporalAffine.temporalAffineBackward(dv, cache.v());
    return new MhaGrads(
        gq.dx(), gk.dx(), gv.dx(), gq.dw(), gq.db(), gk.dw(), gk.db(), gv.dw(), gv.db(), go.dw(),
        go.db());
  }

  // ---------------------------------------------------------------- the core, per head

  /** Heads per parallel chunk: enough work per chunk to amortize the hand-off. */
  private static final int HEAD_GRAIN = 8;

  /** Forward of every head into {@code out} (laid out as q); returns the cache. */
  private static Cache core(
      String op,
      Tensor out,
      Tensor q,
      Tensor k,
      Tensor v,
      Dims d,
      Tensor mask,
      DropoutParam dropout) {
    boolean[] allowed = allowed(op, mask, d.s(), d.t());
    DType dt = q.dtype();
    int st = d.s() * d.t();
    Tensor attn = Tensor.zeros(dt, d.n(), d.h(), d.s(), d.t());
    double scale = 1 / Math.sqrt(d.dh());
    int heads = d.n() * d.h();
    Parallel.forRange(
        heads,
        HEAD_GRAIN,
        (long) heads * d.s() * d.t() * d.dh(),
        (start, end) -> {
          for (int bh = start; bh < end; bh++) {
            int b = bh / d.h();
            int hd = bh % d.h();
            int qo = d.q().at(b, hd);
            int ko = d.kv().at(b, hd);
            // scores (S, T) = Q_h K_h^T, scaled, masked scores set to -inf
            TensorGemm.gemm(
                attn,
                bh * st,
                d.t(),
                q,
                qo,
                d.q().row(),
                false,
                k,
                ko,
                d.kv().row(),
                true,
                d.s(),
                d.t(),
                d.dh(),
                0);
            scaleAndMask(attn, bh * st, st, scale, allowed);
          }
        });
    // softmax over every row of every head (the row kernel subtracts the row maximum first; a
    // -inf score becomes exactly 0)
    softmaxRows(attn, heads * d.s(), d.t());
    Tensor dropMask = dropMask(attn, dropout);
    Tensor p = dropMask == null ? attn : attn.mul(dropMask);
    Parallel.forRange(
        heads,
        HEAD_GRAIN,
        (long) heads * d.s() * d.t() * d.dh(),
        (start, end) -> {
          for (int bh = start; bh < end; bh++) {
            int b = bh / d.h();
            int hd = bh % d.h();
            // out_h (S, Dh) = P_h (S, T) V_h (T, Dh)
            TensorGemm.gemm(
                out,
                d.q().at(b, hd),
                d.q().row(),
                p,
                bh * st,
                d.t(),
                false,
                v,
                d.kv().at(b, hd),
                d.kv().row(),
                false,
                d.s(),
                d.dh(),
                d.t(),
                0);
          }
        });
    return new Cache(q, k, v, attn, dropMask, d);
  }

  /** Backward of every head: writes dq (laid out as q), dk and dv (as k and v). */
  private static void coreBackward(Tensor dout, Cache c, Tensor dq, Tensor dk, Tensor dv) {
    Dims d = c.dims();
    int st = d.s() * d.t();
    double scale = 1 / Math.sqrt(d.dh());
    Tensor attn = c.attn();
    Tensor mask = c.dropMask();
    Tensor p = c.weights();
    Tensor dz = Tensor.zeros(attn.dtype(), attn.shape());
    int heads = d.n() * d.h();
    Parallel.forRange(
        heads,
        HEAD_GRAIN,
        (long) heads * d.s() * d.t() * d.dh(),
        (start, end) -> {
          for (int bh = start; bh < end; bh++) {
            int b = bh / d.h();
            int hd = bh % d.h();
            int qo = d.q().at(b, hd);
            int kvo = d.kv().at(b, hd);
            int qr = d.q().row();
            int kr = d.kv().row();
            // dV_h (T, Dh) = P_h^T dout_h;  dP_h (S, T) = dout_h V_h^T
            TensorGemm.gemm(
                dv, kvo, kr, p, bh * st, d.t(), true, dout, qo, qr, false, d.t(), d.dh(), d.s(), 0);
            TensorGemm.gemm(
                dz, bh * st, d.t(), dout, qo, qr, false, c.v(), kvo, kr, true, d.s(), d.t(), d.dh(),
                0);
          }
        });
    // dA = dP * dropMask; dZ = A * (dA - rowsum(dA * A)) (the row softmax backward), times the
    // score scale 1 / sqrt(Dh) of Z = Q K^T / sqrt(Dh)
    Tensor da = mask == null ? dz : dz.mul(mask);
    softmaxBackwardRows(dz, da, attn, heads * d.s(), d.t());
    dz.muli(scale);
    Parallel.forRange(
        heads,
        HEAD_GRAIN,
        (long) heads * d.s() * d.t() * d.dh(),
        (start, end) -> {
          for (int bh = start; bh < end; bh++) {
            int b = bh / d.h();
            int hd = bh % d.h();
            int qo = d.q().at(b, hd);
            int kvo = d.kv().at(b, hd);
            int qr = d.q().row();
            int kr = d.kv().row();
            // dQ_h (S, Dh) = dZ K_h;  dK_h (T, Dh) = dZ^T Q_h
            TensorGemm.gemm(
                dq, qo, qr, dz, bh * st, d.t(), false, c.k(), kvo, kr, false, d.s(), d.dh(), d.t(),
                0);
            TensorGemm.gemm(
                dk, kvo, kr, dz, bh * st, d.t(), true, c.q(), qo, qr, false, d.t(), d.dh(), d.s(),
                0);
          }
        });
  }

  /** The mask as booleans (row-major (S, T)), or null; validates shape and every row. */
  private static boolean[] allowed(String op, Tensor mask, int s, int t) {
    if (mask == null) {
      return null;
    }
    if (mask.ndim() != 2 || mask.shape(0) != s || mask.shape(1) != t) {
      throw new IllegalArgumentException(
          op
              + ": expected attn_mask (S, T) = ("
              + s
              + ", "
              + t
              + ") for queries of length S="
              + s
              + " and keys of length T="
              + t
              + ", got "
              + mask.shapeString());
    }
    boolean[] a = new boolean[s * t];
    for (int i = 0; i < s; i++) {
      boolean any = false;
      for (int j = 0; j < t; j++) {
        a[i * t + j] = mask.get(i, j) != 0;
        any |= a[i * t + j];
      }
      if (!any) {
        throw new IllegalArgumentException(
            op + ": attn_mask row " + i + " masks every key; each query needs at least one key");
      }
    }
    return a;
  }

  /** In place on one head's (S, T) scores: {@code z *= scale}, masked entries set to -inf. */
  private static void scaleAndMask(Tensor z, int off, int st, double scale, boolean[] allowed) {
    if (z.dtype() == DType.FLOAT32) {
      float[] a = z.floatStorage();
      float sc = (float) scale;
      for (int i = 0; i < st; i++) {
        a[off + i] = allowed == null || allowed[i] ? a[off + i] * sc : Float.NEGATIVE_INFINITY;
      }
    } else {
      double[] a = z.doubleStorage();
      for (int i = 0; i < st; i++) {
        a[off + i] = allowed == null || allowed[i] ? a[off + i] * scale : Double.NEGATIVE_INFINITY;
      }
    }
  }

  /** Softmax of every row of length T, in place, through the row kernels of {@link RowOps}. */
  private static void softmaxRows(Tensor z, int rows, int t) {
    if (z.dtype() == DType.FLOAT32) {
      float[] a = z.floatStorage();
      RowOps.ssoftmax(rows, t, a, 0, t, a, 0, t);
    } else {
      double[] a = z.doubleStorage();
      RowOps.dsoftmax(rows, t, a, 0, t, a, 0, t);
    }
  }

  /**
   * {@code dz = y * (dy - rowsum(dy * y))} over rows of length T ({@link RowOps}); dz may be dy.
   */
  private static void softmaxBackwardRows(Tensor dz, Tensor dy, Tensor y, int rows, int t) {
    if (dz.dtype() == DType.FLOAT32) {
      RowOps.ssoftmaxBackward(
          rows, t, dz.floatStorage(), 0, t, dy.floatStorage(), 0, t, y.floatStorage(), 0, t);
    } else {
      RowOps.dsoftmaxBackward(
          rows, t, dz.doubleStorage(), 0, t, dy.doubleStorage(), 0, t, y.doubleStorage(), 0, t);
    }
  }

  /** The inverted-dropout mask of the weights (values 1/p or 0), or null when there is none. */
  private static Tensor dropMask(Tensor attn, DropoutParam dropout) {
    if (dropout == null || dropout.mode() == Dropout.Mode.TEST || dropout.p() == 1) {
      return null;
    }
    // Sequential draws in row-major order, as Dropout: the mask depends on the seed alone.
    SplittableRandom rng = new SplittableRandom(dropout.seed());
    double keep = dropout.p();
    Tensor m = Tensor.zerosLike(attn);
    int n = m.size();
    if (m.dtype() == DType.FLOAT32) {
      float[] a = m.floatStorage();
      float scale = (float) (1 / keep);
      for (int i = 0; i < n; i++) {
        a[i] = rng.nextDouble() < keep ? scale : 0f;
      }
    } else {
      double[] a = m.doubleStorage();
      double scale = 1 / keep;
      for (int i = 0; i < n; i++) {
        a[i] = rng.nextDouble() < keep ? scale : 0;
      }
    }
    return m;
  }
}
