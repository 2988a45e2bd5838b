package org.handgrad.tensor;

import java.util.Arrays;

/**
 * Views: new shape, strides and offset over the same storage, never a copy. {@link Tensor} exposes
 * these as instance methods; the arguments are validated here.
 */
final class Views {
  private Views() {}

  static Tensor permute(Tensor t, int... axes) {
    int nd = t.ndim();
    if (axes.length != nd) {
      throw new IllegalArgumentException(
          "permute: axes "
              + Arrays.toString(axes)
              + " do not match a tensor of rank "
              + nd
              + " (shape "
              + t.shapeString()
              + ")");
    }
    int[] shape = t.shapeRef();
    int[] strides = t.stridesRef();
    int[] ns = new int[nd];
    int[] nt = new int[nd];
    boolean[] seen = new boolean[nd];
    for (int i = 0; i < nd; i++) {
      int a = Shapes.axis("permute", axes[i], nd);
      if (seen[a]) {
        throw new IllegalArgumentException(
            "permute: axes " + Arrays.toString(axes) + " repeat axis " + axes[i]);
      }
      seen[a] = true;
      ns[i] = shape[a];
      nt[i] = strides[a];
    }
    return t.view(ns, nt, t.offset());
  }

  static Tensor transpose(Tensor t) {
    int nd = t.ndim();
    int[] axes = new int[nd];
    for (int i = 0; i < nd; i++) {
      axes[i] = nd - 1 - i;
    }
    return permute(t, axes);
  }

  static Tensor swapAxes(Tensor t, int axis1, int axis2) {
    int nd = t.ndim();
    int a = Shapes.axis("transpose", axis1, nd);
    int b = Shapes.axis("transpose", axis2, nd);
    int[] axes = new int[nd];
    for (int i = 0; i < nd; i++) {
      axes[i] = i;
    }
    axes[a] = b;
    axes[b] = a;
    return permute(t, axes);
  }

  static Tensor slice(Tensor t, int axis, Slice s) {
    int a = Shapes.axis("slice", axis, t.ndim());
    int[] shape = t.shape();
    int[] strides = t.strides();
    int[] r = s.resolve(shape[a]);
    int offset = t.offset() + r[0] * strides[a];
    shape[a] = r[1];
    if (r[1] > 1) {
      // Cannot overflow: the last element lies inside the storage array.
      strides[a] *= s.step();
    }
    return t.view(shape, strides, offset);
  }

  static Tensor slice(Tensor t, Slice... perAxis) {
    if (perAxis.length > t.ndim()) {
      throw new IllegalArgumentException(
          "slice: "
              + perAxis.length
              + " slices for a tensor of rank "
              + t.ndim()
              + " (shape "
              + t.shapeString()
              + ")");
    }
    Tensor v = t;
    for (int a = 0; a < perAxis.length; a++) {
      v = slice(v, a, perAxis[a]);
    }
    return v;
  }

  static Tensor select(Tensor t, int axis, int index) {
    int nd = t.ndim();
    int a = Shapes.axis("select", axis, nd);
    int size = t.shapeRef()[a];
    int k = index < 0 ? index + size : index;
    if (k < 0 || k >= size) {
      throw new IndexOutOfBoundsException(
          "select: index "
              + index
              + " is out of bounds for axis "
              + a
              + " with size "
              + size
              + " (shape "
              + t.shapeString()
              + ")");
    }
    int[] ns = new int[nd - 1];
    int[] nt = new int[nd - 1];
    for (int i = 0, j = 0; i < nd; i++) {
      if (i != a) {
        ns[j] = t.shapeRef()[i];
        nt[j++] = t.stridesRef()[i];
      }
    }
    return t.view(ns, nt, t.offset() + k * t.stridesRef()[a]);
  }

  static Tensor squeeze(Tensor t, int axis) {
    int a = Shapes.axis("squeeze", axis, t.ndim());
    if (t.shapeRef()[a] != 1) {
      throw new IllegalArgumentException(
          "squeeze: cannot squeeze axis "
              + axis
              + " of size "
              + t.shapeRef()[a]
              + " (shape "
              + t.shapeString()
              + ")");
    }
    return drop(t, a);
  }

  static Tensor squeezeAll(Tensor t) {
    Tensor v = t;
    for (int a = t.ndim() - 1; a >= 0; a--) {
      if (t.shapeRef()[a] == 1) {
        v = drop(v, a);
      }
    }
    return v;
  }

  private static Tensor drop(Tensor t, int a) {
    int nd = t.ndim();
    int[] ns = new int[nd - 1];
    int[] nt = new int[nd - 1];
    for (int i = 0, j = 0; i < nd; i++) {
      if (i != a) {
        ns[j] = t.shapeRef()[i];
        nt[j++] = t.stridesRef()[i];
      }
    }
    return t.view(ns, nt, t.offset());
  }

  static Tensor unsqueeze(Tensor t, int axis) {
    int nd = t.ndim();
    int a = Shapes.axis("unsqueeze", axis, nd + 1);
    int[] shape = t.shapeRef();
    int[] strides = t.stridesRef();
    int[] ns = new int[nd + 1];
    int[] nt = new int[nd + 1];
    for (int i = 0, j = 0; i <= nd; i++) {
      if (i == a) {
        ns[i] = 1;
        // Any stride works for a size-1 axis; this one keeps contiguous tensors contiguous.
        nt[i] = a < nd ? shape[a] * strides[a] : 1;
      } else {
        ns[i] = shape[j];
        nt[i] = strides[j++];
      }
    }
    return t.view(ns, nt, t.offset());
  }

  static Tensor broadcastTo(Tensor t, int... shape) {
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException(
            "broadcastTo: negative dimension in " + Arrays.toString(shape));
      }
    }
    if (!Broadcast.canBroadcast(t.shapeRef(), shape)) {
      throw new IllegalArgumentException(
          "broadcastTo: cannot broadcast a tensor of shape "
              + t.shapeString()
              + " to "
              + Shapes.str(shape));
    }
    Shapes.size("broadcastTo", shape);
    return t.view(shape.clone(), Broadcast.strides(t, shape), t.offset());
  }
}
