package org.handgrad;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps compiler lint warnings at zero in the core module.
 *
 * <p>Maven cannot use -Werror here because javac always reports "using incubating module(s)" for
 * the Vector API and offers no lint key to silence it. This test compiles the main sources with
 * {@code -Xlint:all} and fails on every warning except that single notice.
 */
class LintTest {
  private static final String INCUBATING = "compiler.warn.incubating.modules";

  @Test
  void mainSourcesCompileWithoutLintWarnings(@TempDir Path out) throws IOException {
    Path src = Path.of("src", "main", "java");
    List<Path> files;
    try (Stream<Path> walk = Files.walk(src)) {
      files = walk.filter(p -> p.toString().endsWith(".java")).toList();
    }
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    boolean ok;
    try (StandardJavaFileManager fm = javac.getStandardFileManager(diagnostics, null, null)) {
      List<String> options =
          List.of(
              "--release",
              "17",
              "--add-modules",
              "jdk.incubator.vector",
              "-Xlint:all,-processing",
              "-proc:none",
              "-d",
              out.toString());
      ok =
          javac
              .getTask(null, fm, diagnostics, options, null, fm.getJavaFileObjectsFromPaths(files))
              .call();
    }
    List<String> problems = new ArrayList<>();
    for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
      if (d.getKind() != Diagnostic.Kind.NOTE && !INCUBATING.equals(d.getCode())) {
        problems.add(d.getKind() + " " + d.getSource() + ":" + d.getLineNumber() + " " + d);
      }
    }
    assertTrue(ok && problems.isEmpty(), "lint warnings:\n" + String.join("\n", problems));
  }
}
