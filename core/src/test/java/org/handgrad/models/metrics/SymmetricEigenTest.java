package org.handgrad.models.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.handgrad.tensor.Tensor;
import org.handgrad.testing.Fixtures;
import org.junit.jupiter.api.Test;

/** The Jacobi solver against numpy's eigh (fixtures/frechet.npz, scripts/fixtures/frechet.py). */
class SymmetricEigenTest {
  private static final Map<String, Tensor> FIX = Fixtures.load("frechet");

  private static double[][] matrix(String key) {
    Tensor t = Fixtures.get(FIX, key);
    int n = t.shape(0);
    double[] flat = t.contiguous().toDoubleArray();
    double[][] m = new double[n][n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(flat, i * n, m[i], 0, n);
    }
    return m;
  }

  @Test
  void eigenvaluesAndVectorsMatchNumpyEigh() {
    double[][] a = matrix("eig_a");
    SymmetricEigen.Result r = SymmetricEigen.decompose(a);
    double[] expected = Fixtures.get(FIX, "eig_values").toDoubleArray();
    double[][] v = matrix("eig_vectors");
    int n = a.length;
    for (int k = 0; k < n; k++) {
      assertEquals(expected[k], r.values()[k], 1e-12, "eigenvalue " + k);
      // eigenvectors are defined up to sign (the eigenvalues are distinct here)
      double dot = 0;
      for (int i = 0; i < n; i++) {
        dot += v[i][k] * r.vectors()[i][k];
      }
      double sign = Math.signum(dot);
      for (int i = 0; i < n; i++) {
        assertEquals(v[i][k], sign * r.vectors()[i][k], 1e-11, "vector " + k + " entry " + i);
      }
    }
  }

  @Test
  void reconstructsTheMatrixWithOrthonormalVectors() {
    double[][] a = matrix("eig_a");
    SymmetricEigen.Result r = SymmetricEigen.decompose(a);
    int n = a.length;
    double[][] v = r.vectors();
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double avl = 0;
        double vtv = 0;
        for (int k = 0; k < n; k++) {
          avl += v[i][k] * r.values()[k] * v[j][k];
          vtv += v[k][i] * v[k][j];
        }
        assertEquals(a[i][j], avl, 1e-13, "V diag V^T at " + i + "," + j);
        assertEquals(i == j ? 1 : 0, vtv, 1e-14, "V^T V at " + i + "," + j);
      }
    }
  }

  @Test
  void rankDeficientPsdMatrixHasZeroEigenvalues() {
    SymmetricEigen.Result r = SymmetricEigen.decompose(matrix("eig_psd"));
    double[] expected = Fixtures.get(FIX, "eig_psd_values").toDoubleArray();
    for (int k = 0; k < expected.length; k++) {
      assertEquals(expected[k], r.values()[k], 1e-12, "eigenvalue " + k);
    }
    // rank 4 of 7: the three smallest are zero up to rounding
    for (int k = 0; k < 3; k++) {
      assertTrue(Math.abs(r.values()[k]) < 1e-13, "eigenvalue " + k + " = " + r.values()[k]);
    }
  }

  @Test
  void twoByTwoByHand() {
    // [[2, 1], [1, 2]]: eigenvalues 1 and 3, vectors (1, -1)/sqrt2 and (1, 1)/sqrt2
    SymmetricEigen.Result r = SymmetricEigen.decompose(new double[][] {{2, 1}, {1, 2}});
    assertEquals(1, r.values()[0], 1e-15);
    assertEquals(3, r.values()[1], 1e-15);
    double s = Math.sqrt(0.5);
    assertEquals(s, Math.abs(r.vectors()[0][1]), 1e-15);
    assertEquals(r.vectors()[0][1], r.vectors()[1][1], 1e-15);
    assertEquals(-r.vectors()[0][0], r.vectors()[1][0], 1e-15);
  }

  @Test
  void diagonalMatrixIsReturnedSorted() {
    SymmetricEigen.Result r =
        SymmetricEigen.decompose(new double[][] {{3, 0, 0}, {0, -1, 0}, {0, 0, 2}});
    assertEquals(-1, r.values()[0]);
    assertEquals(2, r.values()[1]);
    assertEquals(3, r.values()[2]);
    assertEquals(1, Math.abs(r.vectors()[1][0]));
  }

  @Test
  void badInputIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SymmetricEigen.decompose(new double[][] {{1, 2}, {3, 1}}));
    assertTrue(e.getMessage().contains("not symmetric"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SymmetricEigen.decompose(new double[][] {{1, 2}, {2}}));
    assertTrue(e.getMessage().contains("row 1 has 1 entries"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SymmetricEigen.decompose(new double[][] {{Double.NaN}}));
    assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> SymmetricEigen.decompose(new double[0][]));
  }
}
