package org.handgrad.tensor;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * NumPy-style printing: {@code tensor([[ 1. , -2.5],\n [ 3. , 4. ]])}.
 *
 * <p>Follows NumPy's defaults: up to 8 decimals with trailing zeros trimmed and decimal points
 * aligned ("maxprec"), scientific notation when the largest magnitude is >= 1e8, the smallest
 * non-zero one is < 1e-4 or their ratio exceeds 1e3, lines wrapped at 75 characters, and tensors
 * with more than 1000 elements summarised to the first and last 3 entries of each axis. The dtype
 * is appended when it is not float32. Each float prints from its shortest decimal form, so a
 * float32 0.1 shows as 0.1.
 */
final class TensorFormat {
  private TensorFormat() {}

  private static final int THRESHOLD = 1000;
  private static final int EDGE = 3;
  private static final int PRECISION = 8;
  private static final int LINE_WIDTH = 75;
  private static final String PREFIX = "tensor(";

  static String format(Tensor t) {
    String suffix = t.dtype() == DType.FLOAT32 ? "" : ", dtype=" + t.dtype().numpyName();
    int nd = t.ndim();
    if (t.size() == 0) {
      String shape = nd == 1 ? "" : ", shape=" + t.shapeString();
      return PREFIX + "[]" + shape + suffix + ")";
    }
    boolean summarize = t.size() > THRESHOLD;
    ElementFormat fmt = new ElementFormat(t, summarize);
    StringBuilder sb = new StringBuilder(PREFIX);
    if (nd == 0) {
      sb.append(fmt.format(t.item()).strip());
    } else {
      block(sb, t, new int[nd], 0, summarize, fmt);
    }
    return sb.append(suffix).append(')').toString();
  }

  /** Visits the displayed indices of one axis; -1 marks the "..." gap. */
  private static int[] shown(int n, boolean summarize) {
    if (!summarize || n <= 2 * EDGE) {
      int[] all = new int[n];
      for (int i = 0; i < n; i++) {
        all[i] = i;
      }
      return all;
    }
    int[] out = new int[2 * EDGE + 1];
    for (int i = 0; i < EDGE; i++) {
      out[i] = i;
      out[EDGE + 1 + i] = n - EDGE + i;
    }
    out[EDGE] = -1;
    return out;
  }

  private static void block(
      StringBuilder sb, Tensor t, int[] idx, int axis, boolean summarize, ElementFormat fmt) {
    int nd = t.ndim();
    String indent = " ".repeat(PREFIX.length() + axis + 1);
    sb.append('[');
    int[] js = shown(t.shapeRef()[axis], summarize);
    boolean first = true;
    for (int j : js) {
      if (axis == nd - 1) {
        String s = j < 0 ? "..." : fmt.format(t.get(withIndex(idx, axis, j)));
        if (!first) {
          sb.append(',');
          int lineStart = sb.lastIndexOf("\n") + 1;
          if (sb.length() - lineStart + 1 + s.length() + 1 > LINE_WIDTH) {
            sb.append('\n').append(indent);
          } else {
            sb.append(' ');
          }
        }
        sb.append(s);
      } else {
        if (!first) {
          sb.append(',').append("\n".repeat(nd - axis - 1)).append(indent);
        }
        if (j < 0) {
          sb.append("...");
        } else {
          idx[axis] = j;
          block(sb, t, idx, axis + 1, summarize, fmt);
        }
      }
      first = false;
    }
    sb.append(']');
  }

  private static int[] withIndex(int[] idx, int axis, int j) {
    idx[axis] = j;
    return idx;
  }

  /** One format for all displayed elements of a tensor, so that columns line up. */
  private static final class ElementFormat {
    private final DType dtype;
    private final boolean allInteger;
    private final boolean scientific;
    private final int intWidth; // sign and integer digits (fixed), or the width of an int32
    private final int fracWidth; // decimals (fixed, left-aligned) or mantissa digits (scientific)

    ElementFormat(Tensor t, boolean summarize) {
      dtype = t.dtype();
      double[] v = displayed(t, summarize);
      if (dtype == DType.INT32) {
        int w = 1;
        for (double x : v) {
          w = Math.max(w, Integer.toString((int) x).length());
        }
        intWidth = w;
        fracWidth = 0;
        allInteger = true;
        scientific = false;
        return;
      }
      double maxAbs = 0;
      double minAbs = Double.POSITIVE_INFINITY;
      boolean ints = true;
      boolean anyFinite = false;
      for (double x : v) {
        if (!Double.isFinite(x)) {
          continue;
        }
        anyFinite = true;
        double a = Math.abs(x);
        maxAbs = Math.max(maxAbs, a);
        if (a != 0) {
          minAbs = Math.min(minAbs, a);
        }
        ints &= x == Math.rint(x);
      }
      allInteger = ints;
      scientific =
          anyFinite
              && minAbs != Double.POSITIVE_INFINITY
              && (maxAbs >= 1e8 || minAbs < 1e-4 || maxAbs / minAbs > 1e3);
      int iw = 0;
      int fw = 0;
      int nonFiniteWidth = 0;
      for (double x : v) {
        if (!Double.isFinite(x)) {
          nonFiniteWidth = Math.max(nonFiniteWidth, nonFinite(x).length());
          continue;
        }
        if (scientific) {
          fw = Math.max(fw, mantissaDigits(x));
        } else {
          String[] parts = fixedParts(x);
          iw = Math.max(iw, parts[0].length());
          fw = Math.max(fw, parts[1].length());
        }
      }
      fracWidth = fw;
      if (scientific) {
        // intWidth holds the full width of a scientific entry.
        int w = nonFiniteWidth;
        for (double x : v) {
          if (Double.isFinite(x)) {
            w = Math.max(w, scientific(x).length());
          }
        }
        intWidth = w;
      } else {
        // nan/inf are right-aligned in the full width; widen the integer part only if needed.
        intWidth = Math.max(iw, nonFiniteWidth - fw - 1);
      }
    }

    private double[] displayed(Tensor t, boolean summarize) {
      if (!summarize) {
        return t.toDoubleArray();
      }
      // Only the printed corner elements decide the format, as in NumPy.
      int nd = t.ndim();
      int[][] per = new int[nd][];
      int count = 1;
      for (int d = 0; d < nd; d++) {
        int[] js = shown(t.shapeRef()[d], true);
        int k = 0;
        for (int j : js) {
          k += j >= 0 ? 1 : 0;
        }
        per[d] = new int[k];
        k = 0;
        for (int j : js) {
          if (j >= 0) {
            per[d][k++] = j;
          }
        }
        count *= k;
      }
      double[] out = new double[count];
      int[] pos = new int[nd];
      int[] idx = new int[nd];
      for (int i = 0; i < count; i++) {
        for (int d = 0; d < nd; d++) {
          idx[d] = per[d][pos[d]];
        }
        out[i] = t.get(idx);
        for (int d = nd - 1; d >= 0; d--) {
          if (++pos[d] < per[d].length) {
            break;
          }
          pos[d] = 0;
        }
      }
      return out;
    }

    String format(double x) {
      if (dtype == DType.INT32) {
        return pad(Integer.toString((int) x), intWidth);
      }
      if (!Double.isFinite(x)) {
        return pad(nonFinite(x), scientific ? sciWidth() : intWidth + 1 + fracWidth);
      }
      if (scientific) {
        return pad(scientific(x), sciWidth());
      }
      String[] parts = fixedParts(x);
      StringBuilder sb = new StringBuilder(pad(parts[0], intWidth)).append('.').append(parts[1]);
      while (sb.length() < intWidth + 1 + fracWidth) {
        sb.append(' ');
      }
      return sb.toString();
    }

    private int sciWidth() {
      return intWidth;
    }

    /** Shortest decimal that reads back as the element (float32 elements as floats). */
    private BigDecimal decimal(double x) {
      String s = dtype == DType.FLOAT32 ? Float.toString((float) x) : Double.toString(x);
      return new BigDecimal(s).abs();
    }

    /** {sign + integer digits, decimals} rounded to 8 decimals with trailing zeros trimmed. */
    private String[] fixedParts(double x) {
      String sign = x < 0 || (x == 0 && 1 / x < 0) ? "-" : "";
      BigDecimal d = decimal(x).setScale(PRECISION, RoundingMode.HALF_EVEN).stripTrailingZeros();
      String plain = d.toPlainString();
      int dot = plain.indexOf('.');
      String ip = dot < 0 ? plain : plain.substring(0, dot);
      String fp = dot < 0 ? "" : plain.substring(dot + 1);
      return new String[] {sign + ip, fp};
    }

    private int mantissaDigits(double x) {
      if (x == 0) {
        return 0;
      }
      BigDecimal d = decimal(x).round(new MathContext(PRECISION + 1)).stripTrailingZeros();
      return Math.max(0, d.precision() - 1);
    }

    private String scientific(double x) {
      String sign = x < 0 || (x == 0 && 1 / x < 0) ? "-" : "";
      BigDecimal d = decimal(x);
      int exp = 0;
      String digits;
      if (d.signum() == 0) {
        digits = "0".repeat(fracWidth + 1);
      } else {
        d = d.round(new MathContext(fracWidth + 1, RoundingMode.HALF_EVEN));
        exp = d.precision() - d.scale() - 1;
        digits = d.unscaledValue().toString();
        while (digits.length() < fracWidth + 1) {
          digits += "0";
        }
      }
      String e = Integer.toString(Math.abs(exp));
      return sign
          + digits.charAt(0)
          + "."
          + digits.substring(1, fracWidth + 1)
          + "e"
          + (exp < 0 ? "-" : "+")
          + (e.length() < 2 ? "0" + e : e);
    }

    private static String nonFinite(double x) {
      return Double.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
    }

    private static String pad(String s, int width) {
      return s.length() >= width ? s : " ".repeat(width - s.length()) + s;
    }
  }
}
