import Foundation
import Yams

extension Yams.Node: @retroactive @unchecked Sendable {}

/// YAML scenario files, read into the same untyped tree as JSON so one reader serves both.
enum YAMLData {
  static func parse(_ data: Data, file: String) throws -> FieldReader {
    guard let text = String(data: data, encoding: .utf8) else {
      throw CatalogError(file: file, field: "", reason: "not UTF-8 text")
    }
    let root: Yams.Node?
    do {
      root = try Yams.compose(yaml: text)
    } catch {
      throw CatalogError(file: file, field: "", reason: "not valid YAML (\(oneLine(error)))")
    }
    // Aliases share their anchor's node in the composed tree; only building the Swift values
    // copies them. Count the nodes the copy would make, stopping at the budget, so that nine
    // nested aliases (9¹² nodes) are refused in microseconds instead of filling memory.
    var budget = Plausibility.maximumYAMLNodes
    if let root, !fits(root, budget: &budget) {
      throw CatalogError(
        file: file, field: "",
        reason:
          "the YAML expands to more than \(PlausibleCount.grouped(Plausibility.maximumYAMLNodes)) nodes once its aliases are resolved (an alias bomb?); the limit keeps reading bounded"
      )
    }
    let value: Any? = root?.any
    guard let dictionary = normalise(value) as? [String: Any] else {
      throw CatalogError(file: file, field: "", reason: "the top level must be a mapping")
    }
    return FieldReader(file: file, object: dictionary)
  }

  /// Whether `node` and its descendants, aliases expanded, number at most `budget`; counts
  /// down `budget` and stops as soon as it is spent, so the walk costs O(budget) at most.
  static func fits(_ node: Yams.Node, budget: inout Int) -> Bool {
    budget -= 1
    guard budget >= 0 else { return false }
    switch node {
    case .mapping(let mapping):
      for (key, value) in mapping {
        guard fits(key, budget: &budget), fits(value, budget: &budget) else { return false }
      }
    case .sequence(let sequence):
      for item in sequence { guard fits(item, budget: &budget) else { return false } }
    case .scalar, .alias:
      break
    }
    return true
  }

  /// A Yams error on one line, cut to 300 characters (Yams quotes the offending line, which
  /// in a malformed file may be megabytes long).
  static func oneLine(_ error: Error) -> String {
    let text = "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
    return text.count > 300 ? String(text.prefix(300)) + "…" : text
  }

  /// Yams gives [AnyHashable: Any]; make keys Strings and numbers Doubles/Ints like JSON.
  static func normalise(_ value: Any?) -> Any {
    switch value {
    case let dictionary as [AnyHashable: Any]:
      var result: [String: Any] = [:]
      for (key, item) in dictionary { result["\(key.base)"] = normalise(item) }
      return result
    case let array as [Any]:
      return array.map { normalise($0) }
    case let value?:
      return value
    case nil:
      return NSNull()
    }
  }
}
