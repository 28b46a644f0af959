import Foundation

/// What one GPU costs per hour to rent, with where the figure comes from: a GPU file's
/// `price` block, a scenario's `prices:` or a `--price NAME=DOLLARS` flag.
///
/// ```json
/// "price": {"dollars_per_gpu_hour": 2.70, "source": "CoreWeave list price …", "as_of": "2026-02"}
/// ```
public struct GPUPrice: Sendable, Hashable, Codable {
  /// US dollars per GPU-hour.
  public var dollarsPerGPUHour: Double
  /// Where the figure comes from (a cloud's price page and how per-GPU was derived).
  public var source: String
  /// When it was read: an ISO date, "YYYY-MM-DD" or "YYYY-MM"; nil when not dated.
  public var asOf: String?

  public init(dollarsPerGPUHour: Double, source: String, asOf: String? = nil) {
    self.dollarsPerGPUHour = dollarsPerGPUHour
    self.source = source
    self.asOf = asOf
  }

  static let keys: Set<String> = ["dollars_per_gpu_hour", "source", "as_of", "note"]

  /// Reads a GPU file's `price` block: dollars in `Plausibility.gpuPrice`, a source, an
  /// optional ISO date.
  public static func load(from reader: FieldReader) throws -> GPUPrice {
    try reader.rejectUnknown(allowed: keys)
    guard let dollars = try reader.optionalQuantity("dollars_per_gpu_hour", Plausibility.gpuPrice) else {
      throw reader.error("dollars_per_gpu_hour", "missing (US dollars per GPU-hour, e.g. 2.5)")
    }
    let asOf = try reader.optionalString("as_of")
    if let asOf, !isISODate(asOf) {
      throw reader.error("as_of", "\"\(asOf)\" is not an ISO date (write YYYY-MM-DD or YYYY-MM)")
    }
    return GPUPrice(dollarsPerGPUHour: dollars, source: try reader.string("source"), asOf: asOf)
  }

  /// "2026-02" or "2026-02-01" (month 01–12, day 01–31).
  static func isISODate(_ text: String) -> Bool {
    let parts = text.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 2 || parts.count == 3, parts[0].count == 4, Int(parts[0]) != nil,
      parts[1].count == 2, let month = Int(parts[1]), (1...12).contains(month)
    else { return false }
    if parts.count == 3 {
      guard parts[2].count == 2, let day = Int(parts[2]), (1...31).contains(day) else { return false }
    }
    return true
  }

  /// Parses one `--price NAME=DOLLARS` (dollars per GPU-hour, an optional leading `$`).
  /// Throws a one-line message naming the flag, the text and what is allowed.
  public static func parseOverride(_ text: String, flag: String = "--price") throws -> (gpu: String, dollars: Double) {
    let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[0].trimmingCharacters(in: .whitespaces).isEmpty else {
      throw PriceError("\(flag) \"\(text)\": write GPU=DOLLARS_PER_GPU_HOUR, e.g. \(flag) h100-80gb-sxm=2.99")
    }
    let name = parts[0].trimmingCharacters(in: .whitespaces)
    var number = parts[1].trimmingCharacters(in: .whitespaces)
    if number.hasPrefix("$") { number.removeFirst() }
    guard let dollars = Double(number), dollars.isFinite else {
      throw PriceError(
        "\(flag) \"\(text)\": \"\(parts[1])\" is not a number of dollars per GPU-hour (e.g. \(name)=2.99)")
    }
    do { try Plausibility.gpuPrice.check(dollars, written: "\"\(parts[1])\"") } catch let error as PlausibilityError {
      throw PriceError("\(flag) \(name): \(error.description)")
    }
    return (name, dollars)
  }
}

/// A price that cannot be read (flag or scenario), as one line.
public struct PriceError: Error, CustomStringConvertible, Equatable, Sendable {
  public let description: String
  public init(_ description: String) { self.description = description }
}
