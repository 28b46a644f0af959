import Foundation

/// The format of a written report: Markdown (renders on GitHub, reads in a terminal) or one
/// self-contained HTML file with SVG charts. Chosen by `--format`, else by the `--report`
/// path's extension (`.html`/`.htm` → HTML, `.md`/`.markdown` → Markdown), else Markdown; an
/// explicit `--format` that contradicts a known extension is refused rather than guessed at.
public enum ReportFormat: String, Sendable, CaseIterable {
  case markdown, html

  /// Extension of the default report path, `Reports/<scenario>.<ext>`.
  public var fileExtension: String { self == .markdown ? "md" : "html" }

  /// The format a path's extension names (case-insensitive), nil for any other extension
  /// (`report.txt`, `/dev/stdout`).
  public static func inferred(fromPath path: String) -> ReportFormat? {
    switch URL(fileURLWithPath: path).pathExtension.lowercased() {
    case "html", "htm": return .html
    case "md", "markdown": return .markdown
    default: return nil
    }
  }

  /// Resolves `--format` and `--report`.
  ///
  /// - Throws: `ReportError` naming the value when `format` is not `markdown` or `html`, or
  ///   when it contradicts the report path's extension.
  public static func resolve(format: String?, reportPath: String?) throws -> ReportFormat {
    let fromPath = reportPath.flatMap(inferred(fromPath:))
    guard let format else { return fromPath ?? .markdown }
    guard let chosen = ReportFormat(rawValue: format.lowercased()) else {
      throw ReportError("--format: \"\(format)\" is not a report format (allowed: markdown, html)")
    }
    if let fromPath, let reportPath, fromPath != chosen {
      throw ReportError(
        "--format \(chosen.rawValue) contradicts --report \(reportPath), whose extension names \(fromPath.rawValue): "
          + "give a .\(chosen.fileExtension) path, or drop --format to write \(fromPath.rawValue)")
    }
    return chosen
  }
}
