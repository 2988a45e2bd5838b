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
import javax.tools.DocumentationTool;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps the library's Javadoc building without warnings, as the {@code release} profile's Javadoc
 * jar needs.
 *
 * <p>The check is doclint's, with every group but {@code missing}: broken HTML (a bare {@code <} in
 * prose), bad references, malformed tags and accessibility fail the test. The {@code missing} group
 * (a {@code @param} or {@code @return} tag absent from a documented method) is off: the house rule
 * is a Javadoc comment on every public type and a shape on every tensor, not a tag per argument of
 * every kernel. The one warning javadoc always prints for the incubator Vector API is ignored, as
 * in {@link LintTest}.
 */
class JavadocTest {
  private static final String INCUBATING = "using incubating module(s)";

  @Test
  void mainSourcesDocumentWithoutWarnings(@TempDir Path out) throws IOException {
    Path src = Path.of("src", "main", "java");
    List<Path> files;
    try (Stream<Path> walk = Files.walk(src)) {
      files = walk.filter(p -> p.toString().endsWith(".java")).toList();
    }
    DocumentationTool javadoc = ToolProvider.getSystemDocumentationTool();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    boolean ok;
    try (StandardJavaFileManager fm = javadoc.getStandardFileManager(diagnostics, null, null)) {
      List<String> options =
          List.of(
              "--release",
              "17",
              "--add-modules",
              "jdk.incubator.vector",
              "-Xdoclint:all,-missing",
              "-Xmaxwarns",
              "10000",
              "-quiet",
              "-d",
              out.toString());
      ok =
          javadoc
              .getTask(null, fm, diagnostics, null, options, fm.getJavaFileObjectsFromPaths(files))
              .call();
    }
    List<String> problems = new ArrayList<>();
    for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
      String message = d.getMessage(null);
      if (d.getKind() != Diagnostic.Kind.NOTE && !message.contains(INCUBATING)) {
        problems.add(d.getKind() + " " + d.getSource() + ":" + d.getLineNumber() + " " + message);
      }
    }
    assertTrue(ok && problems.isEmpty(), "javadoc problems:\n" + String.join("\n", problems));
  }
}
