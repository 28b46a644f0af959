import Foundation
import Testing

@testable import PlanCore

/// Shared fixtures: the repository's catalog and scratch files for validation tests.
enum Fixtures {
  /// `<package>/Models`, found from this file's location so tests do not depend on the cwd.
  static let catalogRoot: String =
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Models").path

  static let catalog = Catalog(root: catalogRoot)

  /// Writes `text` to a fresh temporary directory as `name` and returns its path.
  static func write(_ text: String, name: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("llmplan-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent(name).path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  /// Writes a JSON object to a temporary file and returns its path.
  static func write(json object: [String: Any], name: String) throws -> String {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    return try write(String(decoding: data, as: UTF8.self), name: name)
  }

  /// `text` (one JSON object, e.g. a `PublishedConfigs` fixture) with some fields changed.
  static func variant(_ text: String, _ change: (inout [String: Any]) -> Void) throws -> String {
    var object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    change(&object)
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
  }

  /// The parsed JSON object of a catalog file, to mutate in validation tests.
  static func catalogObject(_ relativePath: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: catalogRoot + "/" + relativePath))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }
}

/// Runs `body`, requires it to throw a `CatalogError`, and checks the file, field and reason.
func expectCatalogError(
  file: String, field: String, reasonContains fragments: [String],
  sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
  do {
    try body()
    Issue.record("expected a CatalogError for \(field), but nothing was thrown", sourceLocation: sourceLocation)
  } catch let error as CatalogError {
    #expect(error.file == file, sourceLocation: sourceLocation)
    #expect(error.field == field, "error was: \(error)", sourceLocation: sourceLocation)
    for fragment in fragments {
      #expect(
        error.reason.contains(fragment), "\"\(error.reason)\" should mention \"\(fragment)\"",
        sourceLocation: sourceLocation)
    }
    // Errors are shown to people on one line, starting with the file.
    #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
    #expect(error.description.hasPrefix(file), sourceLocation: sourceLocation)
  } catch {
    Issue.record("expected a CatalogError, got \(error)", sourceLocation: sourceLocation)
  }
}
