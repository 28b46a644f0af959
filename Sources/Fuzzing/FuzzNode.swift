import Yams

/// A data file as an ordered tree, so that structural mutations (delete a field, change a
/// type, put an extreme number in) can be made and written back. Numbers keep their raw text:
/// the fuzzer writes values no `Double` can hold (`1e999`, `18446744073709551616`, `-0`).
public indirect enum FuzzNode: Hashable, Sendable {
  case object([Member])
  case array([FuzzNode])
  case string(String)
  /// A number as it appears in the file (any text the writer should print bare).
  case number(String)
  case bool(Bool)
  case null

  public struct Member: Hashable, Sendable {
    public var key: String
    public var value: FuzzNode
    public init(_ key: String, _ value: FuzzNode) {
      self.key = key
      self.value = value
    }
  }

  /// Reads JSON or YAML text (JSON is YAML's flow style, so one parser serves both). Plain
  /// scalars that read as numbers become `.number` with their text; quoted ones stay strings.
  /// Refuses trees of more than `nodeLimit` nodes: YAML aliases share one node in Yams but
  /// would be copied here, and an alias bomb (the fuzzer writes them) expands to billions.
  public static func parse(_ text: String, nodeLimit: Int = 1_000_000) throws -> FuzzNode {
    guard let root = try Yams.compose(yaml: text) else { return .null }
    var budget = nodeLimit
    return try convert(root, budget: &budget)
  }

  private static func convert(_ node: Yams.Node, budget: inout Int) throws -> FuzzNode {
    budget -= 1
    guard budget >= 0 else { throw FuzzError("document has more nodes than the limit (YAML aliases expanded)") }
    switch node {
    case .mapping(let mapping):
      var members: [Member] = []
      for pair in mapping {
        members.append(Member(pair.key.scalar?.string ?? "\(pair.key)", try convert(pair.value, budget: &budget)))
      }
      return .object(members)
    case .sequence(let sequence):
      var items: [FuzzNode] = []
      for item in sequence { items.append(try convert(item, budget: &budget)) }
      return .array(items)
    case .scalar(let scalar):
      let text = scalar.string
      guard scalar.style == .plain else { return .string(text) }
      switch text {
      case "true", "True", "TRUE": return .bool(true)
      case "false", "False", "FALSE": return .bool(false)
      case "null", "Null", "NULL", "~", "": return .null
      default: return Double(text) != nil ? .number(text) : .string(text)
      }
    case .alias:
      return .null
    }
  }

  /// JSON text, two-space indented, members in their order. Valid YAML too, so a mutated
  /// scenario keeps its `.yaml` name.
  public func json(indent: String = "") -> String {
    let inner = indent + "  "
    switch self {
    case .object(let members):
      guard !members.isEmpty else { return "{}" }
      let body = members.map { inner + Self.quoted($0.key) + ": " + $0.value.json(indent: inner) }
      return "{\n" + body.joined(separator: ",\n") + "\n" + indent + "}"
    case .array(let items):
      guard !items.isEmpty else { return "[]" }
      return "[\n" + items.map { inner + $0.json(indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
    case .string(let text): return Self.quoted(text)
    case .number(let text): return text
    case .bool(let value): return value ? "true" : "false"
    case .null: return "null"
    }
  }

  /// A JSON string literal (control characters escaped, the rest as is).
  static func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }

  // MARK: Paths

  /// One step from a container to a child: a member's key or an array index.
  public enum Step: Hashable, Sendable, CustomStringConvertible {
    case key(String)
    case index(Int)
    public var description: String {
      switch self {
      case .key(let key): return key
      case .index(let index): return "[\(index)]"
      }
    }
  }

  /// Every node below the root, as paths in document order (parents before children).
  public var paths: [[Step]] {
    var result: [[Step]] = []
    func walk(_ node: FuzzNode, _ prefix: [Step]) {
      switch node {
      case .object(let members):
        for member in members {
          let path = prefix + [.key(member.key)]
          result.append(path)
          walk(member.value, path)
        }
      case .array(let items):
        for (index, item) in items.enumerated() {
          let path = prefix + [.index(index)]
          result.append(path)
          walk(item, path)
        }
      default: break
      }
    }
    walk(self, [])
    return result
  }

  public subscript(path: [Step]) -> FuzzNode? {
    var node = self
    for step in path {
      switch (node, step) {
      case (.object(let members), .key(let key)):
        guard let member = members.first(where: { $0.key == key }) else { return nil }
        node = member.value
      case (.array(let items), .index(let index)):
        guard items.indices.contains(index) else { return nil }
        node = items[index]
      default: return nil
      }
    }
    return node
  }

  /// Replaces the node at `path` (nil deletes it); the tree is unchanged where the path does
  /// not lead.
  public mutating func set(_ path: [Step], to value: FuzzNode?) {
    guard let first = path.first else {
      self = value ?? .null
      return
    }
    let rest = Array(path.dropFirst())
    switch (self, first) {
    case (.object(var members), .key(let key)):
      guard let position = members.firstIndex(where: { $0.key == key }) else { return }
      if rest.isEmpty {
        if let value { members[position].value = value } else { members.remove(at: position) }
      } else {
        members[position].value.set(rest, to: value)
      }
      self = .object(members)
    case (.array(var items), .index(let index)):
      guard items.indices.contains(index) else { return }
      if rest.isEmpty {
        if let value { items[index] = value } else { items.remove(at: index) }
      } else {
        items[index].set(rest, to: value)
      }
      self = .array(items)
    default: return
    }
  }

  /// Applies `change` to the container at `path` (object members or array items).
  public mutating func modifyContainer(_ path: [Step], _ change: (inout FuzzNode) -> Void) {
    guard var node = self[path] else { return }
    change(&node)
    set(path, to: node)
  }
}
