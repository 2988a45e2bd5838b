package org.handgrad.tensor;

/**
 * Test helper: contiguous views that start at a non-zero storage offset, which main's public API
 * cannot make yet (no slicing), for tests of code that must honour {@link Tensor#offset()}.
 */
public final class OffsetViews {
  private OffsetViews() {}

  /**
   * The last {@code t.size() - skip} elements of a contiguous 1-D tensor, as a view of shape (size
   * - skip,) at offset {@code t.offset() + skip}.
   */
  public static Tensor tail(Tensor t, int skip) {
    int n = t.size() - skip;
    return t.view(new int[] {n}, new int[] {1}, t.offset() + skip);
  }
}
