package org.handgrad.nn;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * Inference without gradients, as PyTorch's {@code torch.no_grad()}: while work runs inside {@link
 * #get} or {@link #run}, the modules it calls on this thread keep no cache of their forward pass
 * and the {@link org.handgrad.nn.graph.Tape}s created on this thread record no entries, so a
 * forward pass's intermediate tensors (im2col columns, normalized activations, attention weights)
 * become garbage as soon as the next layer has read them. A sampler that calls a U-Net a thousand
 * times needs nothing else.
 *
 * <pre>{@code
 * Tensor eps = NoGrad.get(() -> unet.forward(x, t, y));   // nothing kept for a backward
 * }</pre>
 *
 * <p>A backward after a forward inside NoGrad is an error (the module has no cache; the tape says
 * it was recorded without gradients). Scopes nest. The state is per thread: the kernels' worker
 * threads never run module code, so the thread that calls {@code forward} is the one that counts.
 */
public final class NoGrad {
  private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);

  private NoGrad() {}

  /**
   * Runs work with gradients off on this thread and returns its result.
   *
   * @param work typically one or more forward passes
   * @return what work returns
   */
  public static <T> T get(Supplier<T> work) {
    Objects.requireNonNull(work, "work");
    int[] depth = DEPTH.get();
    depth[0]++;
    try {
      return work.get();
    } finally {
      depth[0]--;
    }
  }

  /**
   * Runs work with gradients off on this thread.
   *
   * @param work typically one or more forward passes
   */
  public static void run(Runnable work) {
    Objects.requireNonNull(work, "work");
    get(
        () -> {
          work.run();
          return null;
        });
  }

  /** Whether this thread is inside NoGrad. */
  public static boolean active() {
    return DEPTH.get()[0] > 0;
  }
}
