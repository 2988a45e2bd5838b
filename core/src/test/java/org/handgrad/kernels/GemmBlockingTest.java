package org.handgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

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

  @Property
  void kSplitsLeaveDeepChunksAndBoundedPartials(
      @ForAll @IntRange(min = 1, max = 3000) int m,
      @ForAll @IntRange(min = 1, max = 3000) int n,
      @ForAll @IntRange(min = 1, max = 1_000_000) int k) {
    int s = GemmBlocking.kSplits(m, n, k);
    assertTrue(s >= 1 && s <= GemmBlocking.MAX_K_SPLITS, "splits " + s);
    if (s > 1) {
      assertTrue(k / s >= GemmBlocking.SPLIT_K_DEPTH, "chunks at least SPLIT_K_DEPTH deep");
      assertTrue((long) m * n <= k, "only a C with at most k elements is split along k");
      assertTrue((long) m * n * s <= GemmBlocking.SPLIT_K_BUFFER, "partials within the buffer");
      // Chunk starts cover [0, k) in order, differing in depth by at most one.
      int prev = 0;
      for (int c = 1; c <= s; c++) {
        int start = GemmSplitK.kStart(c, k, s);
        int depth = start - prev;
        assertTrue(depth == k / s || depth == k / s + 1, "chunk depth " + depth);
        prev = start;
      }
      assertEquals(k, prev);
    }
  }

  @Test
  void convWeightGradientsSplitAlongKAndSquaresDoNot() {
    assertEquals(16, GemmBlocking.kSplits(32, 147, 65536));
    assertEquals(16, GemmBlocking.kSplits(32, 49, 50176));
    assertEquals(16, GemmBlocking.kSplits(25, 27, 25600));
    assertEquals(1, GemmBlocking.kSplits(1024, 1024, 1024));
    assertEquals(1, GemmBlocking.kSplits(147, 65536, 32)); // dcols
    assertEquals(1, GemmBlocking.kSplits(32, 65536, 147)); // forward
  }
}
