import Foundation

/// One input file of a report: where it is (relative to the directory the command ran in, so
/// the report does not change from machine to machine), its size and SHA-256.
public struct InputDigest: Sendable, Hashable, Codable {
  public var path: String
  public var bytes: Int
  public var sha256: String
}

/// Why an input file could not be hashed.
public struct ReportError: Error, CustomStringConvertible, Equatable, Sendable {
  public let description: String
  public init(_ description: String) { self.description = description }
}

public enum InputProvenance {
  /// Hashes each file (duplicates dropped, order kept). Paths inside `baseDirectory` are shown
  /// relative to it; others as given.
  /// - Throws: `ReportError` when a file cannot be read.
  public static func digests(_ paths: [String], relativeTo baseDirectory: String) throws -> [InputDigest] {
    var seen: Set<String> = []
    var result: [InputDigest] = []
    for path in paths {
      let shown = displayPath(path, relativeTo: baseDirectory)
      guard seen.insert(shown).inserted else { continue }
      guard let data = FileManager.default.contents(atPath: path) else {
        throw ReportError("cannot read input file \(path) to hash it")
      }
      result.append(InputDigest(path: shown, bytes: data.count, sha256: ContentHash.sha256Hex(data)))
    }
    return result
  }

  /// `path` relative to `baseDirectory` when it lies inside it (after resolving "." and ".."
  /// and making both absolute), else `path` unchanged.
  public static func displayPath(_ path: String, relativeTo baseDirectory: String) -> String {
    let base = URL(fileURLWithPath: baseDirectory).standardizedFileURL.path
    let full = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: base, isDirectory: true))
      .standardizedFileURL.path
    let prefix = base.hasSuffix("/") ? base : base + "/"
    return full.hasPrefix(prefix) ? String(full.dropFirst(prefix.count)) : path
  }
}
