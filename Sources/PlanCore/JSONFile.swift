import Foundation

extension NSNull: NSNullLike {}

/// Reads a JSON (or YAML, by extension) file into a `FieldReader`, with file-named errors.
public enum DataFile {
  public static func read(_ path: String) throws -> FieldReader {
    try checkSize(path, limit: Plausibility.maximumDataFileBytes)
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CatalogError(file: path, field: "", reason: "cannot read the file (missing or unreadable)")
    }
    return try parse(data, file: path)
  }

  public static func parse(_ data: Data, file: String) throws -> FieldReader {
    guard data.count <= Plausibility.maximumDataFileBytes else {
      throw CatalogError(
        file: file, field: "",
        reason:
          "the file has \(PlausibleCount.grouped(data.count)) bytes; the limit is \(PlausibleCount.grouped(Plausibility.maximumDataFileBytes))"
      )
    }
    let lower = file.lowercased()
    if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") {
      return try YAMLData.parse(data, file: file)
    }
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    } catch {
      throw CatalogError(file: file, field: "", reason: "not valid JSON (\(shortJSONError(error)))")
    }
    guard let dictionary = object as? [String: Any] else {
      throw CatalogError(file: file, field: "", reason: "the top level must be a JSON object")
    }
    return FieldReader(file: file, object: dictionary)
  }

  /// Refuses a file larger than `limit` bytes before reading it (a data file that large is
  /// a mistake, and reading it would only exhaust memory).
  static func checkSize(_ path: String, limit: Int) throws {
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    if let size = (attributes?[.size] as? NSNumber)?.intValue, size > limit {
      throw CatalogError(
        file: path, field: "",
        reason: "the file has \(PlausibleCount.grouped(size)) bytes; the limit is \(PlausibleCount.grouped(limit))")
    }
  }

  static func shortJSONError(_ error: Error) -> String {
    let nsError = error as NSError
    let text = (nsError.userInfo[NSDebugDescriptionErrorKey] as? String) ?? nsError.localizedDescription
    // Error messages are printed on one line.
    return text.split(whereSeparator: \.isNewline).joined(separator: " ")
  }
}
