import Foundation
import Testing

/// Runs the built `llmplan` executable as a user would: in a scratch working directory (so
/// reports land there, not in the repository), with the repository's catalog.
struct CLIRunner {
  struct Run {
    var status: Int32
    var stdout: String
    var stderr: String

    /// stdout decoded as a JSON object.
    func object() throws -> [String: Any] {
      try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any], "stdout: \(stdout)")
    }

    /// stdout decoded as a JSON array.
    func array() throws -> [Any] {
      try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [Any], "stdout: \(stdout)")
    }

    /// The error lines on stderr (one per error; a usage error adds its usage lines after it).
    var errorLine: String { stderr.split(separator: "\n").first { $0.hasPrefix("Error:") }.map(String.init) ?? "" }
  }

  static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let catalog = packageRoot.appendingPathComponent("Models").path

  /// The `llmplan` built beside the test bundle (`.build/<configuration>/llmplan`).
  static var executable: URL {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("llmplan")
    if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
    return packageRoot.appendingPathComponent(".build/debug/llmplan")
  }

  /// A fresh empty directory.
  static func scratch() throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("llmplan-e2e-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
  }

  /// Runs `llmplan arguments…` in `directory` (default: a fresh scratch directory).
  static func run(_ arguments: [String], in directory: URL? = nil) throws -> Run {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = try directory ?? scratch()
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes to the end before waiting, so a large output cannot block the child.
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async {
      errData = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return Run(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }
}
