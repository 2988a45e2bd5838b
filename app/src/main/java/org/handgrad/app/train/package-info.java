/**
 * The pieces of {@code ./handgrad train}, {@code eval} and {@code predict}: finding the data with
 * an offline fallback ({@link org.handgrad.app.train.DataSource}), the CS231n splits ({@link
 * org.handgrad.app.train.TrainingData}) and preprocessing ({@link
 * org.handgrad.app.train.Preprocessing}), the run spec that travels in every checkpoint ({@link
 * org.handgrad.app.train.RunSpec}), augmentation ({@link org.handgrad.app.train.AugmentedModel}),
 * the progress display ({@link org.handgrad.app.train.TrainingProgress}), checkpoint files and the
 * kNN cross-validation run.
 */
package org.handgrad.app.train;
