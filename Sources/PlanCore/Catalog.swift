import Foundation

/// The data files under `Models/` (`llm/`, `gpus/`, `clusters/`, `engines/`), loaded and validated.
///
/// Names resolve to `<root>/<kind>/<name>.json`; a value that is a path to an existing file
/// (contains "/" or ends in ".json") is read from there instead, so users can point at their
/// own `config.json`.
public struct Catalog: Sendable {
  public let root: String

  public init(root: String) { self.root = root }

  /// Finds the catalog: an explicit directory, else `$LLMPLAN_CATALOG`, else `./Models`, else
  /// `Models/` beside the package that built the executable.
  public static func locate(explicit: String? = nil) throws -> Catalog {
    let fileManager = FileManager.default
    if let explicit {
      var isDirectory: ObjCBool = false
      guard fileManager.fileExists(atPath: explicit, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw CatalogError(file: explicit, field: "", reason: "catalog directory not found")
      }
      return Catalog(root: explicit)
    }
    if let fromEnvironment = ProcessInfo.processInfo.environment["LLMPLAN_CATALOG"], !fromEnvironment.isEmpty {
      return try locate(explicit: fromEnvironment)
    }
    var candidates = [fileManager.currentDirectoryPath + "/Models"]
    // <package>/.build/<config>/llmplan → <package>/Models
    var url = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
    for _ in 0..<5 {
      url.deleteLastPathComponent()
      candidates.append(url.path + "/Models")
    }
    // Source location of this file: <package>/Sources/PlanCore/Catalog.swift
    candidates.append(
      URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path + "/Models")
    for candidate in candidates where fileManager.fileExists(atPath: candidate + "/llm") {
      return Catalog(root: candidate)
    }
    throw CatalogError(
      file: "Models", field: "", reason: "catalog not found; run from the repository root or pass --catalog DIR")
  }

  public enum Kind: String, Sendable, CaseIterable {
    case model = "llm"
    case gpu = "gpus"
    case cluster = "clusters"
    case engine = "engines"
  }

  /// Whether `resolve` reads `nameOrPath` as a file path (it contains "/" or ends in ".json")
  /// rather than as a catalog name.
  public static func isFilePath(_ nameOrPath: String) -> Bool {
    nameOrPath.contains("/") || nameOrPath.hasSuffix(".json")
  }

  /// The file a name or path refers to, and the catalog name to give it.
  public func resolve(_ nameOrPath: String, kind: Kind) throws -> (path: String, name: String) {
    let fileManager = FileManager.default
    if Self.isFilePath(nameOrPath) {
      guard fileManager.fileExists(atPath: nameOrPath) else {
        throw CatalogError(file: nameOrPath, field: "", reason: "file not found")
      }
      var stem = URL(fileURLWithPath: nameOrPath).deletingPathExtension().lastPathComponent
      if stem == "config" {  // a HuggingFace checkout: name it after its folder
        stem = URL(fileURLWithPath: nameOrPath).deletingLastPathComponent().lastPathComponent
      }
      return (nameOrPath, stem)
    }
    let path = "\(root)/\(kind.rawValue)/\(nameOrPath).json"
    guard fileManager.fileExists(atPath: path) else {
      let known = names(kind).joined(separator: ", ")
      throw CatalogError(file: path, field: "", reason: "no \(kind) named \"\(nameOrPath)\" (known: \(known))")
    }
    return (path, nameOrPath)
  }

  /// Catalog names of one kind, sorted.
  public func names(_ kind: Kind) -> [String] {
    let directory = "\(root)/\(kind.rawValue)"
    let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
  }

  public func model(_ nameOrPath: String) throws -> ModelSpec {
    let (path, name) = try resolve(nameOrPath, kind: .model)
    return try ModelSpec.load(from: DataFile.read(path), name: name)
  }

  public func gpu(_ nameOrPath: String) throws -> GPUSpec {
    let (path, name) = try resolve(nameOrPath, kind: .gpu)
    return try GPUSpec.load(from: DataFile.read(path), name: name)
  }

  public func cluster(_ nameOrPath: String) throws -> Cluster {
    let (path, name) = try resolve(nameOrPath, kind: .cluster)
    return try Cluster.load(from: DataFile.read(path), name: name)
  }

  /// An engine profile (`engines/<name>.json`, or a path to one).
  public func engine(_ nameOrPath: String) throws -> EngineProfile {
    let (path, name) = try resolve(nameOrPath, kind: .engine)
    return try EngineProfile.load(from: DataFile.read(path), name: name)
  }

  /// The profile `name` names, else the default profile (`EngineProfile.defaultName`); nil
  /// when no name is given and the catalog has no default profile (an old or partial catalog).
  public func engineProfile(named name: String?) throws -> EngineProfile? {
    if let name { return try engine(name) }
    let defaultPath = "\(root)/\(Kind.engine.rawValue)/\(EngineProfile.defaultName).json"
    guard FileManager.default.fileExists(atPath: defaultPath) else { return nil }
    return try engine(EngineProfile.defaultName)
  }

  public func allModels() throws -> [ModelSpec] { try names(.model).map(model) }
  public func allGPUs() throws -> [GPUSpec] { try names(.gpu).map(gpu) }
  public func allClusters() throws -> [Cluster] { try names(.cluster).map(cluster) }
  public func allEngines() throws -> [EngineProfile] { try names(.engine).map(engine) }
}
