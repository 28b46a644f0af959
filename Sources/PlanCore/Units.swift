import Foundation

/// Parsing of quantities written with units in data files and on the command line, and
/// formatting for people. Everything inside LLMPlan is SI: bytes, seconds, bytes per second,
/// FLOP per second. Conversion happens only here, at the edge.
public enum Units {
  /// Why a quantity could not be read.
  public struct ParseError: Error, CustomStringConvertible, Equatable, Sendable {
    public let text: String
    public let reason: String
    public var description: String { "cannot read \"\(text)\": \(reason)" }
  }

  private static let decimalPrefixes: [String: Double] = [
    "": 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
  ]
  private static let binaryPrefixes: [String: Double] = [
    "Ki": 1024, "Mi": 1_048_576, "Gi": 1_073_741_824, "Ti": 1_099_511_627_776,
  ]

  /// Splits "600 Gbit/s" into (600, "Gbit/s"). The number must be finite.
  static func split(_ text: String) throws -> (Double, String) {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    var index = trimmed.startIndex
    while index < trimmed.endIndex,
      trimmed[index].isNumber || "+-.eE".contains(trimmed[index])
    {
      // Stop at an 'e'/'E' that starts a unit (e.g. "5 EB" is not supported anyway).
      if "eE".contains(trimmed[index]) {
        let next = trimmed.index(after: index)
        guard next < trimmed.endIndex, trimmed[next].isNumber || "+-".contains(trimmed[next]) else { break }
      }
      index = trimmed.index(after: index)
    }
    let numberText = String(trimmed[..<index])
    let unit = trimmed[index...].trimmingCharacters(in: .whitespaces)
    guard let value = Double(numberText), value.isFinite else {
      throw ParseError(text: text, reason: "no number at the start")
    }
    return (value, unit)
  }

  /// Scale of a prefix ("G", "Gi", "" …), or nil.
  static func prefixScale(_ prefix: String) -> Double? {
    decimalPrefixes[prefix] ?? binaryPrefixes[prefix]
  }

  /// Bandwidth in bytes per second from "600 Gbit/s", "300 GB/s", "25 GiB/s", "100 Gbps".
  /// A bare number is rejected: a bandwidth must say whether it counts bits or bytes.
  public static func bytesPerSecond(_ text: String) throws -> Double {
    let (value, unit) = try split(text)
    guard !unit.isEmpty else {
      throw ParseError(text: text, reason: "bandwidth needs a unit such as \"GB/s\" or \"Gbit/s\"")
    }
    var body = unit
    for suffix in ["/s", "ps"] where body.hasSuffix(suffix) {
      body.removeLast(suffix.count)
      break
    }
    guard body != unit else { throw ParseError(text: text, reason: "bandwidth unit must end in /s or ps") }
    let bitsPerUnit: Double
    if body.hasSuffix("bit") {
      body.removeLast(3)
      bitsPerUnit = 1
    } else if body.hasSuffix("b") {
      body.removeLast(1)
      bitsPerUnit = 1
    } else if body.hasSuffix("B") {
      body.removeLast(1)
      bitsPerUnit = 8
    } else {
      throw ParseError(text: text, reason: "unknown bandwidth unit \"\(unit)\"")
    }
    guard let scale = prefixScale(body) else {
      throw ParseError(text: text, reason: "unknown prefix \"\(body)\" in \"\(unit)\"")
    }
    return value * scale * bitsPerUnit / 8
  }

  /// Bytes from "80 GB", "40 GiB", "512 MiB", "1024" (bare numbers are bytes).
  public static func bytes(_ text: String) throws -> Double {
    let (value, unit) = try split(text)
    if unit.isEmpty || unit == "B" || unit == "bytes" { return value }
    guard unit.hasSuffix("B"), let scale = prefixScale(String(unit.dropLast())) else {
      throw ParseError(text: text, reason: "unknown size unit \"\(unit)\"")
    }
    return value * scale
  }

  /// Seconds from "2 us", "2 µs", "1.5 ms", "3 ns", "0.2 s", "2" (bare numbers are seconds).
  public static func seconds(_ text: String) throws -> Double {
    let (value, unit) = try split(text)
    switch unit {
    case "", "s", "sec", "seconds": return value
    case "ms": return value * 1e-3
    case "us", "µs", "μs": return value * 1e-6
    case "ns": return value * 1e-9
    case "min": return value * 60
    case "h": return value * 3600
    default: throw ParseError(text: text, reason: "unknown time unit \"\(unit)\"")
    }
  }

  /// FLOP per second from "312 TFLOP/s", "989.4 TFLOPS", "1.979 PFLOP/s".
  public static func flopsPerSecond(_ text: String) throws -> Double {
    let (value, unit) = try split(text)
    var body = unit
    for suffix in ["FLOP/s", "FLOPS", "flop/s"] where body.hasSuffix(suffix) {
      body.removeLast(suffix.count)
      guard let scale = decimalPrefixes[body] else { break }
      return value * scale
    }
    throw ParseError(text: text, reason: "unknown compute-rate unit \"\(unit)\" (use e.g. \"312 TFLOP/s\")")
  }

  /// A count of floating-point operations from "3.12 GFLOP", "9.894e9 FLOP" or a bare number.
  public static func flops(_ text: String) throws -> Double {
    let (value, unit) = try split(text)
    if unit.isEmpty { return value }
    guard unit.hasSuffix("FLOP"), let scale = decimalPrefixes[String(unit.dropLast(4))] else {
      throw ParseError(text: text, reason: "unknown operation-count unit \"\(unit)\" (use e.g. \"3.12 GFLOP\")")
    }
    return value * scale
  }

  // MARK: Formatting for people

  /// "13.5 GB" (decimal, as GPU datasheets count).
  public static func formatBytes(_ bytes: Double) -> String {
    formatScaled(bytes, unit: "B")
  }

  /// "600 Gbit/s" style is for input; output uses bytes: "75.0 GB/s".
  public static func formatBytesPerSecond(_ value: Double) -> String {
    formatScaled(value, unit: "B/s")
  }

  public static func formatFLOPS(_ value: Double) -> String { formatScaled(value, unit: "FLOP/s") }

  /// "182 ms", "4.20 s", "35.1 µs".
  public static func formatSeconds(_ seconds: Double) -> String {
    guard seconds.isFinite else { return seconds.isNaN ? "n/a" : "∞" }
    let magnitude = abs(seconds)
    if magnitude >= 1 || magnitude == 0 { return threeSignificant(seconds) + " s" }
    if magnitude >= 1e-3 { return threeSignificant(seconds * 1e3) + " ms" }
    if magnitude >= 1e-6 { return threeSignificant(seconds * 1e6) + " µs" }
    return threeSignificant(seconds * 1e9) + " ns"
  }

  static func formatScaled(_ value: Double, unit: String) -> String {
    guard value.isFinite else { return value.isNaN ? "n/a" : "∞" }
    let steps: [(Double, String)] = [(1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
    for (scale, prefix) in steps where abs(value) >= scale {
      return threeSignificant(value / scale) + " " + prefix + unit
    }
    return threeSignificant(value) + " " + unit
  }

  /// Three significant figures, no exponent: 1.23, 12.3, 123, 1234.
  /// A value that rounds to zero prints unsigned ("0.00", never "-0.00").
  public static func threeSignificant(_ value: Double) -> String {
    let magnitude = abs(value)
    let text: String
    if magnitude >= 100 || magnitude == 0 {
      text = String(format: "%.0f", value)
    } else if magnitude >= 10 {
      text = String(format: "%.1f", value)
    } else {
      text = String(format: "%.2f", value)
    }
    return text.hasPrefix("-") && text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." })
      ? String(text.dropFirst()) : text
  }
}
