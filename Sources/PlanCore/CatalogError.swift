import Foundation

/// A catalog or scenario file that cannot be used, with the file, the field and the reason:
/// `Models/llm/bad.json: num_attention_heads: 30 does not divide hidden_size 4096`.
public struct CatalogError: Error, CustomStringConvertible, Equatable, Sendable {
  public let file: String
  public let field: String
  public let reason: String

  public init(file: String, field: String, reason: String) {
    self.file = file
    self.field = field
    self.reason = reason
  }

  public var description: String {
    field.isEmpty ? "\(file): \(reason)" : "\(file): \(field): \(reason)"
  }
}

/// Typed access to a decoded JSON/YAML object that reports missing or wrong fields as
/// `CatalogError`s naming the file and the (dotted) field path.
public struct FieldReader {
  public let file: String
  public let path: String
  public let object: [String: Any]

  public init(file: String, path: String = "", object: [String: Any]) {
    self.file = file
    self.path = path
    self.object = object
  }

  public func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

  public func error(_ key: String, _ reason: String) -> CatalogError {
    CatalogError(file: file, field: name(key), reason: reason)
  }

  public func has(_ key: String) -> Bool { object[key] != nil && !(object[key] is NSNullLike) }

  /// The first of several alternative keys present (HuggingFace configs differ by family).
  public func firstKey(_ keys: [String]) -> String? { keys.first(where: has) }

  public func optionalDouble(_ key: String) throws -> Double? {
    guard has(key), let raw = object[key] else { return nil }
    // JSON `true` would otherwise bridge to 1 through NSNumber.
    guard !Self.isBoolean(raw) else { throw error(key, "must be a number, found a boolean") }
    if let value = raw as? Double {
      guard value.isFinite else { throw error(key, "must be a finite number") }
      return value
    }
    if let value = raw as? Int { return Double(value) }
    throw error(key, "must be a number, found \(describe(raw))")
  }

  /// An optional fraction: in (0, 1], or in [0, 1] when `zeroAllowed` (e.g. an effect that may
  /// be switched off).
  public func optionalFraction(_ key: String, zeroAllowed: Bool = false) throws -> Double? {
    guard let value = try optionalDouble(key) else { return nil }
    if zeroAllowed {
      guard value >= 0, value <= 1 else { throw error(key, "must lie in [0, 1], found \(value)") }
    } else {
      guard value > 0, value <= 1 else { throw error(key, "must be a fraction in (0, 1], found \(value)") }
    }
    return value
  }

  public func double(_ key: String) throws -> Double {
    guard let value = try optionalDouble(key) else { throw error(key, "missing") }
    return value
  }

  public func optionalInt(_ key: String) throws -> Int? {
    guard let value = try optionalDouble(key) else { return nil }
    guard value == value.rounded(), abs(value) < 1e15 else {
      throw error(key, "must be a whole number, found \(value)")
    }
    return Int(value)
  }

  public func int(_ key: String) throws -> Int {
    guard let value = try optionalInt(key) else { throw error(key, "missing") }
    return value
  }

  /// A positive whole number.
  public func positiveInt(_ key: String) throws -> Int {
    let value = try int(key)
    guard value > 0 else { throw error(key, "must be positive, found \(value)") }
    return value
  }

  public func optionalString(_ key: String) throws -> String? {
    guard has(key) else { return nil }
    guard let value = object[key] as? String else {
      throw error(key, "must be a string, found \(describe(object[key]))")
    }
    return value
  }

  public func string(_ key: String) throws -> String {
    guard let value = try optionalString(key) else { throw error(key, "missing") }
    return value
  }

  public func optionalBool(_ key: String) throws -> Bool? {
    guard has(key), let raw = object[key] else { return nil }
    // A JSON number 0 or 1 bridges to Bool through NSNumber: accept only real booleans.
    guard Self.isBoolean(raw), let value = raw as? Bool else {
      throw error(key, "must be true or false, found \(describe(raw))")
    }
    return value
  }

  /// The dynamic type Foundation's JSON parser gives `true`/`false` (an NSNumber subclass).
  private static let booleanNumberType: Any.Type = type(of: NSNumber(value: true))

  /// Whether a decoded value is a boolean (JSON `true`/`false` or a Swift `Bool` from YAML),
  /// as opposed to a number that merely bridges to one.
  static func isBoolean(_ value: Any) -> Bool {
    let dynamicType = type(of: value)
    return dynamicType == Bool.self || dynamicType == booleanNumberType
  }

  /// A quantity with a unit ("600 Gbit/s") or, where `bareUnitAllowed`, a plain number in SI.
  public func quantity(
    _ key: String, parse: (String) throws -> Double, bareNumberAllowed: Bool = false
  ) throws -> Double {
    guard let value = try optionalQuantity(key, parse: parse, bareNumberAllowed: bareNumberAllowed) else {
      throw error(key, "missing")
    }
    return value
  }

  public func optionalQuantity(
    _ key: String, parse: (String) throws -> Double, bareNumberAllowed: Bool = false
  ) throws -> Double? {
    guard has(key) else { return nil }
    if let text = object[key] as? String {
      do { return try parse(text) } catch let parseError as Units.ParseError {
        throw error(key, parseError.description)
      }
    }
    if bareNumberAllowed, let number = try? optionalDouble(key) { return number }
    throw error(key, "must be a quantity with a unit, e.g. \"600 Gbit/s\"; found \(describe(object[key]))")
  }

  public func optionalObject(_ key: String) throws -> FieldReader? {
    guard has(key) else { return nil }
    guard let value = object[key] as? [String: Any] else { throw error(key, "must be an object") }
    return FieldReader(file: file, path: name(key), object: value)
  }

  public func object(_ key: String) throws -> FieldReader {
    guard let value = try optionalObject(key) else { throw error(key, "missing") }
    return value
  }

  public func optionalArray(_ key: String) throws -> [Any]? {
    guard has(key) else { return nil }
    guard let value = object[key] as? [Any] else { throw error(key, "must be a list") }
    return value
  }

  public func objects(_ key: String) throws -> [FieldReader] {
    guard let items = try optionalArray(key) else { throw error(key, "missing") }
    return try items.enumerated().map { index, item in
      guard let dictionary = item as? [String: Any] else { throw error("\(key)[\(index)]", "must be an object") }
      return FieldReader(file: file, path: name("\(key)[\(index)]"), object: dictionary)
    }
  }

  private func describe(_ value: Any?) -> String {
    guard let value else { return "nothing" }
    if value is String { return "a string" }
    if Self.isBoolean(value) { return "a boolean" }
    if value is NSNullLike { return "null" }
    if value is [Any] { return "a list" }
    if value is [String: Any] { return "an object" }
    return "\(value)"
  }
}

/// Marker for null values from JSONSerialization / Yams so that `null` reads as absent.
public protocol NSNullLike {}
