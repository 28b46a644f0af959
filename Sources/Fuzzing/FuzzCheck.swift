import Foundation

/// What the fuzzer accepts from one command run on a mutated file, and what it flags.
///
/// A run either prints a result, which must hold no non-finite or absurd number, or fails
/// with a clean error: one non-empty, readable line, not a dump of a Swift or Foundation
/// error value. Crashes and hangs are seen from outside the process (`FuzzSupervisor`).
public enum FuzzCheck {
  /// Numbers larger than this in magnitude are flagged in results: nothing LLMPlan prints
  /// (FLOPs of a 175B model over a million tokens ≈ 3.5e17, bytes ≈ 1e12, requests/s) comes
  /// within twelve orders of it, while 1e308-style inputs passed through do.
  public static let absurdMagnitude = 1e30

  /// Longest accepted error line: long enough for a field, its value and a list of known names.
  public static let longestErrorLine = 1000

  /// The problem in a command's output, or nil when the output is acceptable.
  ///
  /// `input` is the mutated file's text: a non-finite word that stands in it too ("Inf" left
  /// of a cut "InfiniBand" in a description) is the user's text echoed, not a computed value.
  public static func resultProblem(_ output: String, isJSON: Bool, input: String = "") -> String? {
    if let token = nonFiniteToken(output, echoedFrom: input) { return "non-finite value \"\(token)\" in the output" }
    if let token = absurdNumber(output) { return "absurd number \(token) in the output" }
    if isJSON, !output.isEmpty,
      (try? JSONSerialization.jsonObject(with: Data(output.utf8), options: [.fragmentsAllowed])) == nil
    {
      return "--json output is not valid JSON"
    }
    return nil
  }

  /// The problem with an error message, or nil when it is one clean line.
  public static func errorProblem(_ message: String) -> String? {
    let trimmed = message.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.isEmpty { return "empty error message" }
    if trimmed.contains(where: \.isNewline) { return "error message spans several lines" }
    if trimmed.count > longestErrorLine { return "error message longer than \(longestErrorLine) characters" }
    for marker in rawErrorMarkers where trimmed.contains(marker) {
      return "raw error dump (\(marker))"
    }
    for prefix in ["Swift.", "Foundation."] {
      if let range = trimmed.range(of: prefix), range.upperBound < trimmed.endIndex,
        trimmed[range.upperBound].isUppercase
      {
        return "raw error dump (\(prefix)\(trimmed[range.upperBound...].prefix(while: \.isLetter)))"
      }
    }
    if let dump = typeDump(trimmed) { return "raw error dump (\(dump))" }
    return nil
  }

  /// Text that only a printed Swift or Foundation error value contains.
  static let rawErrorMarkers = [
    "DecodingError", "EncodingError", "NSCocoaErrorDomain", "Error Domain=", "NSPOSIXErrorDomain", "UserInfo=",
    "codingPath", "debugDescription", "underlyingError", "Optional(", "_NSCoderError",
    "YamlError", "ParseError(", "CatalogError(",
  ]

  /// `Name(label: ` at a word start: a struct or enum payload printed by `String(describing:)`.
  static func typeDump(_ text: String) -> String? {
    guard let regex = try? NSRegularExpression(pattern: "\\b[A-Z][A-Za-z0-9_]*\\([a-z][A-Za-z0-9_]*: ") else {
      return nil
    }
    let range = NSRange(text.startIndex..., in: text)
    guard let match = regex.firstMatch(in: text, range: range), let found = Range(match.range, in: text) else {
      return nil
    }
    return String(text[found])
  }

  /// A whole-word `inf`, `nan`, `infinity` (any case, signed) or `∞`; not "InfiniBand",
  /// "information", "nanoseconds".
  public static func nonFiniteToken(_ text: String, echoedFrom input: String = "") -> String? {
    // A word is echoed when it stands in the input with the same 6 characters after it
    // ("Inf[[[[[[" of a cut "InfiniBand"); an `inf` computed from a `.inf` value is printed in
    // another context ("inf GB", "inf,") and still counts.
    let echoed = Set(nonFiniteWords(input).map(\.context))
    if text.contains("∞") && !input.contains("∞") { return "∞" }
    return nonFiniteWords(text).first { !echoed.contains($0.context) }?.word
  }

  /// Every whole word of `text` that reads as inf, nan or infinity (signed or not), in order,
  /// with the word and the 6 characters after it as its context.
  static func nonFiniteWords(_ text: String) -> [(word: String, context: String)] {
    var found: [(word: String, context: String)] = []
    var word = ""
    let characters = Array(text)
    func check(endingAt end: Int) {
      let lower = word.lowercased()
      let bare = lower.hasPrefix("-") || lower.hasPrefix("+") ? String(lower.dropFirst()) : lower
      guard ["inf", "nan", "infinity"].contains(bare) else { return }
      found.append((word, word + String(characters[end..<min(characters.count, end + 6)])))
    }
    for (index, character) in characters.enumerated() {
      if character.isLetter || character.isNumber || character == "_" || (character == "-" && word.isEmpty)
        || (character == "+" && word.isEmpty)
      {
        word.append(character)
      } else {
        check(endingAt: index)
        word = ""
      }
    }
    check(endingAt: characters.count)
    return found
  }

  /// The first number token (not part of a word or a hex string) whose magnitude exceeds
  /// `absurdMagnitude`, or that has more than 30 digits.
  public static func absurdNumber(_ text: String) -> String? {
    let characters = Array(text.unicodeScalars)
    var index = 0
    func isWordScalar(_ s: Unicode.Scalar) -> Bool {
      CharacterSet.alphanumerics.contains(s) || s == "_"
    }
    while index < characters.count {
      let scalar = characters[index]
      let startsNumber = ("0"..."9").contains(scalar)
      if startsNumber, index == 0 || !isWordScalar(characters[index - 1]) && characters[index - 1] != "." {
        var end = index
        var token = ""
        while end < characters.count {
          let s = characters[end]
          let isExponentSign = (s == "-" || s == "+") && token.last.map { $0 == "e" || $0 == "E" } == true
          if ("0"..."9").contains(s) || s == "." || s == "e" || s == "E" || isExponentSign {
            token.unicodeScalars.append(s)
            end += 1
          } else {
            break
          }
        }
        // A comma ends a number: "0,1,2,3" lists GPUs, and no LLMPlan output groups digits.
        while let last = token.last, last == "." || last == "e" || last == "E" { token.removeLast() }
        let followedByWord = end < characters.count && isWordScalar(characters[end])
        // Followed by a letter or digit: part of a word or a hex hash ("6e0141…"), not a number.
        if !followedByWord {
          let plain = token
          let digits = plain.filter(\.isNumber).count
          if let value = Double(plain), abs(value) > absurdMagnitude || digits > 30 {
            return token
          } else if Double(plain) == nil, digits > 30 {
            return token
          }
        }
        index = max(end, index + 1)
      } else {
        index += 1
      }
    }
    return nil
  }
}
