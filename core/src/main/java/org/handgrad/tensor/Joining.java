package org.handgrad.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Concatenate, stack, split (views) and constant padding. */
final class Joining {
  private Joining() {}

  static Tensor concatenate(int axis, Tensor... parts) {
    if (parts.length == 0) {
      throw new IllegalArgumentException("concatenate: need at least one tensor");
    }
    int nd = parts[0].ndim();
    if (nd == 0) {
      throw new IllegalArgumentException("concatenate: zero-dimensional tensors cannot be joined");
    }
    int a = Shapes.axis("concatenate", axis, nd);
    int[] shape = parts[0].shape();
    DType dtype = parts[0].dtype();
    long total = 0;
    for (int i = 0; i < parts.length; i++) {
      int[] s = parts[i].shapeRef();
      boolean ok = s.length == nd;
      for (int d = 0; ok && d < nd; d++) {
        ok = d == a || s[d] == shape[d];
      }
      if (!ok) {
        throw new IllegalArgumentException(
            "concatenate: tensor "
                + i
                + " of shape "
                + Shapes.str(s)
                + " does not match tensor 0 of shape "
                + parts[0].shapeString()
                + " outside axis "
                + axis);
      }
      total += s[a];
      dtype = DType.promote(dtype, parts[i].dtype());
    }
    if (total > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("concatenate: result has more than 2^31-1 elements");
    }
    shape[a] = (int) total;
    Shapes.size("concatenate", shape);
    Tensor out = Tensor.zeros(dtype, shape);
    int start = 0;
    for (Tensor p : parts) {
      int len = p.shapeRef()[a];
      out.slice(a, start, start + len).copyFrom(p);
      start += len;
    }
    return out;
  }

  static Tensor stack(int axis, Tensor... parts) {
    if (parts.length == 0) {
      throw new IllegalArgumentException("stack: need at least one tensor");
    }
    int nd = parts[0].ndim();
    int a = Shapes.axis("stack", axis, nd + 1);
    Tensor[] expanded = new Tensor[parts.length];
    for (int i = 0; i < parts.length; i++) {
      if (!parts[i].sameShape(parts[0])) {
        throw new IllegalArgumentException(
            "stack: tensor "
                + i
                + " of shape "
                + parts[i].shapeString()
                + " does not match tensor 0 of shape "
                + parts[0].shapeString());
      }
      expanded[i] = parts[i].unsqueeze(a);
    }
    return concatenate(a, expanded);
  }

  static List<Tensor> split(Tensor x, int axis, int sections) {
    int a = Shapes.axis("split", axis, x.ndim());
    int dim = x.shapeRef()[a];
    // An empty axis splits into any number of empty parts in NumPy; we cap the count at one part
    // per element (or one for an empty axis) so a stray huge count cannot allocate a huge list.
    if (sections <= 0 || sections > Math.max(dim, 1) || dim % sections != 0) {
      throw new IllegalArgumentException(
          "split: axis "
              + axis
              + " of size "
              + dim
              + " cannot be split into "
              + sections
              + " equal sections");
    }
    int[] sizes = new int[sections];
    Arrays.fill(sizes, dim / sections);
    return splitSizes(x, a, sizes);
  }

  static List<Tensor> splitSizes(Tensor x, int axis, int... sizes) {
    int a = Shapes.axis("split", axis, x.ndim());
    int dim = x.shapeRef()[a];
    long total = 0;
    for (int s : sizes) {
      if (s < 0) {
        throw new IllegalArgumentException("split: negative size in " + Arrays.toString(sizes));
      }
      total += s;
    }
    if (total != dim) {
      throw new IllegalArgumentException(
          "split: sizes "
              + Arrays.toString(sizes)
              + " add up to "
              + total
              + ", not to the size "
              + dim
              + " of axis "
              + axis);
    }
    List<Tensor> out = new ArrayList<>(sizes.length);
    int start = 0;
    for (int s : sizes) {
      out.add(x.slice(a, start, start + s));
      start += s;
    }
    return List.copyOf(out);
  }

  static Tensor pad(Tensor x, int[][] widths, double value) {
    int nd = x.ndim();
    if (widths.length != nd) {
      throw new IllegalArgumentException(
          "pad: "
              + widths.length
              + " (before, after) pairs for a tensor of rank "
              + nd
              + " (shape "
              + x.shapeString()
              + ")");
    }
    int[] shape = x.shape();
    long[] grown = new long[nd];
    for (int d = 0; d < nd; d++) {
      if (widths[d] == null || widths[d].length != 2 || widths[d][0] < 0 || widths[d][1] < 0) {
        throw new IllegalArgumentException(
            "pad: axis "
                + d
                + " needs two non-negative widths (before, after), got "
                + Arrays.toString(widths[d]));
      }
      grown[d] = (long) shape[d] + widths[d][0] + widths[d][1];
      if (grown[d] > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("pad: axis " + d + " grows beyond 2^31-1");
      }
    }
    int[] outShape = new int[nd];
    Slice[] inner = new Slice[nd];
    for (int d = 0; d < nd; d++) {
      outShape[d] = (int) grown[d];
      inner[d] = Slice.of(widths[d][0], widths[d][0] + shape[d]);
    }
    Shapes.size("pad", outShape);
    Tensor out = Tensor.full(x.dtype(), value, outShape);
    out.slice(inner).copyFrom(x);
    return out;
  }
}
