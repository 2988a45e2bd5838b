package org.handgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class GemmBlockingTest {
  @Property
  void evenBlocksCoverTheExtentInTheFewestBlocks(
      @ForAll @IntRange(min = 1, max = 100_000) int total,
      @ForAll @IntRange(min = 1, max = 512) int max) {
    int b = GemmBlocking.evenBlock(total, max);
    assertTrue(b >= 1 && b <= max, "block " + b);
    int blocks = (total + b - 1) / b;
    assertEquals((total + max - 1) / max, blocks, "same block count as cutting by max");
  }

  @Property
  void splitsCoverCWithTileAlignedDisjointPieces(
      @ForAll @IntRange(min = 1, max = 5000) int m,
      @ForAll @IntRange(min = 1, max = 5000) int n,
      @ForAll @IntRange(min = 1, max = 16) int threads) {
    GemmBlocking.Split s = GemmBlocking.split(m, n, 6, 16, threads);
    assertTrue(s.chunks() >= 1 && s.chunks() <= threads);
    long area = 0;
    int prevRowEnd = 0;
    int prevColEnd = 0;
    for (int ch = 0; ch < s.chunks(); ch++) {
      int i0 = s.rowBegin(ch, m);
      int i1 = s.rowEnd(ch, m);
      int j0 = s.colBegin(ch, n);
      int j1 = s.colEnd(ch, n);
      assertTrue(i0 < i1 && j0 < j1, "empty chunk " + ch);
      if (s.byCols()) {
        assertEquals(prevColEnd, j0);
        assertEquals(0, j0 % 16);
        prevColEnd = j1;
      } else {
        assertEquals(prevRowEnd, i0);
        assertEquals(0, i0 % 6);
        prevRowEnd = i1;
      }
      area += (long) (i1 - i0) * (j1 - j0);
    }
    assertEquals((long) m * n, area);
  }
}
