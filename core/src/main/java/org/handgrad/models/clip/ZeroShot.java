package org.handgrad.models.clip;

import java.util.ArrayList;
import java.util.List;
import org.handgrad.data.caption.Vocab;
import org.handgrad.nn.Metrics;
import org.handgrad.nn.functional.ClipLoss;
import org.handgrad.tensor.Tensor;

/**
 * Zero-shot classification (Radford et al. 2021, section 3.1.2): a class's weight vector is the
 * text embedding of a prompt naming it; an image goes to the class of highest cosine similarity.
 * With several templates the class embedding is the mean of the normalized prompt embeddings,
 * normalized again (prompt ensembling, section 3.1.4).
 *
 * <p>Dimension letters: M images, K classes, P templates, E joint embedding.
 */
public final class ZeroShot {
  private ZeroShot() {}

  /**
   * Class embeddings from prompts.
   *
   * @param classNames K names, each filling the templates' {@value Prompts#SLOT}
   * @param templates P templates
   * @return normalized class embeddings, shape (K, E)
   * @throws IllegalArgumentException naming words the model has no token for
   */
  public static Tensor classEmbeddings(
      Clip model, Vocab vocab, List<String> classNames, List<String> templates) {
    if (classNames.size() < 2) {
      throw new IllegalArgumentException(
          "zero-shot: needs at least 2 labels to choose from, got " + classNames);
    }
    List<String> prompts = new ArrayList<>();
    for (String c : classNames) {
      for (String t : templates) {
        prompts.add(Prompts.fill(t, Prompts.normalize(c)));
      }
    }
    Tensor tokens = Prompts.encode(vocab, prompts, model.config().contextLength());
    Tensor emb = ClipLoss.l2NormalizeForward(Embeddings.texts(model, tokens)).out();
    return ensemble(emb, classNames.size(), templates.size());
  }

  /**
   * Prompt ensembling: the mean of each class's P normalized embeddings, normalized.
   *
   * @param promptEmbeddings normalized, shape (K P, E), class-major
   * @return shape (K, E)
   */
  public static Tensor ensemble(Tensor promptEmbeddings, int k, int p) {
    if (promptEmbeddings.ndim() != 2 || promptEmbeddings.shape(0) != k * p) {
      throw new IllegalArgumentException(
          "zero-shot ensemble: expected ("
              + k * p
              + ", E) prompt embeddings, got "
              + promptEmbeddings.shapeString());
    }
    int e = promptEmbeddings.shape(1);
    Tensor mean = promptEmbeddings.reshape(k, p, e).mean(1);
    return ClipLoss.l2NormalizeForward(mean).out();
  }

  /**
   * The class of highest cosine similarity for every image.
   *
   * @param imageEmbeddings shape (M, E), normalized or not
   * @param classEmbeddings shape (K, E), normalized or not
   * @return predicted classes, length M
   */
  public static int[] predict(Tensor imageEmbeddings, Tensor classEmbeddings) {
    // get_similarity_no_loop(text, image) is (K, M); an image's scores are a column.
    Tensor sim = ClipLoss.similarityNoLoop(classEmbeddings, imageEmbeddings);
    return Metrics.argmax(sim.transpose().contiguous());
  }

  /**
   * Accuracy of {@link #predict} over the images with a label.
   *
   * @param labels one per image; negative labels are skipped
   * @return the fraction correct among the labelled images
   */
  public static double accuracy(int[] predictions, int[] labels) {
    int n = 0;
    int correct = 0;
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] >= 0) {
        n++;
        correct += predictions[i] == labels[i] ? 1 : 0;
      }
    }
    if (n == 0) {
      throw new IllegalArgumentException("zero-shot accuracy: no labelled image");
    }
    return (double) correct / n;
  }
}
