import ArgumentParser
import Foundation
import PlanCore

/// Options of the listing commands (`models`, `gpus`, `clusters`): every entry of one kind in
/// the catalog, or just the names and file paths the user gave (`llmplan models path/config.json`).
struct ListingOptions: ParsableArguments {
  @OptionGroup var catalogOptions: CatalogOptions

  @Option(name: .long, help: "A file (a HuggingFace config.json for models) or catalog name to show; repeatable.")
  var file: [String] = []

  @Argument(help: "Catalog names or file paths (default: the whole catalog).")
  var names: [String] = []

  @Flag(name: .long, help: "Print JSON instead of a table.")
  var json = false

  /// Loads and validates the requested entries of `kind`, turns each into its listing row and
  /// renders them as JSON or as a table.
  func render<Entry, Facts: Encodable>(
    _ kind: Catalog.Kind, load: (Catalog, String) throws -> Entry, facts: (Entry) -> Facts,
    table: ([Facts]) -> String
  ) throws -> String {
    let rows = try self.load(kind, load).map(facts)
    return json ? try JSONOutput.string(rows) : table(rows)
  }

  /// Catalog entries of `kind`, loaded and validated. A request made only of file paths does
  /// not need a catalog directory at all.
  func load<Entry>(_ kind: Catalog.Kind, _ loadOne: (Catalog, String) throws -> Entry) throws -> [Entry] {
    let requested = names + file
    let onlyPaths = !requested.isEmpty && requested.allSatisfy(Catalog.isFilePath)
    let catalog: Catalog
    if onlyPaths && catalogOptions.catalog == nil {
      catalog = Catalog(root: FileManager.default.currentDirectoryPath)  // paths never consult the root
    } else {
      catalog = try catalogOptions.load()
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
