package org.handgrad.coco;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile COCO HDF5 files (issue 14): mutations and truncations of h5py-written files fail with an
 * IOException naming the file; no truncated file loads with changed values.
 */
class CocoFuzzTest {
  @TempDir Path dir;

  private void copyTiny() throws IOException, URISyntaxException {
    Path tiny = Path.of(CocoFuzzTest.class.getResource("/coco/tiny").toURI());
    try (Stream<Path> files = Files.list(tiny)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, dir.resolve(f.getFileName()));
      }
    }
  }

  private void fuzz(String name, boolean pca, int mutations, long seed)
      throws IOException, URISyntaxException {
    copyTiny();
    Path file = dir.resolve(name);
    CocoCaptions.Options options = new CocoCaptions.Options(pca, CocoCaptions.Options.ALL, 0);
    ReaderFuzz.Counts c =
        ReaderFuzz.run(
            file,
            Files.readAllBytes(file),
            f -> CocoCaptions.load(dir, options),
            mutations * ReaderFuzz.scale(),
            400 * ReaderFuzz.scale(),
            seed,
            20_000);
    System.out.println("COCO fuzz " + name + ": " + c);
    assertTrue(c.failures().isEmpty(), c + "\n" + String.join("\n", c.failures()));
  }

  @Test
  void captionsFileFailsCleanly() throws IOException, URISyntaxException {
    fuzz(CocoCaptions.CAPTIONS_FILE, true, 1500, 1);
  }

  @Test
  void contiguousFeaturesFailCleanly() throws IOException, URISyntaxException {
    fuzz("train2014_vgg16_fc7_pca.h5", true, 1000, 2);
  }

  @Test
  void chunkedCompressedFeaturesFailCleanly() throws IOException, URISyntaxException {
    fuzz("val2014_vgg16_fc7.h5", false, 1000, 3);
  }

  @Test
  void aCorruptChunkShapeFailsFast() throws IOException, URISyntaxException {
    // Found by the long fuzz (scale 50, mutation 6280 of the chunked features): chunks declared
    // (587202561, 1019274910) kept jhdf walking chunk elements for 10-20 s before failing.
    copyTiny();
    Path hostile =
        Path.of(CocoFuzzTest.class.getResource("/coco/hostile/val2014_vgg16_fc7.h5").toURI());
    Path file = dir.resolve("val2014_vgg16_fc7.h5");
    Files.copy(hostile, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    long start = System.nanoTime();
    IOException e =
        assertThrows(
            IOException.class,
            () -> CocoCaptions.load(dir, new CocoCaptions.Options(false, -1, 0)));
    assertTrue(System.nanoTime() - start < 5_000_000_000L, "took too long");
    assertTrue(
        e.getMessage()
            .startsWith(
                "coco: "
                    + file
                    + ": dataset 'features' declares chunks of shape (587202561, 1019274910):"
                    + " expected sizes >= 1 and at most 4299312 bytes per chunk"),
        e.getMessage());
  }
}
