package org.handgrad.nn.functional;

import java.util.Objects;
import org.handgrad.tensor.Tensor;

/**
 * What every {@code xxxForward} returns: the layer output and the typed cache its {@code
 * xxxBackward} needs (CS231n's {@code out, cache = layer_forward(...)}).
 *
 * @param out layer output; its shape is documented on each forward method
 * @param cache what the backward pass reads; a record specific to the layer
 * @param <C> the cache record type
 */
public record Forward<C>(Tensor out, C cache) {
  /** Validates that both parts are present. */
  public Forward {
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(cache, "cache");
  }
}
