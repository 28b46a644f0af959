import ArgumentParser
import Foundation
import PlanCore

/// Readers and checks of the workload, SLO and engine flags that `simulate`, `recommend`,
/// `validate` and `estimate` share. Every check runs in `validate()` of the option group,
/// before anything is loaded, so a malformed value is a usage error (exit 64) whether or not
/// the flag would have been used, and the message says what is allowed.
enum FlagCheck {
  /// A positive number, and inside `range` when one is given (e.g. `Plausibility.rate`).
  static func positive(_ value: Double?, _ flag: String, unit: String = "", range: PlausibleRange? = nil) throws {
    guard let value else { return }
    guard value.isFinite, value > 0 else {
      throw ValidationError(
        "\(flag) must be a positive\(unit.isEmpty ? " number" : " number of \(unit)"), got \(value)")
    }
    if let range, !range.contains(value) {
      throw ValidationError("\(flag): \(value) is outside the plausible range of \(range.quantity), \(range)")
    }
  }

  static func atLeast(_ value: Int?, _ minimum: Int, _ flag: String) throws {
    guard let value else { return }
    guard value >= minimum else { throw ValidationError("\(flag) must be at least \(minimum), got \(value)") }
  }

  static func fraction(_ value: Double?, _ flag: String) throws {
    guard let value else { return }
    guard value.isFinite, value > 0, value <= 1 else {
      throw ValidationError("\(flag) must be a fraction in (0, 1], got \(value)")
    }
  }

  /// Parses a duration flag ("2 s", "500 ms"); positive unless `zeroAllowed`, and inside
  /// `range` (the plausibility table of docs/FILE-FORMATS.md: simulated spans by default,
  /// `Plausibility.sloTime` for latency objectives).
  static func seconds(
    _ text: String?, _ flag: String, zeroAllowed: Bool = false, range: PlausibleRange = Plausibility.runTime
  ) throws -> Double? {
    guard let text else { return nil }
    let value: Double
    do { value = try Units.seconds(text) } catch { throw ValidationError("\(flag): \(UserFacingError.oneLine(error))") }
    guard value.isFinite, zeroAllowed ? value >= 0 : value > 0 else {
      throw ValidationError("\(flag) must be \(zeroAllowed ? "zero or positive" : "positive"), got \"\(text)\"")
    }
    guard value == 0 || range.contains(value) else {
      throw ValidationError("\(flag): \"\(text)\" is outside the plausible range of \(range.quantity), \(range)")
    }
    return value
  }

  static func length(_ text: String?, _ flag: String) throws -> LengthDistribution? {
    guard let text else { return nil }
    do { return try LengthDistribution.parse(text, option: flag) } catch {
      throw ValidationError(UserFacingError.oneLine(error))
    }
  }

  /// `--profile NAME:WEIGHT:PROMPT:OUTPUT`, e.g. `chat:3:100-400:200-800`.
  static func profiles(_ texts: [String]) throws -> [ClientProfile] {
    try texts.map { text in
      let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
      guard parts.count == 4, !parts[0].isEmpty, let weight = Double(parts[1]), weight > 0, weight.isFinite else {
        throw ValidationError(
          "--profile \"\(text)\": expected NAME:WEIGHT:PROMPT:OUTPUT with a positive WEIGHT, e.g. chat:3:100-400:200-800"
        )
      }
      return ClientProfile(
        name: parts[0], weight: weight, prompt: try length(parts[2], "--profile \(parts[0]) prompt")!,
        output: try length(parts[3], "--profile \(parts[0]) output")!)
    }
  }

  /// `--arrival poisson | constant | gamma:CV`.
  static func arrival(_ text: String?) throws -> ArrivalProcess? {
    guard let text else { return nil }
    switch text.lowercased() {
    case "poisson": return .poisson
    case "constant": return .constant
    case let t where t.hasPrefix("gamma:"):
      // The same range as a scenario file's arrival CV (Plausibility.arrivalCV): beyond it
      // the sampler cannot represent the burstiness (see there).
      guard let cv = Double(t.dropFirst(6)), Plausibility.arrivalCV.contains(cv) else {
        throw ValidationError(
          "--arrival gamma:CV needs a coefficient of variation in \(Plausibility.arrivalCV), got \"\(text)\"")
      }
      return .gamma(coefficientOfVariation: cv)
    default: throw ValidationError("--arrival must be poisson, constant or gamma:CV, got \"\(text)\"")
    }
  }

  /// `--kv-dtype fp16 | bf16 | fp8`: the KV cache's precision (vLLM `--kv-cache-dtype`).
  static func kvDType(_ text: String?) throws -> DType? {
    guard let text else { return nil }
    guard let dtype = DType.kvCache(text) else {
      throw ValidationError("--kv-dtype must be one of \(DType.kvCacheNames), got \"\(text)\"")
    }
    return dtype
  }

  /// Help of `--kv-dtype`, shared by every command that predicts.
  static let kvDTypeHelp = ArgumentHelp(
    "KV-cache precision: fp16, bf16 or fp8 (vLLM --kv-cache-dtype; default: the model's dtype). fp8 halves KV "
      + "bytes per token and is a storage format, allowed on any GPU (vLLM stores fp8 KV on A100 too). "
      + "recommend also takes auto: plan with the model's dtype and with fp8.")

  /// `--kv-dtype auto | fp16 | bf16 | fp8` of `recommend` (auto: the planner tries both).
  static func kvChoice(_ text: String?) throws -> KVPrecisionChoice? {
    guard let text else { return nil }
    do { return try KVPrecisionChoice.parse(text, field: "--kv-dtype") } catch {
      throw ValidationError(UserFacingError.oneLine(error))
    }
  }

  /// `--weight-dtype`: a `WeightQuantization.parse` spelling, or `auto` only where the command
  /// searches (`recommend`).
  static func weightChoice(_ text: String?, searchAllowed: Bool) throws -> WeightPrecisionChoice? {
    guard let text else { return nil }
    let choice: WeightPrecisionChoice
    do { choice = try WeightPrecisionChoice.parse(text, field: "--weight-dtype") } catch {
      throw ValidationError(UserFacingError.oneLine(error))
    }
    if choice == .search, !searchAllowed {
      throw ValidationError(
        "--weight-dtype auto searches precisions, which recommend does; give one of "
          + WeightQuantization.precisionNames)
    }
    return choice
  }

  /// Help of `--weight-dtype`.
  static func weightDTypeHelp(search: Bool) -> ArgumentHelp {
    ArgumentHelp(
      "Weight precision: bf16, fp16, fp8 (w8a8, GPUs with fp8 tensor cores), fp8-b128 (block scales), int8 (w8a8, "
        + "vLLM int8 W8A8: GPUs with an int8 peak), int4/awq or gptq (int4 weight-only, groups of 128), int4-gN or "
        + "int8-gN (weight-only, groups of N), int4-channel or int8-channel"
        + (search ? ", or auto (plan with the checkpoint's own, fp8 and int4-g128)" : "")
        + ". Default: the checkpoint's own.")
  }

  static func router(_ text: String?) throws -> RouterPolicy? {
    guard let text else { return nil }
    guard let policy = RouterPolicy(cliName: text) else {
      throw ValidationError("--router must be round-robin, least-outstanding or least-kv, got \"\(text)\"")
    }
    return policy
  }
}
