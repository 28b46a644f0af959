import Foundation

/// One mutated file: what the fuzzer runs a case on.
public struct FuzzCase: Sendable {
  public let index: Int
  public let seed: UInt64
  public let file: FuzzCorpus.File
  /// What was done to the file, one readable line per mutation, in order.
  public let mutations: [String]
  public let bytes: [UInt8]

  public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Makes case `index` of a seed: picks a corpus file and applies one to three mutations.
/// Structural mutations (on the parsed tree, written back as JSON, which YAML also reads)
/// come first, then byte-level ones; a case with only byte-level mutations keeps the file's
/// own text and style.
///
/// Structural: delete a field, change a value's type, extreme numbers (0, −1, 1e308,
/// 5e-324, 2^63, 1e999, …, also inside quantities such as "300 GB/s"), scale a number by
/// 10^±k, remove, swap or garble a unit, misspell a key or add an unknown one, repeat array
/// items, empty a container, empty or very long strings, swap two values. Byte-level:
/// truncation, bit flips, byte replacement, duplicated or deleted lines, deep nesting, and for
/// YAML an alias bomb.
public struct FuzzMutator: Sendable {
  public let corpus: FuzzCorpus
  public let seed: UInt64

  public init(corpus: FuzzCorpus, seed: UInt64) {
    self.corpus = corpus
    self.seed = seed
  }

  public func makeCase(_ index: Int) -> FuzzCase {
    var random = FuzzRandom(seed: seed, caseIndex: index)
    let file = random.pick(corpus.files)
    // Mostly one mutation, so that most cases get past the first check they break.
    let count = random.chance(0.75) ? 1 : (random.chance(0.8) ? 2 : 3)
    var structural = 0
    for _ in 0..<count where random.chance(0.7) { structural += 1 }
    var descriptions: [String] = []
    var bytes = Array(file.text.utf8)
    if structural > 0, var tree = try? FuzzNode.parse(file.text) {
      for _ in 0..<structural {
        descriptions.append(Self.mutateTree(&tree, isYAML: file.isYAML, random: &random))
      }
      bytes = Array(tree.json().utf8) + [10]
    }
    for _ in structural..<count {
      descriptions.append(Self.mutateBytes(&bytes, isYAML: file.isYAML, random: &random))
    }
    return FuzzCase(index: index, seed: seed, file: file, mutations: descriptions, bytes: bytes)
  }

  /// Corpus file `fileIndex` as it is, for checking that the fuzzer's commands succeed on
  /// unmutated files (otherwise mutations would hide behind an error every case shares).
  public func baseCase(_ fileIndex: Int) -> FuzzCase {
    let file = corpus.files[fileIndex]
    return FuzzCase(index: -1 - fileIndex, seed: seed, file: file, mutations: [], bytes: Array(file.text.utf8))
  }

  // MARK: Values

  /// Numbers at and past the edges: zero and signs, the ends of Double (largest, smallest
  /// subnormal, overflow to ∞ when parsed), the ends of Int64/UInt64 and 2^62 (whose products
  /// overflow), and plain large counts.
  static let extremeNumbers = [
    "0", "-0", "-1", "1", "0.5", "-0.5", "3.5", "1e-9", "1e-300", "5e-324", "1e308", "-1e308", "1e999", "-1e999",
    "2147483648", "4294967296", "4611686018427387904", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "18446744073709551616", "123456789012345678901234567890", "1e6", "1e9", "1e12", "1e18",
    "100000", "1000000007",
  ]
  static let yamlSpecialNumbers = [".inf", "-.inf", ".nan", "0x10", "1_000"]
  static let jsonSpecialNumbers = ["NaN", "Infinity", "-Infinity", "01", "1.", "+1"]
  static let units = [
    "", "B", "kB", "MB", "GB", "TB", "GiB", "B/s", "GB/s", "Gbit/s", "Tbit/s", "ns", "us", "µs", "ms", "s", "min", "h",
    "FLOP", "GFLOP", "TFLOP/s", "PFLOP/s", "req/s", "%", "parsecs", "GB/h", "bytes", "per second",
  ]

  /// The number runs in a string ("300 GB/s" → one, "100-500" → two), as ranges.
  static func numberRanges(_ text: String) -> [Range<String.Index>] {
    var ranges: [Range<String.Index>] = []
    var index = text.startIndex
    while index < text.endIndex {
      if text[index].isASCII, text[index].isNumber {
        var end = index
        while end < text.endIndex, text[end].isASCII, text[end].isNumber || text[end] == "." || text[end] == "e" {
          end = text.index(after: end)
        }
        ranges.append(index..<end)
        index = end
      } else {
        index = text.index(after: index)
      }
    }
    return ranges
  }

  /// A length range such as "100-500".
  static func isRange(_ text: String) -> Bool {
    let parts = text.split(separator: "-", omittingEmptySubsequences: false)
    return parts.count == 2 && parts.allSatisfy { Int($0.trimmingCharacters(in: .whitespaces)) != nil }
  }

  /// A quantity string: a number then a one-word unit ("300 GB/s", "1.5 us", "10 min"); not
  /// prose that starts with a number ("2x DGX H100 over InfiniBand"), which commands echo back.
  static func isQuantity(_ text: String) -> Bool {
    guard let first = numberRanges(text).first, first.lowerBound == text.startIndex else { return false }
    let rest = text[first.upperBound...].trimmingCharacters(in: .whitespaces)
    return !rest.isEmpty && rest.first!.isLetter && !rest.contains(where: \.isWhitespace)
  }

  // MARK: Structural mutations

  static func mutateTree(_ tree: inout FuzzNode, isYAML: Bool, random: inout FuzzRandom) -> String {
    let paths = tree.paths
    guard !paths.isEmpty else {
      tree = .object([.init("fuzz", .number("1"))])
      return "replaced the empty document by {fuzz: 1}"
    }
    func pathText(_ path: [FuzzNode.Step]) -> String { path.map(\.description).joined(separator: ".") }
    let numeric = paths.filter { path in
      switch tree[path] {
      case .number?: return true
      // Only strings that are values (quantities, "LO-HI" ranges, numbers in quotes): a number
      // changed inside a name would be echoed back and look like a bad output.
      case .string(let text)?: return isQuantity(text) || isRange(text) || Double(text) != nil
      default: return false
      }
    }
    let quantities = paths.filter {
      if case .string(let text)? = tree[$0] { return isQuantity(text) } else { return false }
    }
    let members = paths.filter { if case .key? = $0.last { return true } else { return false } }
    let arrays = paths.filter { if case .array(let items)? = tree[$0] { return !items.isEmpty } else { return false } }
    let objects = [[]] + paths.filter { if case .object? = tree[$0] { return true } else { return false } }

    // Weighted choice of a kind: extreme numbers most often, they found most defects.
    let kinds: [(String, Int)] = [
      ("extreme", 6), ("scale", 3), ("delete", 3), ("type", 3), ("unit", 3), ("typo", 2), ("unknown", 1),
      ("repeat", 2), ("empty", 1), ("string", 1), ("swap", 1),
    ]
    var roll = random.below(kinds.reduce(0) { $0 + $1.1 })
    var kind = kinds[0].0
    for (name, weight) in kinds {
      if roll < weight {
        kind = name
        break
      }
      roll -= weight
    }
    if (kind == "extreme" || kind == "scale") && numeric.isEmpty { kind = "type" }
    if kind == "unit" && quantities.isEmpty { kind = "extreme" }
    if kind == "extreme" && numeric.isEmpty { kind = "type" }
    if kind == "repeat" && arrays.isEmpty { kind = "delete" }
    if (kind == "delete" || kind == "typo") && members.isEmpty { kind = "type" }

    switch kind {
    case "extreme", "scale":
      let path = pickByKey(numeric, random: &random)
      // "extreme" writes a value from the pools; "scale" appends an exponent to the number
      // already there (300 → 300e12, "300 GB/s" → "300e-6 GB/s"), possibly negated.
      var pool = extremeNumbers
      if random.chance(0.15) { pool = isYAML ? yamlSpecialNumbers : jsonSpecialNumbers }
      let extreme = random.pick(pool)
      let exponent = random.pick([-300, -30, -12, -6, -3, -1, 1, 3, 6, 9, 12, 18, 30, 300])
      let negate = random.chance(0.2)
      func scaled(_ number: String) -> String {
        let candidate = (negate ? "-" : "") + number + "e\(exponent)"
        return Double(candidate) != nil ? candidate : (negate ? "-" : "") + "1e\(exponent)"
      }
      switch tree[path]! {
      case .string(let text):
        let range = random.pick(numberRanges(text))
        var mutated = text
        mutated.replaceSubrange(range, with: kind == "extreme" ? extreme : scaled(String(text[range])))
        tree.set(path, to: .string(mutated))
        return "\(pathText(path)): \"\(text)\" → \"\(mutated)\""
      case .number(let text):
        let value = kind == "extreme" ? extreme : scaled(text)
        tree.set(path, to: .number(value))
        return "\(pathText(path)): \(text) → \(value)"
      default:
        return "no-op"
      }
    case "unit":
      let path = random.pick(quantities)
      guard case .string(let text)? = tree[path], let range = numberRanges(text).first else { return "no-op" }
      let number = String(text[range])
      let mutated: String
      switch random.below(3) {
      case 0: mutated = number  // unit removed
      case 1: mutated = number + " " + random.pick(units)
      default: mutated = number + random.pick(units) + random.pick(["", "x", "/s", "/h", " per GPU"])
      }
      tree.set(path, to: .string(mutated))
      return "\(pathText(path)): \"\(text)\" → \"\(mutated)\""
    case "delete":
      let path = random.pick(members)
      tree.set(path, to: nil)
      return "deleted \(pathText(path))"
    case "type":
      let path = random.pick(paths)
      let old = tree[path]!
      var choices: [FuzzNode] = [
        .null, .bool(true), .array([old]), .object([.init("value", old)]), .string(""), .array([]),
      ]
      switch old {
      case .number(let text): choices += [.string(text), .string(text), .string("\(text) units")]
      case .string(let text):
        let digits = numberRanges(text).first.map { String(text[$0]) } ?? "80"
        choices += [.number(digits), .number(digits), .number("0")]
      case .bool: choices += [.number("1"), .string("yes")]
      case .object, .array: choices += [.number("1"), .string("fuzz")]
      case .null: choices += [.number("0"), .string("null")]
      }
      let value = random.pick(choices)
      tree.set(path, to: value)
      return "\(pathText(path)): type changed to \(Self.short(value))"
    case "typo", "unknown":
      let objectPath = kind == "typo" ? Array(random.pick(members).dropLast()) : random.pick(objects)
      guard case .object(var list)? = tree[objectPath] else { return "no-op" }
      if kind == "typo", !list.isEmpty {
        let position = random.below(list.count)
        let old = list[position].key
        let new = typo(old, random: &random)
        list[position].key = new
        tree.set(objectPath, to: .object(list))
        return "key \(pathText(objectPath + [.key(old)])) misspelt as \"\(new)\""
      }
      let key = random.pick(["zzz_unknown", "comment", "sm_cont", "memmory", "bandwith", "nodes", "name", ""])
      list.append(.init(key, random.chance(0.5) ? .number("1") : .string("fuzz")))
      tree.set(objectPath, to: .object(list))
      return "added key \"\(key)\" to \(objectPath.isEmpty ? "the top level" : pathText(objectPath))"
    case "repeat":
      let path = random.pick(arrays)
      guard case .array(let items)? = tree[path] else { return "no-op" }
      let item = random.pick(items)
      let times = random.pick([1, 2, 4, 9, 99, 999])
      tree.set(path, to: .array(items + Array(repeating: item, count: times)))
      return "\(pathText(path)): an item repeated \(times) more times"
    case "empty":
      let path = random.pick(paths)
      let value: FuzzNode = random.chance(0.5) ? .array([]) : .object([])
      tree.set(path, to: value)
      return "\(pathText(path)): emptied to \(Self.short(value))"
    case "string":
      let path = random.pick(paths)
      let value: FuzzNode = random.pick([
        .string(""), .string(" "), .string(String(repeating: "x", count: 100_000)), .string("\u{0}"),
        .string("../../../../etc/passwd"), .string("/"), .string("-1"), .string("🦙"),
      ])
      tree.set(path, to: value)
      return "\(pathText(path)): string set to \(Self.short(value))"
    default:  // swap
      let a = random.pick(paths)
      let b = random.pick(paths)
      guard let valueA = tree[a], let valueB = tree[b], !a.starts(with: b), !b.starts(with: a) else {
        return "no-op (swap of nested paths)"
      }
      tree.set(a, to: valueB)
      tree.set(b, to: valueA)
      return "swapped the values of \(pathText(a)) and \(pathText(b))"
    }
  }

  /// A path drawn by its last key first, so that a field repeated across many objects (the
  /// per-operator efficiencies of a GPU file) is as likely as a field that appears once
  /// (`memory`, `pp`).
  static func pickByKey(_ paths: [[FuzzNode.Step]], random: inout FuzzRandom) -> [FuzzNode.Step] {
    var groups: [String: [[FuzzNode.Step]]] = [:]
    for path in paths {
      let key = path.last(where: { if case .key = $0 { return true } else { return false } })?.description ?? ""
      groups[key, default: []].append(path)
    }
    let keys = groups.keys.sorted()
    return random.pick(groups[random.pick(keys)]!)
  }

  /// A misspelling: a letter dropped, doubled or swapped with its neighbour, or the case changed.
  static func typo(_ key: String, random: inout FuzzRandom) -> String {
    var characters = Array(key)
    guard characters.count >= 2 else { return key + "_" }
    let position = random.below(characters.count - 1)
    switch random.below(4) {
    case 0: characters.remove(at: position)
    case 1: characters.insert(characters[position], at: position)
    case 2: characters.swapAt(position, position + 1)
    default: return key.uppercased() == key ? key.lowercased() : key.uppercased()
    }
    let result = String(characters)
    return result == key ? key + "_" : result
  }

  static func short(_ node: FuzzNode) -> String {
    let text = node.json().replacingOccurrences(of: "\n", with: " ")
    return text.count > 60 ? String(text.prefix(57)) + "…" : text
  }

  // MARK: Byte-level mutations

  static func mutateBytes(_ bytes: inout [UInt8], isYAML: Bool, random: inout FuzzRandom) -> String {
    let kinds =
      isYAML
      ? ["truncate", "truncate", "flip", "flip", "byte", "byte", "dupline", "dupline", "delline", "nest", "bomb"]
      : ["truncate", "truncate", "flip", "flip", "byte", "byte", "dupline", "dupline", "delline", "nest"]
    let kind = random.pick(kinds)
    switch kind {
    case "truncate":
      let at = random.below(bytes.count + 1)
      bytes = Array(bytes.prefix(at))
      return "truncated to \(at) bytes"
    case "flip":
      guard !bytes.isEmpty else { return "no-op (empty)" }
      var changed: [String] = []
      for _ in 0..<(1 + random.below(3)) {
        let at = random.below(bytes.count)
        let mask = UInt8(1) << UInt8(random.below(8))
        bytes[at] ^= mask
        changed.append("\(at)^\(mask)")
      }
      return "flipped bits at byte " + changed.joined(separator: ", ")
    case "byte":
      guard !bytes.isEmpty else { return "no-op (empty)" }
      let at = random.below(bytes.count)
      let value = random.pick(Array("{}[]:,\"'#&*-!|>%@`\\9 \n\t".utf8) + [0, 0xFF, 0xC3, 0x80])
      bytes[at] = value
      return "byte \(at) set to 0x\(String(value, radix: 16))"
    case "dupline", "delline":
      var lines = bytes.split(separator: 10, omittingEmptySubsequences: false).map(Array.init)
      guard !lines.isEmpty else { return "no-op (empty)" }
      let at = random.below(lines.count)
      if kind == "delline" {
        lines.remove(at: at)
        bytes = Array(lines.joined(separator: [10]))
        return "deleted line \(at + 1)"
      }
      let times = random.pick([1, 1, 2, 4, 1000])
      lines.insert(contentsOf: Array(repeating: lines[at], count: times), at: at)
      bytes = Array(lines.joined(separator: [10]))
      return "line \(at + 1) repeated \(times) more times"
    case "nest":
      let depth = random.pick([64, 1000, 100_000])
      let at = random.below(bytes.count + 1)
      let open = Array(repeating: UInt8(ascii: "["), count: depth)
      let close = Array(repeating: UInt8(ascii: "]"), count: depth)
      bytes.insert(contentsOf: open + close, at: at)
      return "\(depth) nested brackets inserted at byte \(at)"
    default:  // YAML alias bomb: level k is a list of `width` aliases to level k−1
      let depth = random.pick([3, 6, 9, 12])
      let width = random.pick([2, 9])
      var lines = ["bomb0: &b0 [\"x\"]"]
      for level in 1...depth {
        let aliases = Array(repeating: "*b\(level - 1)", count: width).joined(separator: ", ")
        lines.append("bomb\(level): &b\(level) [\(aliases)]")
      }
      bytes = Array((lines.joined(separator: "\n") + "\n").utf8) + bytes
      return "YAML alias bomb prepended (\(depth) levels × \(width) aliases)"
    }
  }
}
