/// Keeps error messages to one readable line when they echo what a user wrote: a field name or
/// value of 100,000 characters (a corrupted file, a pasted blob) is cut in the middle, with the
/// number of characters left out, so the message still shows where it starts and ends.
public enum MessageText {
  /// Longest piece of user text echoed whole.
  public static let echoLimit = 240

  /// `text` on one line (line breaks become "; "), its middle replaced by
  /// "…[N characters]…" when it is longer than `limit` characters.
  public static func elided(_ text: String, limit: Int = echoLimit) -> String {
    var line = text
    if line.contains(where: \.isNewline) {
      line = line.split(whereSeparator: \.isNewline).joined(separator: "; ")
    }
    guard line.count > limit else { return line }
    let head = line.prefix(limit * 2 / 3)
    let tail = line.suffix(limit / 6)
    return "\(head)…[\(line.count - head.count - tail.count) characters]…\(tail)"
  }
}
