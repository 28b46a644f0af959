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

  /// One line; a field or reason that echoes a very long user text is cut in the middle
  /// (`MessageText.elided`).
  public var description: String {
    let reason = MessageText.elided(reason, limit: 5 * MessageText.echoLimit / 2)
    return field.isEmpty ? "\(file): \(reason)" : "\(file): \(MessageText.elided(field)): \(reason)"
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

  /// A quantity checked against its plausible range: a string with a unit ("80 GB"), or a bare
  /// number where the quantity is a plain number (`.number`, `.flops`) or `bareNumberAllowed`
  /// says the format reads bare numbers in SI (scenario times in seconds). A string without a
  /// unit is refused: `"80"` for a memory would otherwise read as 80 bytes.
  public func optionalQuantity(
    _ key: String, _ range: PlausibleRange, bareNumberAllowed: Bool = false
  ) throws -> Double? {
    guard has(key), let raw = object[key] else { return nil }
    let plainNumber = range.written == .number || range.written == .flops
    if let text = raw as? String {
      let number: Double
      let unit: String
      do { (number, unit) = try Units.split(text) } catch let parseError as Units.ParseError {
        throw error(key, parseError.description)
      }
      if unit.isEmpty && !plainNumber && !bareNumberAllowed {
        throw error(key, "\"\(text)\" has no unit; write e.g. \"\(Self.written(number)) \(range.exampleUnit)\"")
      }
      do { return try range.parse(text) } catch let parseError as Units.ParseError {
        throw error(key, parseError.description)
      } catch let plausibility as PlausibilityError {
        throw error(key, plausibility.description)
      }
    }
    guard plainNumber || bareNumberAllowed else {
      throw error(key, "must be a quantity with a unit, e.g. \"1 \(range.exampleUnit)\"; found \(describe(raw))")
    }
    guard let value = try optionalDouble(key) else { return nil }
    do { try range.check(value, written: Self.written(value)) } catch let plausibility as PlausibilityError {
      throw error(key, plausibility.description)
    }
    return value
  }

  public func quantity(_ key: String, _ range: PlausibleRange, bareNumberAllowed: Bool = false) throws -> Double {
    guard let value = try optionalQuantity(key, range, bareNumberAllowed: bareNumberAllowed) else {
      throw error(key, "missing")
    }
    return value
  }

  /// A whole number checked against its plausible range (before any conversion to `Int`, so
  /// `1e300` is an error, not a trap).
  public func optionalCount(_ key: String, _ range: PlausibleCount) throws -> Int? {
    guard let value = try optionalDouble(key) else { return nil }
    guard value == value.rounded(), value >= Double(range.lower), value <= Double(range.upper) else {
      let positive = range.lower == 1 && value < 1 ? "must be positive: " : "must be "
      throw error(
        key, positive + "a whole number in \(range) (\(range.quantity)), found \(Self.written(value))")
    }
    return Int(value)
  }

  public func count(_ key: String, _ range: PlausibleCount) throws -> Int {
    guard let value = try optionalCount(key, range) else { throw error(key, "missing") }
    return value
  }

  /// A number as a person wrote it: `80`, `0.5`, `1e+300`.
  static func written(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
    return "\(value)"
  }

  /// Refuses keys outside `allowed`, naming the nearest known key (a typo such as `sm_cont`
  /// for `sm_count`) or, when none is near, the known keys.
  public func rejectUnknown(allowed: Set<String>, what: String = "field") throws {
    for key in object.keys.sorted() where !allowed.contains(key) {
      throw error(key, Self.unknownReason(key, known: allowed, what: what))
    }
  }

  /// "unknown field; did you mean sm_count?" or "unknown field (known: a, b, c)".
  public static func unknownReason(_ key: String, known: Set<String>, what: String) -> String {
    if let near = nearest(key, in: known) { return "unknown \(what); did you mean \(near)?" }
    return "unknown \(what) (known: \(known.sorted().joined(separator: ", ")))"
  }

  /// The known name closest to `key` by edit distance, if it is close enough to be a typo
  /// (at most 2 edits, or a third of the name's length for long names). Ties: alphabetical.
  public static func nearest(_ key: String, in known: Set<String>) -> String? {
    let limit = max(2, key.count / 3)
    var best: (distance: Int, name: String)?
    for name in known.sorted() where abs(key.count - name.count) <= limit {
      // The length difference is a lower bound on the edit distance: names it already rules
      // out are skipped, so a 100,000-character key costs O(key) rather than O(key · names).
      let distance = editDistance(key.lowercased(), name.lowercased())
      if distance <= limit, best == nil || distance < best!.distance { best = (distance, name) }
    }
    return best?.name
  }

  /// Levenshtein distance (insertions, deletions, substitutions), O(|a|·|b|) with one row.
  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars)
    let b = Array(b.unicodeScalars)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var row = Array(0...b.count)
    for i in 1...a.count {
      var diagonal = row[0]
      row[0] = i
      for j in 1...b.count {
        let substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)
        diagonal = row[j]
        row[j] = min(substitution, row[j] + 1, row[j - 1] + 1)
      }
    }
    return row[b.count]
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
