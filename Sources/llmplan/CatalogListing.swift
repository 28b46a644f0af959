import Foundation
import PlanCore

/// What a listing command shows: every entry of one kind in the catalog, or the names and
/// file paths the user gave (`llmplan models path/config.json`).
struct ListingRequest {
  var catalogDirectory: String?
  var requested: [String]

  /// Catalog entries of `kind`, loaded and validated. A request made only of file paths does
  /// not need a catalog directory at all.
  func load<T>(_ kind: Catalog.Kind, _ loadOne: (Catalog, String) throws -> T) throws -> [T] {
    let onlyPaths = !requested.isEmpty && requested.allSatisfy { $0.contains("/") || $0.hasSuffix(".json") }
    let catalog: Catalog
    if onlyPaths && catalogDirectory == nil {
      catalog = Catalog(root: FileManager.default.currentDirectoryPath)  // paths never consult the root
    } else {
      catalog = try Catalog.locate(explicit: catalogDirectory)
    }
    let names = requested.isEmpty ? catalog.names(kind) : requested
    guard !names.isEmpty else {
      throw CatalogError(file: "\(catalog.root)/\(kind.rawValue)", field: "", reason: "no .json files found")
    }
    return try names.map { try loadOne(catalog, $0) }
  }
}

/// Number formatting shared by the listings.
enum ListingFormat {
  /// "6.74B", "175B", "125M": parameter counts as people quote them.
  static func count(_ value: Double) -> String {
    let steps: [(Double, String)] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")]
    for (scale, suffix) in steps where abs(value) >= scale {
      return Units.threeSignificant(value / scale) + suffix
    }
    return Units.threeSignificant(value)
  }

  /// "524,288": a whole number with thousands separators (locale-independent).
  static func grouped(_ value: Double) -> String {
    let digits = String(Int64(value.rounded()).magnitude)
    var result = ""
    for (index, character) in digits.enumerated() {
      if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
      result.append(character)
    }
    return value < 0 ? "-" + result : result
  }
}
