import Foundation

/// The files the fuzzer mutates: the shipped catalog (`Models/llm`, `Models/gpus`,
/// `Models/clusters`) and the scenario files (`Reports/examples/*.yaml`,
/// `Reports/scenarios/*.yaml`).
public struct FuzzCorpus: Sendable {
  public enum Kind: String, Sendable, CaseIterable {
    case model, gpu, cluster, scenario

    /// The catalog sub-folder of a catalog kind.
    public var catalogFolder: String? {
      switch self {
      case .model: return "llm"
      case .gpu: return "gpus"
      case .cluster: return "clusters"
      case .scenario: return nil
      }
    }
  }

  public struct File: Sendable, Hashable {
    public let kind: Kind
    /// Path relative to the repository root, e.g. `Models/gpus/a100-40gb-sxm.json`.
    public let relativePath: String
    /// File name without extension: the catalog name of a catalog file.
    public let stem: String
    /// The text the mutations start from (scenarios: with short simulated windows, see
    /// `shortenWindows`).
    public let text: String

    public var fileName: String { URL(fileURLWithPath: relativePath).lastPathComponent }
    public var isYAML: Bool { relativePath.hasSuffix(".yaml") || relativePath.hasSuffix(".yml") }
  }

  public let root: String
  /// Sorted by path, so a case index picks the same file on every machine.
  public let files: [File]

  public init(root: String) throws {
    self.root = root
    let fileManager = FileManager.default
    var files: [File] = []
    func add(_ folder: String, kind: Kind, extensions: [String]) throws {
      let directory = root + "/" + folder
      let names = (try? fileManager.contentsOfDirectory(atPath: directory)) ?? []
      for name in names.sorted() where extensions.contains(where: { name.hasSuffix($0) }) {
        let relative = folder + "/" + name
        guard let data = fileManager.contents(atPath: root + "/" + relative) else { continue }
        let text = String(decoding: data, as: UTF8.self)
        let stem = String(name[..<(name.lastIndex(of: ".") ?? name.endIndex)])
        files.append(
          File(
            kind: kind, relativePath: relative, stem: stem,
            text: kind == .scenario ? Self.shortenWindows(text) : text))
      }
    }
    try add("Models/llm", kind: .model, extensions: [".json"])
    try add("Models/gpus", kind: .gpu, extensions: [".json"])
    try add("Models/clusters", kind: .cluster, extensions: [".json"])
    try add("Reports/examples", kind: .scenario, extensions: [".yaml", ".yml"])
    try add("Reports/scenarios", kind: .scenario, extensions: [".yaml", ".yml"])
    guard files.contains(where: { $0.kind == .model }), files.contains(where: { $0.kind == .scenario }) else {
      throw FuzzError("no catalog or scenario files under \(root) (expected Models/ and Reports/)")
    }
    self.files = files
  }

  /// The simulated windows the fuzzer runs a scenario with: 10 s of arrivals (2 s warm-up),
  /// 10 s of drain. The shipped examples simulate minutes, which would make a case cost
  /// seconds; a mutation can still write any window back in (that is the point of the
  /// "extreme numbers" mutations), but an unmutated case stays cheap.
  static let windows = ["duration": "10 s", "warmup": "2 s", "drain": "10 s"]

  /// Rewrites top-level `duration:`, `warmup:` and `drain:` lines (YAML block style) to the
  /// fuzzer's short windows, keeping everything else byte for byte.
  public static func shortenWindows(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
      for (key, value) in windows.sorted(by: { $0.key < $1.key }) where line.hasPrefix(key + ":") {
        return key + ": " + value
      }
      return String(line)
    }.joined(separator: "\n")
  }
}

/// A fuzzer set-up problem (not a finding): missing corpus, bad arguments.
public struct FuzzError: Error, CustomStringConvertible, Sendable {
  public let description: String
  public init(_ description: String) { self.description = description }
}
