import Foundation
import Yams

extension Yams.Node: @retroactive @unchecked Sendable {}

/// YAML scenario files, read into the same untyped tree as JSON so one reader serves both.
enum YAMLData {
  static func parse(_ data: Data, file: String) throws -> FieldReader {
    guard let text = String(data: data, encoding: .utf8) else {
      throw CatalogError(file: file, field: "", reason: "not UTF-8 text")
    }
    let value: Any?
    do {
      value = try Yams.load(yaml: text)
    } catch {
      throw CatalogError(file: file, field: "", reason: "not valid YAML (\(error))")
    }
    guard let dictionary = normalise(value) as? [String: Any] else {
      throw CatalogError(file: file, field: "", reason: "the top level must be a mapping")
    }
    return FieldReader(file: file, object: dictionary)
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
