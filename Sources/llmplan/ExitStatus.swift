import ArgumentParser
import Foundation

/// LLMPlan's version, printed by `llmplan --version`. The one place it is written.
enum LLMPlanVersion {
  static let current = "0.11.0"
}

/// Every exit status `llmplan` returns, so that a CI pipeline can gate on the answer.
///
/// 64 is `EX_USAGE` of BSD's sysexits.h, which swift-argument-parser already returns for a
/// command line it cannot read (`ExitCode.validationFailure`); 1 is `EXIT_FAILURE`, which it
/// returns for any other error thrown by a command.
enum LLMPlanExit: Int32, CaseIterable, Sendable {
  /// The command did what was asked; `recommend` found a layout that meets the SLO.
  case success = 0
  /// An input could not be used: a missing or malformed file, a value out of range, a request
  /// longer than the model's context window, a refused calibration, a file not overwritten.
  case inputError = 1
  /// `recommend`: no layout within the GPU budget fits the model and a mean request in memory.
  case noFeasibleLayout = 3
  /// `recommend`: layouts fit, but none meets the SLO in simulation (the closest is reported).
  case noLayoutMeetsSLO = 4
  /// `scenarios run`: a reference scenario's checks failed.
  case checksFailed = 5
  /// The command line could not be read: unknown command or option, missing or malformed value.
  case usage = 64

  var exitCode: ExitCode { ExitCode(rawValue) }

  /// The statuses that report an answer rather than a failure to give one: the command printed
  /// its whole result, and the status says what the answer was.
  static let verdicts: Set<Int32> = [noFeasibleLayout.rawValue, noLayoutMeetsSLO.rawValue, checksFailed.rawValue]

  /// What swift-argument-parser returns for a command line it cannot read (`usage` must match).
  static let argumentParserValidationFailure = ExitCode.validationFailure.rawValue

  var meaning: String {
    switch self {
    case .success: return "success (recommend: a layout meets the SLO)"
    case .inputError: return "input error (a file or value cannot be used; nothing is overwritten)"
    case .noFeasibleLayout: return "recommend: no feasible layout (nothing fits in memory)"
    case .noLayoutMeetsSLO: return "recommend: no layout meets the SLO (the closest one is reported)"
    case .checksFailed: return "scenarios run: a reference check failed"
    case .usage: return "usage error (unknown command or option, missing or malformed value)"
    }
  }

  /// The "Exit status" paragraph of `llmplan --help`.
  static var helpText: String {
    "Exit status:\n"
      + allCases.map { "  \($0.rawValue)".padding(toLength: 6, withPad: " ", startingAt: 0) + $0.meaning }
      .joined(separator: "\n")
  }
}

/// "did you mean 'recommend'?" for a mistyped subcommand.
enum CommandSuggestion {
  /// The message for `arguments` (without the executable) when a word in subcommand position
  /// is neither an option nor a subcommand of `command`, else nil. A group with a default
  /// subcommand is not checked below its level (the word may be that subcommand's argument).
  static func unknownCommandMessage(_ arguments: [String], command: ParsableCommand.Type) -> String? {
    let subcommands = command.configuration.subcommands
    guard !subcommands.isEmpty else { return nil }
    let names = subcommands.map { $0._commandName }
    if let message = unknownCommandMessage(arguments, known: names) {
      let prefix = command == LLMPlan.self ? "" : "\(command._commandName) "
      return prefix.isEmpty
        ? message : message.replacingOccurrences(of: "unknown command '", with: "unknown command '\(prefix)")
    }
    guard let first = arguments.first, let next = subcommands.first(where: { $0._commandName == first }),
      next.configuration.defaultSubcommand == nil
    else { return nil }
    return unknownCommandMessage(Array(arguments.dropFirst()), command: next)
  }

  /// The message for `arguments` (without the executable) when their first word is neither an
  /// option nor one of `known`, else nil.
  static func unknownCommandMessage(_ arguments: [String], known: [String]) -> String? {
    guard let first = arguments.first, !first.hasPrefix("-"), first != "help", !known.contains(first) else {
      return nil
    }
    let list = known.joined(separator: ", ")
    if let nearest = nearest(to: first, in: known) {
      return "unknown command '\(first)'; did you mean '\(nearest)'? (commands: \(list))"
    }
    return "unknown command '\(first)' (commands: \(list))"
  }

  /// The known word closest in edit distance, if it is close enough to be a typo: at most a
  /// third of the word's letters (and at least 1, at most 3) away.
  static func nearest(to word: String, in known: [String]) -> String? {
    let lowered = word.lowercased()
    let scored = known.map { ($0, editDistance(lowered, $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    let allowed = min(3, max(1, lowered.count / 3))
    return best.1 <= allowed ? best.0 : nil
  }

  /// Levenshtein distance (insertions, deletions, substitutions), O(|a|·|b|).
  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      swap(&previous, &current)
    }
    return previous[b.count]
  }
}
