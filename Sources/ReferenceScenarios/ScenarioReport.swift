import Foundation
import PlanCore

/// How big a reference run is: the quick size runs in the default `swift test`; the thorough
/// size (`LLMPLAN_THOROUGH=1`) simulates several times longer, over more seeds.
public enum ScenarioSize: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
  case quick, thorough

  /// `.thorough` when the environment variable `LLMPLAN_THOROUGH` is set to anything but
  /// "", "0" or "false"; otherwise `.quick`.
  public static func fromEnvironment(
    _ environment: [String: String] = ProcessInfo.processInfo.environment
  )
    -> ScenarioSize
  {
    guard let value = environment["LLMPLAN_THOROUGH"]?.lowercased(), !value.isEmpty, value != "0", value != "false"
    else { return .quick }
    return .thorough
  }

  /// Seeds of the simulated runs; figures are averaged over them and every seed must keep the
  /// accounting invariants.
  public var seeds: [UInt64] {
    switch self {
    case .quick: return [1]
    case .thorough: return [1, 2, 3]
    }
  }

  /// `quick` in the quick size, `thorough` in the thorough one (e.g. measured requests per run).
  public func pick<T>(quick: T, thorough: T) -> T { self == .quick ? quick : thorough }

  public var description: String { rawValue }
}

/// Which half of LLMPlan a check's number comes from.
public enum CheckSource: String, Sendable, Codable {
  /// The analytic model (cost, communication, memory and load models).
  case analytic
  /// The discrete-event simulator.
  case simulated
  /// A comparison of the analytic and the simulated number.
  case both
}

/// One row of a scenario's check table: what physics or a closed form expects, what the model
/// or simulator gave, and whether it holds.
public struct ScenarioCheck: Sendable, Codable, Hashable {
  public var name: String
  /// The expectation as text, e.g. "≥ 1.50×" or "within 15 % of 0.912".
  public var expected: String
  /// The measured or predicted value with its unit, e.g. "1.71×".
  public var got: String
  public var passed: Bool
  public var source: CheckSource
  /// Where the expectation comes from (the formula, the physical reason, the source).
  public var derivation: String

  public init(name: String, expected: String, got: String, passed: Bool, source: CheckSource, derivation: String) {
    self.name = name
    self.expected = expected
    self.got = got
    self.passed = passed
    self.source = source
    self.derivation = derivation
  }
}

/// A headline number of a scenario (e.g. TTFT at TP=2), for the closing summary.
public struct ScenarioFigure: Sendable, Codable, Hashable {
  public var name: String
  public var value: Double
  public var unit: String
  public var source: CheckSource

  public init(name: String, value: Double, unit: String, source: CheckSource) {
    self.name = name
    self.value = value
    self.unit = unit
    self.source = source
  }

  enum CodingKeys: String, CodingKey { case name, value, unit, source }

  /// A value that does not exist (NaN, ±∞: e.g. a latency of a run that completed nothing) is
  /// written as null, never as an invalid JSON number.
  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(name, forKey: .name)
    try c.encode(value.isFinite ? value : nil, forKey: .value)
    try c.encode(unit, forKey: .unit)
    try c.encode(source, forKey: .source)
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    name = try c.decode(String.self, forKey: .name)
    value = try c.decodeIfPresent(Double.self, forKey: .value) ?? .nan
    unit = try c.decode(String.self, forKey: .unit)
    source = try c.decode(CheckSource.self, forKey: .source)
  }
}

/// What one scenario run found.
public struct ScenarioReport: Sendable, Codable {
  public var scenario: String
  public var title: String
  public var size: ScenarioSize
  public var seeds: [UInt64]
  public var checks: [ScenarioCheck]
  public var figures: [ScenarioFigure]
  /// Physical explanations that go with the figures (e.g. why a rate was chosen).
  public var notes: [String]
  /// Wall-clock time of the run, seconds. Not part of the JSON or the table, which depend
  /// only on the inputs and seeds (byte-identical between runs).
  public var wallSeconds: Double

  public init(
    scenario: String, title: String, size: ScenarioSize, seeds: [UInt64], checks: [ScenarioCheck],
    figures: [ScenarioFigure], notes: [String], wallSeconds: Double
  ) {
    self.scenario = scenario
    self.title = title
    self.size = size
    self.seeds = seeds
    self.checks = checks
    self.figures = figures
    self.notes = notes
    self.wallSeconds = wallSeconds
  }

  /// Every check holds.
  public var passed: Bool { checks.allSatisfy(\.passed) }
  public var failedChecks: [ScenarioCheck] { checks.filter { !$0.passed } }

  enum CodingKeys: String, CodingKey {
    case scenario, title, size, seeds, passed, checks, figures, notes
  }

  // Explicit so that `passed` is written too (and stays in a stable place).
  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(scenario, forKey: .scenario)
    try c.encode(title, forKey: .title)
    try c.encode(size, forKey: .size)
    try c.encode(seeds, forKey: .seeds)
    try c.encode(passed, forKey: .passed)
    try c.encode(checks, forKey: .checks)
    try c.encode(figures, forKey: .figures)
    try c.encode(notes, forKey: .notes)
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    scenario = try c.decode(String.self, forKey: .scenario)
    title = try c.decode(String.self, forKey: .title)
    size = try c.decode(ScenarioSize.self, forKey: .size)
    seeds = try c.decode([UInt64].self, forKey: .seeds)
    checks = try c.decode([ScenarioCheck].self, forKey: .checks)
    figures = try c.decode([ScenarioFigure].self, forKey: .figures)
    notes = try c.decode([String].self, forKey: .notes)
    wallSeconds = 0
  }
}
