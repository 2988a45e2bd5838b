package org.handgrad.models.explain;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.handgrad.models.InputGradients;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.Model;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.Tensor;

/**
 * The model-randomization sanity check of saliency maps (Adebayo et al. 2018, "Sanity Checks for
 * Saliency Maps"), cascading version: starting from the trained model, replace the weights of one
 * layer after another, from the output layer down, by freshly initialized ones, and after each
 * replacement compare the saliency maps with the trained model's by Spearman rank correlation. A
 * map that explains the model must change as the model is destroyed (correlation falling towards
 * 0); a map that survives randomization explains the input, not the model (an edge detector).
 *
 * <p>Layers are the groups of parameters sharing a CS231n layer number ("W3", "b3", "gamma3" and
 * "beta3" are layer 3) or a module path ("head.weight" and "head.bias" are "head"; a ViT's
 * "blocks.2.*" is "blocks.2"), in the order of {@link Model#parameters()}. The replacement values
 * come from a second instance of the same architecture, untrained (the model's own initialization
 * with another seed); BatchNorm running statistics stay the trained ones, as only the weights are
 * randomized. The model's parameters are restored at the end.
 */
public final class SanityCheck {
  private SanityCheck() {}

  private static final Pattern NUMBERED = Pattern.compile("^[A-Za-z_]+?(\\d+)$");

  /**
   * One step of the cascade.
   *
   * @param randomized the layers randomized so far, top first ("none" for the trained model)
   * @param spearman rank correlation of each image's saliency with the trained model's, length N
   * @param meanSpearman their mean
   * @param saliency the saliency maps at this step, shape (N, H, W), float64
   */
  public record Step(String randomized, double[] spearman, double meanSpearman, Tensor saliency) {}

  /**
   * Runs the cascade.
   *
   * @param trained the trained model (restored before returning)
   * @param fresh an untrained model of the same architecture: same parameter names and shapes
   * @param x images, shape (N, C, H, W)
   * @param y the class whose score each saliency map explains, length N
   * @return the trained step first, then one step per layer, top layer first
   * @throws IllegalArgumentException when the models do not match or are not {@link InputGradients}
   */
  public static List<Step> cascadingRandomization(Model trained, Model fresh, Tensor x, int[] y) {
    if (!(trained instanceof InputGradients ig)) {
      throw new IllegalArgumentException(
          "sanity check: the model has no input gradients: " + trained.getClass().getSimpleName());
    }
    Map<String, List<Parameter>> layers = layers(trained);
    Map<String, Parameter> replacements = new LinkedHashMap<>();
    for (Parameter p : fresh.parameters()) {
      replacements.put(p.name(), p);
    }
    List<Tensor> saved = new ArrayList<>();
    for (Parameter p : trained.parameters()) {
      Parameter q = replacements.get(p.name());
      if (q == null || !Arrays.equals(q.shape(), p.shape())) {
        throw new IllegalArgumentException(
            "sanity check: the fresh model does not match the trained one at parameter '"
                + p.name()
                + "' "
                + Arrays.toString(p.shape())
                + (q == null ? " (missing)" : " vs " + Arrays.toString(q.shape())));
      }
      saved.add(p.value().copy());
    }
    List<Step> steps = new ArrayList<>();
    try {
      Tensor reference = Saliency.saliencyMaps(ig, x, y);
      steps.add(step("none", reference, reference));
      List<String> names = new ArrayList<>(layers.keySet());
      List<String> done = new ArrayList<>();
      for (int l = names.size() - 1; l >= 0; l--) {
        for (Parameter p : layers.get(names.get(l))) {
          p.value().copyFrom(replacements.get(p.name()).value());
        }
        done.add(names.get(l));
        steps.add(step(String.join(", ", done), reference, Saliency.saliencyMaps(ig, x, y)));
      }
    } finally {
      int i = 0;
      for (Parameter p : trained.parameters()) {
        p.value().copyFrom(saved.get(i++));
      }
    }
    return steps;
  }

  /** The parameters grouped by layer, in the order of their first appearance. */
  public static Map<String, List<Parameter>> layers(Model model) {
    Map<String, List<Parameter>> m = new LinkedHashMap<>();
    for (Parameter p : model.parameters()) {
      m.computeIfAbsent(layerOf(p.name()), k -> new ArrayList<>()).add(p);
    }
    return m;
  }

  /**
   * The layer of a parameter name: "layer 3" for "gamma3", "blocks.2" for
   * "blocks.2.mlp.fc1.weight".
   */
  static String layerOf(String name) {
    Matcher m = NUMBERED.matcher(name);
    if (m.matches()) {
      return "layer " + m.group(1);
    }
    String[] parts = name.split("\\.");
    if (parts.length > 2 && parts[1].chars().allMatch(Character::isDigit)) {
      return parts[0] + "." + parts[1];
    }
    return parts[0];
  }

  private static Step step(String randomized, Tensor reference, Tensor saliency) {
    int n = reference.shape(0);
    double[] rho = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      rho[i] =
          spearman(reference.select(0, i).toDoubleArray(), saliency.select(0, i).toDoubleArray());
      sum += rho[i];
    }
    return new Step(randomized, rho, sum / n, saliency);
  }

  /**
   * Spearman's rank correlation: the Pearson correlation of the ranks, ties given their average
   * rank (as {@code scipy.stats.spearmanr}).
   *
   * @param a values, length n >= 2
   * @param b values, length n
   * @return in [-1, 1]; NaN when either side is constant (its ranks have no variance)
   */
  public static double spearman(double[] a, double[] b) {
    if (a.length != b.length || a.length < 2) {
      throw new IllegalArgumentException(
          "spearman: expected two arrays of one length >= 2, got " + a.length + " and " + b.length);
    }
    return Metrics.pearson(ranks(a), ranks(b));
  }

  /** Ranks from 1, ties sharing their average rank. */
  static double[] ranks(double[] v) {
    Integer[] order = new Integer[v.length];
    for (int i = 0; i < v.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (i, j) -> Double.compare(v[i], v[j]));
    double[] r = new double[v.length];
    for (int s = 0; s < v.length; ) {
      int e = s;
      while (e + 1 < v.length && v[order[e + 1]] == v[order[s]]) {
        e++;
      }
      double avg = (s + e) / 2.0 + 1;
      for (int k = s; k <= e; k++) {
        r[order[k]] = avg;
      }
      s = e + 1;
    }
    return r;
  }
}
