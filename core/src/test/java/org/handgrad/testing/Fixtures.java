package org.handgrad.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import org.handgrad.io.Npy;
import org.handgrad.tensor.Tensor;

/**
 * Loads the PyTorch-generated fixtures committed under {@code src/test/resources/fixtures} (written
 * by {@code scripts/fixtures/*.py}).
 */
public final class Fixtures {
  private Fixtures() {}

  /** All arrays of {@code fixtures/<name>.npz}, keyed by array name. */
  public static Map<String, Tensor> load(String name) {
    String resource = "/fixtures/" + name + ".npz";
    try (InputStream in = Fixtures.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "missing fixture " + resource + ": run scripts/gen_fixtures.sh and commit the output");
      }
      return Npy.readNpz(in, resource);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One array of a fixture, failing clearly when it is absent. */
  public static Tensor get(Map<String, Tensor> fixture, String key) {
    Tensor t = fixture.get(key);
    if (t == null) {
      throw new IllegalStateException("fixture has no array '" + key + "': " + fixture.keySet());
    }
    return t;
  }
}
