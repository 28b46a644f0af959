import Foundation

/// How one case ended, as the supervisor saw it.
public enum FuzzOutcome: String, Sendable, CaseIterable {
  /// Every command printed a clean result.
  case result
  /// At least one command refused the file with a clean one-line error, none failed.
  case error
  /// A command printed ∞/NaN or an absurd number, or an error that is not one clean line.
  case badOutput = "bad-output"
  /// The process died: a trap, a signal, an allocation failure, an unexpected exit.
  case crash
  /// The case ran past its time budget.
  case hang

  public var isFailure: Bool { self != .result && self != .error }
}

/// A failed case, with what is needed to reproduce it.
public struct FuzzFailure: Sendable {
  public let caseIndex: Int
  public let outcome: FuzzOutcome
  public let file: String
  public let mutations: [String]
  /// The command line that failed (nil when the process died before saying which).
  public let command: String?
  public let detail: String
  /// Source location of a trap, when the crash report names one (`Sources/X/Y.swift:123`).
  public let location: String?

  /// Groups failures that are one defect: the outcome and the trap's location, else the kind
  /// of problem and the first words of the error after its file and field (numbers blanked),
  /// else the command's name.
  public var signature: String {
    if let location { return "\(outcome.rawValue) · \(location)" }
    let parts = detail.components(separatedBy: ": ")
    var text = parts[0]
    if parts.count > 1 {
      // "<problem>: <file>: <field>: <reason>": keep the reason's first four words.
      let reason = parts.dropFirst().first { !$0.contains("/") && !$0.hasSuffix(".json") } ?? parts[1]
      let head = reason.prefix(while: { $0 != "(" }).trimmingCharacters(in: .whitespaces)
      text += ": " + head.split(separator: " ").prefix(5).joined(separator: " ")
    } else if let command {
      text += " (" + (command.split(separator: " ").dropFirst().first.map(String.init) ?? "") + ")"
    }
    return "\(outcome.rawValue) · " + String(text.map { $0.isNumber ? "#" : $0 })
  }
}

/// Tallies of a fuzzing run.
public struct FuzzSummary: Sendable {
  public var seed: UInt64
  public var start: Int
  public var requested: Int
  public var counts: [FuzzOutcome: Int] = [:]
  public var failures: [FuzzFailure] = []
  public var seconds: Double = 0

  public var completed: Int { counts.values.reduce(0, +) }
  /// Cases with at least one failure.
  public var failed: Int { Set(failures.map(\.caseIndex)).count }
  public func count(_ outcome: FuzzOutcome) -> Int { counts[outcome, default: 0] }

  /// The report printed at the end of `llmplan fuzz`.
  public func rendered(program: String = "llmplan") -> String {
    var lines: [String] = []
    let rate = seconds > 0 ? Double(completed) / seconds : 0
    lines.append(
      "fuzz: seed \(seed), cases \(start)..<\(start + requested): \(completed) run in "
        + String(format: "%.1f s (%.1f cases/s)", seconds, rate))
    lines.append(
      "  " + FuzzOutcome.allCases.map { "\($0.rawValue) \(count($0))" }.joined(separator: ", "))
    if failures.isEmpty {
      lines.append("  no crash, hang, non-finite output or raw error")
      return lines.joined(separator: "\n")
    }
    var groups: [String: [FuzzFailure]] = [:]
    for failure in failures { groups[failure.signature, default: []].append(failure) }
    lines.append("  \(failed) failing case(s), \(groups.count) distinct problem(s):")
    for (signature, members) in groups.sorted(by: { $0.value[0].caseIndex < $1.value[0].caseIndex }) {
      let first = members[0]
      var indices: [Int] = []
      for member in members where indices.last != member.caseIndex { indices.append(member.caseIndex) }
      let listed = indices.prefix(8).map(String.init).joined(separator: ", ") + (indices.count > 8 ? ", …" : "")
      lines.append("")
      lines.append("FAIL \(signature)  (\(indices.count) case(s): \(listed))")
      lines.append("  case \(first.caseIndex): \(first.file): \(first.mutations.joined(separator: "; "))")
      let commands = Set(members.compactMap(\.command)).sorted()
      for command in commands.prefix(3) { lines.append("  command: \(command)") }
      lines.append("  \(first.detail)")
      lines.append("  reproduce: \(program) fuzz --seed \(seed) --start \(first.caseIndex) --cases 1 --show")
    }
    return lines.joined(separator: "\n")
  }
}
