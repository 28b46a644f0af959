import Foundation
import PlanCore

/// How a check prints its numbers.
public enum ValueFormat: Sendable, Hashable {
  /// A ratio, "1.71×".
  case times
  /// Seconds with an SI prefix, "70.6 ms".
  case seconds
  /// A fraction as a percentage, "97.3 %".
  case percent
  /// A plain number with a unit after it, three significant digits: "598 tok/s".
  case number(String)
  /// Bytes with a decimal prefix, "26.0 GB".
  case bytes

  public func format(_ value: Double) -> String {
    guard value.isFinite else { return value.isNaN ? "n/a" : (value > 0 ? "∞" : "−∞") }
    switch self {
    case .times: return String(format: "%.2f×", value)
    case .seconds: return Units.formatSeconds(value)
    case .percent: return String(format: "%.1f %%", 100 * value)
    case .number(let unit):
      // Whole numbers (counts) print as integers: "16 requests", not "16.0 requests".
      let text = value.rounded() == value && abs(value) < 1e9 ? String(Int(value)) : Units.threeSignificant(value)
      return unit.isEmpty ? text : text + " " + unit
    case .bytes: return Units.formatBytes(value)
    }
  }

  var unitName: String {
    switch self {
    case .times: return "×"
    case .seconds: return "s"
    case .percent: return "fraction"
    case .number(let unit): return unit
    case .bytes: return "B"
    }
  }
}

/// Collects a scenario's check rows, headline figures and notes as it runs.
struct CheckRecorder {
  var checks: [ScenarioCheck] = []
  var figures: [ScenarioFigure] = []
  var notes: [String] = []

  mutating func record(
    _ name: String, expected: String, got: String, passed: Bool, source: CheckSource, _ derivation: String
  ) {
    checks.append(
      ScenarioCheck(name: name, expected: expected, got: got, passed: passed, source: source, derivation: derivation))
  }

  /// got ≥ bound.
  mutating func atLeast(
    _ name: String, _ got: Double, _ bound: Double, _ format: ValueFormat, source: CheckSource, _ derivation: String
  ) {
    record(
      name, expected: "≥ " + format.format(bound), got: format.format(got), passed: got.isFinite && got >= bound,
      source: source, derivation)
  }

  /// got > bound.
  mutating func above(
    _ name: String, _ got: Double, _ bound: Double, _ format: ValueFormat, source: CheckSource, _ derivation: String
  ) {
    record(
      name, expected: "> " + format.format(bound), got: format.format(got), passed: got.isFinite && got > bound,
      source: source, derivation)
  }

  /// got ≤ bound.
  mutating func atMost(
    _ name: String, _ got: Double, _ bound: Double, _ format: ValueFormat, source: CheckSource, _ derivation: String
  ) {
    record(
      name, expected: "≤ " + format.format(bound), got: format.format(got), passed: got.isFinite && got <= bound,
      source: source, derivation)
  }

  /// got < bound.
  mutating func below(
    _ name: String, _ got: Double, _ bound: Double, _ format: ValueFormat, source: CheckSource, _ derivation: String
  ) {
    record(
      name, expected: "< " + format.format(bound), got: format.format(got), passed: got.isFinite && got < bound,
      source: source, derivation)
  }

  /// low ≤ got ≤ high.
  mutating func between(
    _ name: String, _ got: Double, _ low: Double, _ high: Double, _ format: ValueFormat, source: CheckSource,
    _ derivation: String
  ) {
    record(
      name, expected: format.format(low) + " … " + format.format(high), got: format.format(got),
      passed: got.isFinite && got >= low && got <= high, source: source, derivation)
  }

  /// |got − reference| ≤ tolerance · |reference|.
  mutating func within(
    _ name: String, _ got: Double, relative tolerance: Double, of reference: Double, _ format: ValueFormat,
    source: CheckSource, _ derivation: String
  ) {
    let passed = got.isFinite && reference.isFinite && abs(got - reference) <= tolerance * abs(reference)
    record(
      name, expected: "\(format.format(reference)) ± \(Units.threeSignificant(100 * tolerance)) %",
      got: format.format(got), passed: passed, source: source, derivation)
  }

  /// |got − reference| ≤ tolerance (same unit as the values).
  mutating func within(
    _ name: String, _ got: Double, absolute tolerance: Double, of reference: Double, _ format: ValueFormat,
    source: CheckSource, _ derivation: String
  ) {
    let passed = got.isFinite && reference.isFinite && abs(got - reference) <= tolerance
    record(
      name, expected: format.format(reference) + " ± " + format.format(tolerance), got: format.format(got),
      passed: passed, source: source, derivation)
  }

  /// A yes/no fact.
  mutating func holds(
    _ name: String, _ condition: Bool, expected: String, got: String, source: CheckSource, _ derivation: String
  ) {
    record(name, expected: expected, got: got, passed: condition, source: source, derivation)
  }

  mutating func figure(_ name: String, _ value: Double, _ format: ValueFormat, source: CheckSource) {
    figures.append(ScenarioFigure(name: name, value: value, unit: format.unitName, source: source))
  }

  mutating func note(_ text: String) { notes.append(text) }

  func report(
    scenario: String, title: String, size: ScenarioSize, started: Date
  ) -> ScenarioReport {
    ScenarioReport(
      scenario: scenario, title: title, size: size, seeds: size.seeds, checks: checks, figures: figures, notes: notes,
      wallSeconds: Date().timeIntervalSince(started))
  }
}
