package org.handgrad.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CPU profile: what it reads, the width it chooses, the GEMM shapes it derives. */
class CpuProfileTest {
  @Test
  void thisRunUsesTheWidthItWasAskedFor() {
    CpuProfile p = CpuProfile.current();
    String cap = System.getProperty(CpuProfile.VECTOR_BITS_PROPERTY);
    int expected =
        cap == null ? p.hardwareBits() : Math.min(Integer.parseInt(cap), p.hardwareBits());
    assertEquals(expected, p.vectorBits());
    if (Kernels.vectorAvailable()) {
      // The species every kernel uses follows the profile, so a capped run tests the narrow path.
      assertEquals(p.vectorBits(), Species.F.vectorBitSize());
      assertEquals(p.vectorBits(), Species.D.vectorBitSize());
      assertEquals(p.vectorBits() >= 512 ? 8 : 5, SgemmVector.MR);
      assertEquals(2 * Species.F.length(), SgemmVector.NR);
      assertEquals(2 * Species.D.length(), DgemmVector.NR);
    }
    assertTrue(p.describe().contains(p.model()), p.describe());
  }

  @Test
  void vectorBitsPropertyIsACapAndRejectsOtherWidths() {
    assertEquals(512, CpuProfile.chooseBits(512, null));
    assertEquals(256, CpuProfile.chooseBits(512, "256"));
    assertEquals(256, CpuProfile.chooseBits(256, "512"));
    assertEquals(0, CpuProfile.chooseBits(0, "256"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> CpuProfile.chooseBits(512, "384"));
    assertTrue(e.getMessage().contains("handgrad.vector.bits"), e.getMessage());
    assertTrue(e.getMessage().contains("'384'"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> CpuProfile.chooseBits(512, "wide"));
  }

  @Test
  void gemmShapes256KeepTheZen3TuningAnd512FollowTheCaches() {
    long l2 = 1 << 20;
    assertEquals(
        new CpuProfile.GemmShape(5, 256, 140, 3072), CpuProfile.gemmShape("t", 4, 256, l2));
    assertEquals(new CpuProfile.GemmShape(5, 512, 40, 2048), CpuProfile.gemmShape("t", 8, 256, l2));
    // 512 bits: 8 rows, a deep KC, the A block (MC x KC) in a quarter of L2.
    assertEquals(
        new CpuProfile.GemmShape(8, 1024, 64, 3072), CpuProfile.gemmShape("t", 4, 512, l2));
    assertEquals(new CpuProfile.GemmShape(8, 512, 64, 2048), CpuProfile.gemmShape("t", 8, 512, l2));
    assertEquals(
        new CpuProfile.GemmShape(8, 1024, 32, 3072), CpuProfile.gemmShape("t", 4, 512, 512 << 10));
    // A tiny L2 still leaves four tiles of rows.
    assertEquals(
        new CpuProfile.GemmShape(8, 1024, 32, 3072), CpuProfile.gemmShape("t", 4, 512, 64 << 10));
  }

  @Test
  void gemmShapeRejectsTilesWithoutAKernel() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> new CpuProfile.GemmShape(6, 256, 60, 3072));
    assertTrue(e.getMessage().contains("mr=6"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new CpuProfile.GemmShape(5, 256, 7, 3072));
  }

  @Test
  void readsSysfsCachesAndCpuinfo(@TempDir Path dir) throws IOException {
    writeCache(dir.resolve("index0"), 1, "Data", "48K");
    writeCache(dir.resolve("index1"), 1, "Instruction", "32K");
    writeCache(dir.resolve("index2"), 2, "Unified", "1024K");
    writeCache(dir.resolve("index3"), 3, "Unified", "32768K");
    assertArrayEquals(new long[] {48 << 10, 1 << 20, 32 << 20}, CpuProfile.readCaches(dir));
    assertNull(CpuProfile.readCaches(dir.resolve("missing")));

    Path info = dir.resolve("cpuinfo");
    Files.writeString(
        info, "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9B45\n");
    assertEquals("AMD EPYC 9B45", CpuProfile.readModel(info));
    assertEquals("unknown", CpuProfile.readModel(dir.resolve("missing")));
    assertEquals(512, CpuProfile.parseSize("512"));
    assertEquals(2L << 20, CpuProfile.parseSize("2M"));
  }

  @Test
  void cpuinfoGivesTheL2OnAmdAndTheL3OnIntelWhenSysfsHasNoCaches(@TempDir Path dir)
      throws IOException {
    Path amd = dir.resolve("amd");
    Files.writeString(
        amd,
        "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\n"
            + "model name\t: AMD EPYC\ncache size\t: 1024 KB\n");
    assertArrayEquals(new long[] {0, 1 << 20, 0}, CpuProfile.cachesFromCpuinfo(amd));
    Path intel = dir.resolve("intel");
    Files.writeString(
        intel, "vendor_id\t: GenuineIntel\nmodel name\t: Intel Xeon\ncache size\t: 107520 KB\n");
    assertArrayEquals(new long[] {0, 0, 107520L << 10}, CpuProfile.cachesFromCpuinfo(intel));
    Path other = dir.resolve("other");
    Files.writeString(other, "vendor_id\t: HygonGenuine\ncache size\t: 512 KB\n");
    assertArrayEquals(new long[3], CpuProfile.cachesFromCpuinfo(other));
    Path garbled = dir.resolve("garbled");
    Files.writeString(garbled, "vendor_id\t: AuthenticAMD\ncache size\t: lots\n");
    assertArrayEquals(new long[3], CpuProfile.cachesFromCpuinfo(garbled));
    assertArrayEquals(new long[3], CpuProfile.cachesFromCpuinfo(dir.resolve("missing")));

    assertEquals("", CpuProfile.assumedNote(new long[] {48 << 10, 1 << 20, 32 << 20}));
    assertEquals(" (L1d, L3 assumed)", CpuProfile.assumedNote(new long[] {0, 1 << 20, 0}));
    assertEquals(" (assumed)", CpuProfile.assumedNote(new long[3]));
  }

  private static void writeCache(Path index, int level, String type, String size)
      throws IOException {
    Files.createDirectories(index);
    Files.writeString(index.resolve("level"), level + "\n");
    Files.writeString(index.resolve("type"), type + "\n");
    Files.writeString(index.resolve("size"), size + "\n");
  }
}
