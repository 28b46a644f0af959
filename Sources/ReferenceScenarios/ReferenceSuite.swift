import Foundation
import PlanCore

/// One reference behaviour a capacity planner must reproduce (from the integration tests of a
/// parallel serving framework): it runs the real analytic model and the real simulator and
/// returns its check table.
public protocol ReferenceScenario: Sendable {
  /// Short identifier for `llmplan scenarios run NAME`.
  var name: String { get }
  var title: String { get }
  /// One paragraph: the configuration and what it shows.
  var summary: String { get }
  /// Runs the scenario at `size` against the models, GPUs and clusters of `catalog`.
  /// - Throws: a catalog, layout or simulation error when the inputs cannot be used (a check
  ///   that fails is a row with `passed == false`, not an error).
  func run(size: ScenarioSize, catalog: Catalog) throws -> ScenarioReport
}

/// The reference scenarios, in the issue's order.
public enum ReferenceSuite {
  public static let all: [any ReferenceScenario] = [
    TensorParallelScenario(),
    PipelineMemoryScenario(),
    DataParallelScenario(),
    LargeModelScenario(),
    LoadSuccessScenario(),
    DisaggregationScenario(),
  ]

  public static var names: [String] { all.map(\.name) }

  /// The scenario called `name`.
  /// - Throws: `ReferenceSuiteError.unknownScenario` listing the known names.
  public static func named(_ name: String) throws -> any ReferenceScenario {
    guard let scenario = all.first(where: { $0.name == name }) else {
      throw ReferenceSuiteError.unknownScenario(name, known: names)
    }
    return scenario
  }
}

public enum ReferenceSuiteError: Error, CustomStringConvertible, Equatable {
  case unknownScenario(String, known: [String])

  public var description: String {
    switch self {
    case .unknownScenario(let name, let known):
      return "no reference scenario named \"\(name)\" (known: \(known.joined(separator: ", ")))"
    }
  }
}
