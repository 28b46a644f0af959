import Foundation
import PlanCore
import Testing

@testable import Analytic

/// `estimate --static-batch` against published static-batch tables
/// (`Models/measurements/published-static-batch/`, sources in its README): every row predicted
/// with the catalog's model and GPU files, whole-batch prefill, default engine settings.
/// Errors are latency-signed: + means LLMPlan is too slow (for a throughput, published / predicted − 1).
@Suite struct StaticBatchPublishedTests {
  struct Row {
    var source: String
    var model: String
    var gpu: String
    var tp: Int
    var pp: Int
    var batch: Int
    var input: Int
    var output: Int
    var metric: String
    var value: Double
  }

  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let catalog = Catalog(root: root.appendingPathComponent("Models").path)

  static func rows() throws -> [Row] {
    let path = root.appendingPathComponent("Models/measurements/published-static-batch/static-batch.csv")
    let lines = try String(contentsOf: path, encoding: .utf8).split(separator: "\n").map(String.init)
    let header = lines[0].split(separator: ",").map(String.init)
    func column(_ name: String) throws -> Int { try #require(header.firstIndex(of: name), "no column \(name)") }
    let (s, m, g, tp, pp, b, i, o, metric, value) = (
      try column("source"), try column("model"), try column("gpu"), try column("tp"), try column("pp"),
      try column("batch"), try column("input_tokens"), try column("output_tokens"), try column("metric"),
      try column("value")
    )
    return try lines.dropFirst().map { line in
      let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      #expect(f.count == header.count, "\(line)")
      return Row(
        source: f[s], model: f[m], gpu: f[g], tp: try #require(Int(f[tp])), pp: try #require(Int(f[pp])),
        batch: try #require(Int(f[b])), input: try #require(Int(f[i])), output: try #require(Int(f[o])),
        metric: f[metric], value: try #require(Double(f[value])))
    }
  }

  /// Latency-signed relative error of the prediction for `row`.
  static func error(_ row: Row) throws -> Double {
    let model = try catalog.model(row.model)
    let gpu = try catalog.gpu(row.gpu)
    let layout = try Layout.checked(tp: row.tp, pp: row.pp, dp: 1)
    let evaluator = try LayoutEvaluator(
      model: model, gpu: gpu, cluster: Cluster.idealNodes(gpu: gpu, gpuCount: layout.totalGPUs), layout: layout)
    let p = try evaluator.staticBatch(
      StaticBatchShape(batch: row.batch, inputTokens: row.input, outputTokens: row.output, prefill: .whole))
    switch row.metric {
    case "output_tokens_per_second_per_gpu":
      return row.value / (p.outputTokensPerSecond / Double(layout.totalGPUs)) - 1
    case "output_tokens_per_second":
      return row.value / p.outputTokensPerSecond - 1
    case "first_token_latency":
      return p.prefillSeconds * 1000 / row.value - 1
    default:
      Issue.record("unknown metric \(row.metric)")
      return .nan
    }
  }

  static func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let n = sorted.count
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
  }

  @Test func publishedStaticBatchTables() throws {
    let rows = try Self.rows()
    #expect(rows.count == 42)
    var errors: [(Row, Double)] = []
    for row in rows { errors.append((row, try Self.error(row))) }
    var report = ["source            model        TP  B     L     O     metric                            error"]
    for (row, error) in errors {
      report.append(
        [
          row.source.padding(toLength: 17, withPad: " ", startingAt: 0),
          row.model.padding(toLength: 12, withPad: " ", startingAt: 0),
          String(row.tp).padding(toLength: 3, withPad: " ", startingAt: 0),
          String(row.batch).padding(toLength: 5, withPad: " ", startingAt: 0),
          String(row.input).padding(toLength: 5, withPad: " ", startingAt: 0),
          String(row.output).padding(toLength: 5, withPad: " ", startingAt: 0),
          row.metric.padding(toLength: 33, withPad: " ", startingAt: 0), String(format: "%+.1f%%", error * 100),
        ].joined(separator: " "))
    }
    let all = errors.map { abs($0.1) }
    let bySource = Dictionary(grouping: errors, by: { $0.0.source })
    for (source, group) in bySource.sorted(by: { $0.key < $1.key }) {
      report.append(
        "median |error| \(source): " + String(format: "%.1f%%", Self.median(group.map { abs($0.1) }) * 100)
          + " over \(group.count) rows")
    }
    report.append("median |error| all: " + String(format: "%.1f%%", Self.median(all) * 100))
    print(report.joined(separator: "\n"))
    #expect(all.allSatisfy { $0.isFinite })
    // The issue's target: end-to-end static-batch latency within 15 % median on the published
    // tables, overall and for each source.
    #expect(Self.median(all) <= 0.15)
    for (source, group) in bySource {
      #expect(Self.median(group.map { abs($0.1) }) <= 0.15, "median |error| of \(source)")
    }
    // End-to-end throughput (prefill and every decode step) and long-prompt first tokens: no
    // row off by more than the 25 % the issue allows uncalibrated GPU defaults on GEMMs.
    for (row, error) in errors where row.metric != "first_token_latency" || row.input >= 2048 {
      #expect(abs(error) <= 0.25, "\(row.source) \(row.model) B=\(row.batch) \(row.input)/\(row.output) \(row.metric)")
    }
    // Known miss: first tokens of 128-token prompts are predicted 20–52 % too fast (LMDeploy
    // 22–74 ms measured; TensorRT-LLM 16–36 ms), a regime of per-iteration engine time and
    // kernel floors rather than FLOPs or bytes (issue 12, items 1, 2 and 7). Guarded loosely
    // (within 2.5×) so that the test still catches a broken prefill, not tuned to the figures.
    for (row, error) in errors where row.metric == "first_token_latency" && row.input < 2048 {
      #expect(1 + error >= 1 / 2.5 && 1 + error <= 2.5, "\(row.source) \(row.model) \(row.input) tokens")
    }
  }
}
