import Foundation
import PlanCore

/// Reads measurement files, recognising the format from the header: LLMPlan's own
/// (`SimpleFormat`) or the Vidur profiler's operator and collective files (`ProfilerFormat`).
public struct MeasurementReader: Sendable {
  /// Model for operator rows of the simple format that name none.
  public var defaultModel: ModelSpec?
  /// Loads a model named in a `model` column (a catalog name or a config.json path).
  public var resolveModel: @Sendable (String) throws -> ModelSpec
  /// Precision of profiler operator files, which do not record it.
  public var profilerDType: DType

  public init(
    defaultModel: ModelSpec? = nil, profilerDType: DType = .fp16,
    resolveModel: @escaping @Sendable (String) throws -> ModelSpec = { name in
      throw CatalogError(file: name, field: "", reason: "no catalog to load models from")
    }
  ) {
    self.defaultModel = defaultModel
    self.resolveModel = resolveModel
    self.profilerDType = profilerDType
  }

  /// Reads one file.
  public func read(path: String) throws -> MeasurementSet {
    try read(table: CSVTable.read(path: path))
  }

  /// Reads CSV text (for tests and piped input); `file` names it in errors.
  public func read(text: String, file: String) throws -> MeasurementSet {
    try read(table: CSVTable(text: text, file: file))
  }

  /// Reads several files into one set.
  public func read(paths: [String]) throws -> MeasurementSet {
    var all = MeasurementSet()
    for path in paths { all.append(try read(path: path)) }
    return all
  }

  func read(table: CSVTable) throws -> MeasurementSet {
    // Collective tables first: they also have the kernel tables' op_name/kernel_source/latency.
    if AIConfiguratorAllToAll.matches(table) { return try AIConfiguratorAllToAll.read(table) }
    if AIConfiguratorCollectives.matches(table) { return try AIConfiguratorCollectives.read(table) }
    if AIConfiguratorKernels.matches(table) { return try AIConfiguratorKernels.read(table) }
    if SimpleFormat.matches(table) {
      return try SimpleFormat.read(table, defaultModel: defaultModel, resolveModel: resolveModel)
    }
    if ProfilerFormat.matches(table) {
      if table.has("num_tokens") { return try ProfilerFormat.readOperators(table, dtype: profilerDType) }
      if table.has("collective") { return try ProfilerFormat.readCollectives(table) }
    }
    throw MeasurementFileError(
      file: table.file, line: 0,
      reason: "unrecognised header: expected LLMPlan's format (columns kind, name, …, seconds) or a Vidur "
        + "profiler file (time_stats.<op>.median columns with num_tokens, or with collective and size)")
  }
}
