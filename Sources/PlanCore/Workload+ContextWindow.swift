import Foundation

/// Where a workload's request lengths were written, so that a context-window error can name
/// the flag or the field the user has to change.
public enum LengthSource: Sendable, Hashable {
  /// Command-line flags: `--prompt`/`--output`, or `--profile NAME:WEIGHT:PROMPT:OUTPUT`.
  case flags
  /// A scenario file (its path): `workload.prompt`/`workload.output` or `workload.profiles`.
  case scenarioFile(String)
}

/// A request longer than the model can attend over: prompt + output tokens above the model's
/// `max_position_embeddings`. Serving engines refuse such requests (vLLM: "This model's maximum
/// context length is N tokens"), so a plan that counts them as served would be wrong.
public struct ContextWindowError: Error, CustomStringConvertible, Sendable, Hashable {
  /// The flag or field to change, e.g. `--prompt 8000 + --output 100`.
  public var field: String
  /// Longest prompt + output the workload can produce, tokens.
  public var tokens: Int
  /// The model's context window, tokens.
  public var limitTokens: Int
  public var model: String
  /// For a trace: how many of its requests exceed the window (nil for a distribution).
  public var exceedingRequests: Int?
  public var totalRequests: Int?

  public var description: String {
    var text =
      "\(field) = \(tokens) tokens exceeds the context window of \(model) "
      + "(\(limitTokens) tokens, max_position_embeddings)"
    if let exceedingRequests, let totalRequests {
      text += "; \(exceedingRequests) of \(totalRequests) trace requests are longer"
    }
    return text + ": shorten the requests or choose a model with a longer context"
  }
}

/// Prompt + output, saturating instead of trapping (a flag can be any `Int`).
private func sequenceTokens(_ prompt: Int, _ output: Int) -> Int {
  let (sum, overflow) = prompt.addingReportingOverflow(output)
  return overflow ? Int.max : sum
}

extension ModelSpec {
  /// Throws `ContextWindowError` when one request of `promptTokens` + `outputTokens` is longer
  /// than the model's context window. `promptField` and `outputField` name where the two
  /// numbers came from (e.g. `--prompt`, `--output`).
  public func checkContextWindow(
    promptTokens: Int, outputTokens: Int, promptField: String = "prompt", outputField: String = "output"
  ) throws {
    let tokens = sequenceTokens(promptTokens, outputTokens)
    guard tokens > maxPositionEmbeddings else { return }
    throw ContextWindowError(
      field: "\(promptField) \(promptTokens) + \(outputField) \(outputTokens)", tokens: tokens,
      limitTokens: maxPositionEmbeddings, model: name)
  }
}

extension Workload {
  /// Refuses a workload any of whose requests can be longer than `model`'s context window.
  ///
  /// The rule is the same for one request shape and for mixes: a client profile whose longest
  /// prompt plus longest output exceeds the window is refused (its distributions can draw such
  /// a request), and so is a trace with any such request. Refusing rather than counting them as
  /// rejected keeps every success rate LLMPlan prints about requests the model can take; the
  /// error says which profile or how many trace requests to change.
  ///
  /// - Parameters:
  ///   - source: where the lengths were written, for the message.
  ///   - tracePath: the trace file the requests came from, if any.
  /// - Throws: `ContextWindowError`.
  public func checkContextWindow(model: ModelSpec, source: LengthSource, tracePath: String? = nil) throws {
    let limit = model.maxPositionEmbeddings
    if let trace, !trace.isEmpty {
      let lengths = trace.map { sequenceTokens($0.promptTokens, $0.outputTokens) }
      let exceeding = lengths.filter { $0 > limit }.count
      guard exceeding > 0, let longest = lengths.max(), let index = lengths.firstIndex(where: { $0 > limit })
      else { return }
      let file = tracePath.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "trace"
      let first = trace[index]
      throw ContextWindowError(
        field:
          "\(file): request \(index + 1) (arrival \(Units.formatSeconds(first.arrivalSeconds))) has prompt "
          + "\(first.promptTokens) + output \(first.outputTokens) tokens; the longest",
        tokens: longest, limitTokens: limit, model: model.name, exceedingRequests: exceeding,
        totalRequests: trace.count)
    }
    for (index, profile) in profiles.enumerated() {
      let tokens = sequenceTokens(profile.prompt.maximum, profile.output.maximum)
      guard tokens > limit else { continue }
      let longest = "longest prompt \(profile.prompt.maximum) + longest output \(profile.output.maximum)"
      let field: String
      switch source {
      case .flags where profiles.count == 1 && profile.name == "default":
        field = "--prompt \(profile.prompt) + --output \(profile.output)"
      case .flags:
        field = "--profile \(profile.name): \(longest)"
      case .scenarioFile(let path) where profiles.count == 1 && profile.name == "default":
        field = "\(path): workload.prompt + workload.output: \(longest)"
      case .scenarioFile(let path):
        field = "\(path): workload.profiles[\(index)] (\(profile.name)): \(longest)"
      }
      throw ContextWindowError(field: field, tokens: tokens, limitTokens: limit, model: model.name)
    }
  }
}
