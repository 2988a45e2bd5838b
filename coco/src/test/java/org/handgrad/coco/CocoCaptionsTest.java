package org.handgrad.coco;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.handgrad.data.caption.CaptionDataset;
import org.handgrad.data.caption.CaptionSplit;
import org.handgrad.data.caption.Vocab;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads the tiny files of {@code scripts/fixtures/coco_h5.py} (h5py, CS231n's layout): 5 train
 * captions of 3 images, 4 val captions of 2 images, features[i, d] = offset + i + d / 100.
 */
class CocoCaptionsTest {
  private static final List<String> WORDS =
      List.of(
          "<NULL>", "<START>", "<END>", "<UNK>", "a", "cat", "dog", "on", "mat", "the", "sits",
          "red", "ball");
  private static final List<String> TRAIN =
      List.of("a cat on a mat", "the cat sits", "a dog", "the dog on the mat", "a red kite");
  private static final List<String> VAL =
      List.of("a ball", "the red ball", "a cat sits on the mat", "a dog sits");

  private static Path folder(String name) {
    try {
      return Path.of(CocoCaptionsTest.class.getResource("/coco/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static float[] features(int n, int d, int offset) {
    float[] f = new float[n * d];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < d; k++) {
        f[i * d + k] = (float) (offset + i + k / 100.0);
      }
    }
    return f;
  }

  @Test
  void readsTheCs231nLayout() throws IOException {
    CaptionDataset data = CocoCaptions.load(folder("tiny"));
    assertEquals("coco2014", data.name());
    assertEquals(List.of("train", "val"), List.copyOf(data.splits().keySet()));
    Vocab v = data.vocab();
    assertEquals(WORDS, v.idxToWord());
    CaptionSplit train = data.split("train");
    assertEquals(DType.INT32, train.captions().dtype());
    assertArrayEquals(new int[] {5, 17}, train.captions().shape());
    assertArrayEquals(v.encodeAll(TRAIN, 17).toIntArray(), train.captions().toIntArray());
    assertArrayEquals(new int[] {0, 0, 1, 2, 2}, train.imageIdxs());
    assertEquals(DType.FLOAT32, train.features().dtype());
    assertArrayEquals(new int[] {3, 8}, train.features().shape());
    assertArrayEquals(features(3, 8, 0), train.features().toFloatArray());
    assertEquals(
        List.of(
            "http://localhost/train2014/image0.jpg",
            "http://localhost/train2014/image1.jpg",
            "http://localhost/train2014/image2.jpg"),
        train.urls());
    assertEquals(
        "a red <UNK>", v.decodeCaption(train.gather(new int[] {4}).captions().toIntArray()));
    assertEquals(
        "<START> a red <UNK> <END>",
        v.decodeCaptionCs231n(train.gather(new int[] {4}).captions().toIntArray()));
    CaptionSplit val = data.split("val");
    assertArrayEquals(v.encodeAll(VAL, 17).toIntArray(), val.captions().toIntArray());
    assertArrayEquals(new int[] {1, 1, 0, 0}, val.imageIdxs());
    assertArrayEquals(features(2, 8, 100), val.features().toFloatArray());
    assertEquals(2, val.urls().size());
    assertEquals(
        List.of(
            List.of(Vocab.tokenize(VAL.get(2)), Vocab.tokenize(VAL.get(3))),
            List.of(Vocab.tokenize(VAL.get(0)), Vocab.tokenize(VAL.get(1)))),
        val.referencesByImage(v));
  }

  @Test
  void fullFeaturesAndChunkedCompressedDatasets() throws IOException {
    CaptionDataset data =
        CocoCaptions.load(
            folder("tiny"), new CocoCaptions.Options(false, CocoCaptions.Options.ALL, 0));
    assertArrayEquals(features(3, 16, 10), data.split("train").features().toFloatArray());
    // val2014_vgg16_fc7.h5 is chunked and gzip-compressed.
    assertArrayEquals(new int[] {2, 16}, data.split("val").features().shape());
    assertArrayEquals(features(2, 16, 110), data.split("val").features().toFloatArray());
  }

  @Test
  void featuresInsideTheCaptionsFileAndInt64Captions() throws IOException {
    CaptionDataset data = CocoCaptions.load(folder("embedded"));
    CaptionSplit train = data.split("train");
    // train_captions is int64 in this file: read as int32.
    assertArrayEquals(
        data.vocab().encodeAll(TRAIN, 17).toIntArray(), train.captions().toIntArray());
    assertArrayEquals(features(3, 8, 0), train.features().toFloatArray());
    assertArrayEquals(features(2, 8, 100), data.split("val").features().toFloatArray());
    assertEquals(List.of(), train.urls()); // no URL files
  }

  @Test
  void maxTrainSubsamplesWithReplacementLikeCs231n() throws IOException {
    CaptionDataset all = CocoCaptions.load(folder("tiny"));
    CaptionDataset some = CocoCaptions.load(folder("tiny"), new CocoCaptions.Options(true, 12, 4));
    CaptionSplit train = some.split("train");
    assertEquals(12, train.numCaptions());
    assertEquals(3, train.numImages()); // features stay whole: indices point into them
    int[] rows = new Rng(4).choice(5, 12, true);
    CaptionSplit.Minibatch expected = all.split("train").gather(rows);
    assertArrayEquals(expected.captions().toIntArray(), train.captions().toIntArray());
    assertArrayEquals(expected.imageIdxs(), train.imageIdxs());
    assertEquals(4, some.split("val").numCaptions()); // val is never subsampled
    assertThrows(IllegalArgumentException.class, () -> new CocoCaptions.Options(true, -2, 0));
  }

  @Test
  void missingDatasetIsNamed() {
    IOException e = assertThrows(IOException.class, () -> CocoCaptions.load(folder("missing")));
    Path file = folder("missing").resolve("coco2014_captions.h5");
    assertEquals(
        "coco: "
            + file
            + ": missing dataset 'val_image_idxs' (has [train_captions, train_image_idxs,"
            + " val_captions])",
        e.getMessage());
  }

  @Test
  void inconsistentShapesAndIndicesAreNamed() {
    Path bad = folder("badshape").resolve("coco2014_captions.h5");
    IOException e = assertThrows(IOException.class, () -> CocoCaptions.load(folder("badshape")));
    assertEquals(
        "coco: "
            + bad
            + ": dataset 'train_image_idxs' has shape (4,) but 'train_captions' has (5, 17):"
            + " expected one image index per caption",
        e.getMessage());
    Path idx = folder("badindex").resolve("coco2014_captions.h5");
    e = assertThrows(IOException.class, () -> CocoCaptions.load(folder("badindex")));
    assertEquals(
        "coco: "
            + idx
            + ": split train: CaptionSplit: caption 4 points at image 3, outside [0, 3) of"
            + " features (3, 8)",
        e.getMessage());
  }

  /** Copies the tiny folder so a test can break one file. */
  private static Path copyTiny(Path to) throws IOException {
    try (Stream<Path> files = Files.list(folder("tiny"))) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
    return to;
  }

  @Test
  void corruptAndMissingFiles(@TempDir Path dir) throws IOException {
    copyTiny(dir);
    Path captions = dir.resolve("coco2014_captions.h5");
    byte[] bytes = Files.readAllBytes(captions);
    // Truncated: the superblock is intact, the datasets are not.
    Files.write(captions, java.util.Arrays.copyOf(bytes, 1200));
    IOException e = assertThrows(IOException.class, () -> CocoCaptions.load(dir));
    assertTrue(e.getMessage().startsWith("coco: " + captions + ": "), e.getMessage());
    // Not HDF5 at all.
    Files.writeString(captions, "this is not an HDF5 file");
    e = assertThrows(IOException.class, () -> CocoCaptions.load(dir));
    assertTrue(
        e.getMessage().startsWith("coco: " + captions + ": not a readable HDF5 file"),
        e.getMessage());
    Files.delete(captions);
    e = assertThrows(IOException.class, () -> CocoCaptions.load(dir));
    assertEquals("coco: missing file " + captions, e.getMessage());
  }

  @Test
  void missingFeaturesUrlsAndVocabulary(@TempDir Path dir) throws IOException {
    copyTiny(dir);
    Files.delete(dir.resolve("val2014_vgg16_fc7_pca.h5"));
    IOException e = assertThrows(IOException.class, () -> CocoCaptions.load(dir));
    assertEquals(
        "coco: no val features: neither "
            + dir.resolve("val2014_vgg16_fc7_pca.h5")
            + " (dataset 'features') nor dataset 'val_features' in "
            + dir.resolve("coco2014_captions.h5"),
        e.getMessage());
    Files.copy(
        folder("tiny").resolve("val2014_vgg16_fc7_pca.h5"),
        dir.resolve("val2014_vgg16_fc7_pca.h5"));
    Files.writeString(dir.resolve("train2014_urls.txt"), "http://one\nhttp://two\n");
    e = assertThrows(IOException.class, () -> CocoCaptions.load(dir));
    assertEquals(
        "coco: "
            + dir.resolve("train2014_urls.txt")
            + " has 2 URLs, expected one per image: "
            + dir.resolve("train2014_vgg16_fc7_pca.h5")
            + " holds features of 3 images",
        e.getMessage());
    Files.delete(dir.resolve("train2014_urls.txt"));
    assertEquals(List.of(), CocoCaptions.load(dir).split("train").urls());
    // A vocabulary too small for the captions' tokens.
    Vocab.withSpecials(List.of("a", "cat")).save(dir.resolve("coco2014_vocab.json"));
    e = assertThrows(IOException.class, () -> CocoCaptions.load(dir));
    assertTrue(
        e.getMessage()
            .endsWith("coco2014: train caption 0 holds token 7, outside the vocabulary [0, 6)"),
        e.getMessage());
  }
}
