/// A piece of HTML that is safe to emit: built only from escaped text, trusted markup the
/// renderers write themselves, or elements whose attribute values are escaped. Every element
/// it builds is closed (void elements self-close, XHTML-style), so a report is well-formed XML
/// as well as HTML.
public struct HTMLFragment: Sendable, Hashable {
  public let markup: String

  /// Trusted markup written by the renderers (never user-supplied text).
  public init(raw markup: String) { self.markup = markup }

  /// Text, escaped: `<`, `>`, `&`, `"` and `'` become character references.
  public init(text: String) { markup = HTMLFragment.escape(text) }

  public static let empty = HTMLFragment(raw: "")

  /// Escapes text for element content and attribute values alike.
  public static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in text.unicodeScalars {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.unicodeScalars.append(character)
      }
    }
    return out
  }

  /// `<tag a="v">children</tag>`; attribute values are escaped, attributes keep their order.
  public static func element(
    _ tag: String, _ attributes: KeyValuePairs<String, String>, _ children: [HTMLFragment]
  ) -> HTMLFragment {
    element(tag, attributes: Array(attributes).map { ($0.key, $0.value) }, children)
  }

  /// `<tag>children</tag>`.
  public static func element(_ tag: String, _ children: [HTMLFragment]) -> HTMLFragment {
    element(tag, attributes: [], children)
  }

  public static func element(
    _ tag: String, attributes: [(String, String)], _ children: [HTMLFragment]
  )
    -> HTMLFragment
  {
    HTMLFragment(
      raw: "<\(tag)\(attributeText(attributes))>" + children.map(\.markup).joined() + "</\(tag)>")
  }

  /// An element with text content.
  public static func element(
    _ tag: String, _ attributes: KeyValuePairs<String, String> = [:], text: String
  )
    -> HTMLFragment
  {
    element(tag, attributes, [HTMLFragment(text: text)])
  }

  /// A void element, `<meta a="v" />`.
  public static func void(_ tag: String, _ attributes: KeyValuePairs<String, String>) -> HTMLFragment {
    HTMLFragment(raw: "<\(tag)\(attributeText(Array(attributes).map { ($0.key, $0.value) })) />")
  }

  static func attributeText(_ attributes: [(String, String)]) -> String {
    attributes.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
  }

  /// Fragments one after the other, each on its own line (readable source, stable bytes).
  public static func lines(_ fragments: [HTMLFragment]) -> HTMLFragment {
    HTMLFragment(raw: fragments.map(\.markup).filter { !$0.isEmpty }.joined(separator: "\n"))
  }

  /// Text in which `code` spans (paired backticks, as the planner's sentences use them) become
  /// `<code>` elements; everything is escaped.
  public static func prose(_ text: String) -> HTMLFragment {
    let parts = text.split(separator: "`", omittingEmptySubsequences: false)
    guard parts.count >= 3, parts.count % 2 == 1 else { return HTMLFragment(text: text) }
    var markup = ""
    for (index, part) in parts.enumerated() {
      markup += index % 2 == 0 ? escape(String(part)) : "<code>\(escape(String(part)))</code>"
    }
    return HTMLFragment(raw: markup)
  }
}
