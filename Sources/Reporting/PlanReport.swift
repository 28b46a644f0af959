import Foundation
import Planner

/// A plan with its provenance: what the report renders, in Markdown or JSON.
public struct PlanReport: Sendable, Hashable, Codable {
  /// The command that produced it (as typed, for "regenerate with").
  public var command: String
  /// Input files with their SHA-256 (scenario file, catalog files, trace).
  public var inputs: [InputDigest]
  public var plan: PlanResult

  public init(command: String, inputs: [InputDigest], plan: PlanResult) {
    self.command = command
    self.inputs = inputs
    self.plan = plan
  }

  /// Hashes `inputFiles` (paths shown relative to `baseDirectory`).
  public init(plan: PlanResult, inputFiles: [String], baseDirectory: String, command: String) throws {
    self.init(
      command: command, inputs: try InputProvenance.digests(inputFiles, relativeTo: baseDirectory), plan: plan)
  }

  public func json() throws -> String { try ReportJSON.string(self) }
}

/// Shell-quotes arguments for the "regenerate with" line: plain words stay as they are.
public enum CommandLineText {
  public static func join(_ arguments: [String]) -> String {
    arguments.map { argument in
      let safe = argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=,@%+".contains($0) }
      return safe && !argument.isEmpty ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }.joined(separator: " ")
  }
}
