package org.handgrad.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API paths of the float32 forward cell kernels in {@link RecurrentCells}, which stay their
 * scalar twins (same arguments, same results up to the last ulp of sigmoid and tanh). Only the
 * forward cells are vectorized: they evaluate five transcendental functions per hidden unit (3
 * sigmoid + 2 tanh for the LSTM), ~60 ns per unit with scalar Math.exp, which made them the largest
 * cost outside GEMM; the vector EXP and TANH (SVML-backed intrinsics on x86) cost ~1-2 ns per lane.
 * The backward cells are plain arithmetic that the JIT already handles well.
 *
 * <p>Loaded only when the incubator module is present (see {@link RecurrentCells#useVector()}).
 */
final class RecurrentCellsVector {
  private RecurrentCellsVector() {}

  private static final VectorSpecies<Float> S = Species.F;

  /** 1 / (1 + exp(-x)); exp overflows to +inf for x below ~-88 and gives exactly 0. */
  private static FloatVector sigmoid(FloatVector x) {
    FloatVector one = FloatVector.broadcast(S, 1f);
    return one.div(one.add(x.neg().lanewise(VectorOperators.EXP)));
  }

  private static FloatVector tanh(FloatVector x) {
    return x.lanewise(VectorOperators.TANH);
  }

  /** See {@link RecurrentCells#slstmForward}. */
  static void slstmForward(
      int rows,
      int hid,
      float[] gates,
      int gOff,
      int ldg,
      float[] b,
      int bOff,
      float[] cPrev,
      int cpOff,
      int ldcp,
      float[] c,
      float[] tc,
      float[] h,
      int off,
      int ld) {
    int bound = S.loopBound(hid);
    for (int r = 0; r < rows; r++) {
      int pg = gOff + r * ldg;
      int pp = cpOff + r * ldcp;
      int po = off + r * ld;
      int j = 0;
      for (; j < bound; j += S.length()) {
        FloatVector i = sigmoid(load(gates, pg + j).add(load(b, bOff + j)));
        FloatVector f = sigmoid(load(gates, pg + hid + j).add(load(b, bOff + hid + j)));
        FloatVector o = sigmoid(load(gates, pg + 2 * hid + j).add(load(b, bOff + 2 * hid + j)));
        FloatVector g = tanh(load(gates, pg + 3 * hid + j).add(load(b, bOff + 3 * hid + j)));
        i.intoArray(gates, pg + j);
        f.intoArray(gates, pg + hid + j);
        o.intoArray(gates, pg + 2 * hid + j);
        g.intoArray(gates, pg + 3 * hid + j);
        FloatVector cn = f.fma(load(cPrev, pp + j), i.mul(g));
        FloatVector t = tanh(cn);
        cn.intoArray(c, po + j);
        t.intoArray(tc, po + j);
        o.mul(t).intoArray(h, po + j);
      }
      // Tail: the scalar twin on the last hid % lanes units of this row.
      if (j < hid) {
        RecurrentCells.slstmForwardTail(j, hid, gates, pg, b, bOff, cPrev, pp, c, tc, h, po);
      }
    }
  }

  /** See {@link RecurrentCells#sgruForward}. */
  static void sgruForward(
      int rows,
      int hid,
      float[] gates,
      int gOff,
      int ldg,
      float[] gh,
      int ghOff,
      int ldgh,
      float[] b,
      int bOff,
      float[] bhn,
      int bhnOff,
      float[] hPrev,
      int hpOff,
      int ldhp,
      float[] hn,
      float[] h,
      int off,
      int ld) {
    int bound = S.loopBound(hid);
    for (int row = 0; row < rows; row++) {
      int pg = gOff + row * ldg;
      int pq = ghOff + row * ldgh;
      int pp = hpOff + row * ldhp;
      int po = off + row * ld;
      int j = 0;
      for (; j < bound; j += S.length()) {
        FloatVector r = sigmoid(load(gates, pg + j).add(load(b, bOff + j)).add(load(gh, pq + j)));
        FloatVector z =
            sigmoid(
                load(gates, pg + hid + j).add(load(b, bOff + hid + j)).add(load(gh, pq + hid + j)));
        FloatVector q = load(gh, pq + 2 * hid + j).add(load(bhn, bhnOff + j));
        FloatVector n =
            tanh(r.fma(q, load(gates, pg + 2 * hid + j).add(load(b, bOff + 2 * hid + j))));
        r.intoArray(gates, pg + j);
        z.intoArray(gates, pg + hid + j);
        n.intoArray(gates, pg + 2 * hid + j);
        q.intoArray(hn, po + j);
        FloatVector keep = FloatVector.broadcast(S, 1f).sub(z);
        z.fma(load(hPrev, pp + j), keep.mul(n)).intoArray(h, po + j); // (1 - z) n + z hPrev
      }
      if (j < hid) {
        RecurrentCells.sgruForwardTail(
            j, hid, gates, pg, gh, pq, b, bOff, bhn, bhnOff, hPrev, pp, hn, h, po);
      }
    }
  }

  /** See {@link RecurrentCells#stanhBias}. */
  static void stanhBias(int rows, int hid, float[] a, int aOff, int lda, float[] b, int bOff) {
    int bound = S.loopBound(hid);
    for (int r = 0; r < rows; r++) {
      int p = aOff + r * lda;
      int j = 0;
      for (; j < bound; j += S.length()) {
        tanh(load(a, p + j).add(load(b, bOff + j))).intoArray(a, p + j);
      }
      for (; j < hid; j++) {
        a[p + j] = RecurrentCells.tanh(a[p + j] + b[bOff + j]);
      }
    }
  }

  private static FloatVector load(float[] a, int i) {
    return FloatVector.fromArray(S, a, i);
  }
}
