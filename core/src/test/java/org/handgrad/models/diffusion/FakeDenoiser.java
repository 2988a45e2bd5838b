package org.handgrad.models.diffusion;

import java.util.ArrayList;
import java.util.List;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.Tensor;

/**
 * A test denoiser without weights: returns fixed outputs in turn (the last one repeated) and
 * records what it was called with, so a sampler step can be compared with a fixture computed from
 * the same "model output".
 */
final class FakeDenoiser implements Denoiser {
  private final int numClasses;
  private final List<Tensor> outputs;
  final List<Tensor> xs = new ArrayList<>();
  final List<double[]> ts = new ArrayList<>();
  final List<int[]> ys = new ArrayList<>();
  Tensor lastDout;

  FakeDenoiser(int numClasses, Tensor... outputs) {
    this.numClasses = numClasses;
    this.outputs = List.of(outputs);
  }

  int calls() {
    return xs.size();
  }

  @Override
  public Tensor forward(Tensor x, double[] t, int[] y) {
    xs.add(x.copy());
    ts.add(t.clone());
    ys.add(y == null ? null : y.clone());
    return outputs.get(Math.min(xs.size() - 1, outputs.size() - 1)).copy();
  }

  @Override
  public Tensor backward(Tensor dout) {
    lastDout = dout.copy();
    return Tensor.zerosLike(dout);
  }

  @Override
  public List<Parameter> parameters() {
    return List.of();
  }

  @Override
  public int numClasses() {
    return numClasses;
  }
}
