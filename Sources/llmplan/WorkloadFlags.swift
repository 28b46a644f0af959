import ArgumentParser
import Foundation
import PlanCore

/// Readers and checks of the workload, SLO and engine flags that `simulate`, `recommend`,
/// `validate` and `estimate` share. Every check runs in `validate()` of the option group,
/// before anything is loaded, so a malformed value is a usage error (exit 64) whether or not
/// the flag would have been used, and the message says what is allowed.
enum FlagCheck {
  static func positive(_ value: Double?, _ flag: String, unit: String = "") throws {
    guard let value else { return }
    guard value.isFinite, value > 0 else {
      throw ValidationError(
        "\(flag) must be a positive\(unit.isEmpty ? " number" : " number of \(unit)"), got \(value)")
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

  /// Parses a duration flag ("2 s", "500 ms"); positive unless `zeroAllowed`.
  static func seconds(_ text: String?, _ flag: String, zeroAllowed: Bool = false) throws -> Double? {
    guard let text else { return nil }
    let value: Double
    do { value = try Units.seconds(text) } catch { throw ValidationError("\(flag): \(UserFacingError.oneLine(error))") }
    guard value.isFinite, zeroAllowed ? value >= 0 : value > 0 else {
      throw ValidationError("\(flag) must be \(zeroAllowed ? "zero or positive" : "positive"), got \"\(text)\"")
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

  /// Gamma arrivals with a CV above this are refused. A Gamma renewal process of coefficient
  /// of variation c has shape k = 1/c²: almost every gap is near zero and about one in 1/k is
  /// long, so arrivals come in bursts of ~c² requests at one instant (CV 10⁹ would ask the
  /// simulator for ~10¹⁸). CV 100 — bursts of ~10⁴ requests — bounds the memory and time.
  static let maximumArrivalCV = 100.0

  /// `--arrival poisson | constant | gamma:CV`.
  static func arrival(_ text: String?) throws -> ArrivalProcess? {
    guard let text else { return nil }
    switch text.lowercased() {
    case "poisson": return .poisson
    case "constant": return .constant
    case let t where t.hasPrefix("gamma:"):
      guard let cv = Double(t.dropFirst(6)), cv > 0, cv <= maximumArrivalCV else {
        throw ValidationError(
          "--arrival gamma:CV needs a coefficient of variation in (0, \(Int(maximumArrivalCV))], got \"\(text)\"")
      }
      return .gamma(coefficientOfVariation: cv)
    default: throw ValidationError("--arrival must be poisson, constant or gamma:CV, got \"\(text)\"")
    }
  }

  static func router(_ text: String?) throws -> RouterPolicy? {
    guard let text else { return nil }
    guard let policy = RouterPolicy(cliName: text) else {
      throw ValidationError("--router must be round-robin, least-outstanding or least-kv, got \"\(text)\"")
    }
    return policy
  }
}
