package org.handgrad.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GridTest {
  @Test
  void cartesianVariesTheFirstOptionSlowest() {
    List<SweepConfig> c = Grid.parse(List.of("lr=1e-4,1e-3", "reg=0,1e-4,1e-3")).cartesian();
    assertEquals(6, c.size());
    assertEquals(Map.of("lr", "1e-4", "reg", "0"), c.get(0).values());
    assertEquals(Map.of("lr", "1e-4", "reg", "1e-3"), c.get(2).values());
    assertEquals(Map.of("lr", "1e-3", "reg", "0"), c.get(3).values());
    assertEquals(List.of("--lr", "1e-3", "--reg", "1e-3"), c.get(5).trainArgs());
    assertEquals("cfg-005", c.get(5).runName());
  }

  @Test
  void randomDrawsAreSeededAndLogUniformInPositiveRanges() {
    Grid g = Grid.parse(List.of("lr=1e-5:1e-1", "reg=0,1e-3"));
    List<SweepConfig> a = g.random(200, 7);
    assertEquals(a, g.random(200, 7));
    long below1e3 = a.stream().filter(c -> Double.parseDouble(c.values().get("lr")) < 1e-3).count();
    // log-uniform: half the draws below the geometric middle 1e-3 (uniform would give 1%)
    assertTrue(below1e3 > 70 && below1e3 < 130, "draws below 1e-3: " + below1e3);
    assertTrue(a.stream().allMatch(c -> List.of("0", "1e-3").contains(c.values().get("reg"))));
  }

  @Test
  void badSpecsAreNamed() {
    assertThrows(IllegalArgumentException.class, () -> Grid.parse(List.of("lr")));
    assertThrows(IllegalArgumentException.class, () -> Grid.parse(List.of("lr=1,,2")));
    assertThrows(IllegalArgumentException.class, () -> Grid.parse(List.of("lr=1", "lr=2")));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Grid.parse(List.of("lr=1e-4:1e-2")).cartesian());
    assertTrue(e.getMessage().contains("needs --random"), e.getMessage());
  }
}
