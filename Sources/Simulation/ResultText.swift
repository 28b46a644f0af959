import Foundation
import PlanCore

extension SimulationResult {
  /// The result as aligned plain-text tables for people (the CLI's default output).
  public func renderedText() -> String {
    var lines: [String] = []
    func percent(_ part: Int) -> String {
      arrived > 0 ? String(format: "%5.1f %%", 100 * Double(part) / Double(arrived)) : "    –  "
    }
    func rate(_ value: Double?, _ unit: String) -> String {
      value.map { Units.threeSignificant($0) + " " + unit } ?? "n/a"
    }
    let warm = warmupRequests > 0 ? ", \(warmupRequests) warm-up requests excluded" : ""
    lines.append(
      "Measured \(arrived) requests over \(Units.formatSeconds(windowSeconds)) "
        + "(from \(Units.formatSeconds(windowStartSeconds))\(warm)); simulated \(Units.formatSeconds(simulatedSeconds)), \(events) events"
    )
    let rows: [(String, Int, String)] = [
      ("succeeded", succeeded, ""),
      ("failed SLO", failedSLO, ""),
      (
        "rejected", rejected,
        rejected > 0
          ? "queue full \(rejections.queueFull), timeout \(rejections.timeout), too long \(rejections.tooLong)" : ""
      ),
      ("unfinished", unfinished, unfinished > 0 ? "still queued or running at the drain limit" : ""),
    ]
    let countWidth = max(String(arrived).count, 5)
    for (label, count, note) in rows {
      let padded = label.padding(toLength: 12, withPad: " ", startingAt: 0)
      let number = String(repeating: " ", count: max(countWidth - String(count).count, 0)) + String(count)
      lines.append("  \(padded)\(number)  \(percent(count))\(note.isEmpty ? "" : "  (\(note))")")
    }
    lines.append(
      "Throughput  \(rate(requestsPerSecond, "req/s")), \(rate(outputTokensPerSecond, "output tok/s")); "
        + "goodput \(rate(goodputRequestsPerSecond, "req/s")) of \(rate(arrivalRatePerSecond, "req/s")) offered")
    lines.append("")

    let header = ["latency", "mean", "p50", "p90", "p99", "max", "n"]
    var table: [[String]] = [header]
    for (name, summary) in [
      ("TTFT", ttftSeconds), ("TPOT", tpotSeconds), ("E2E", e2eSeconds), ("queueing", queueingDelaySeconds),
    ] {
      if let s = summary {
        table.append(
          [name] + [s.mean, s.p50, s.p90, s.p99, s.max].map(Units.formatSeconds) + [String(s.count)])
      } else {
        table.append([name, "–", "–", "–", "–", "–", "0"])
      }
    }
    lines += Self.aligned(table)
    lines.append("")

    var replicaTable: [[String]] = [
      ["replica", "requests", "completed", "rejected", "preempted", "KV mean", "KV peak", "stage busy"]
    ]
    func fraction(_ value: Double?) -> String { value.map { String(format: "%.0f %%", 100 * $0) } ?? "–" }
    for (index, replica) in replicas.enumerated() {
      replicaTable.append([
        String(index), String(replica.requests), String(replica.completed), String(replica.rejected),
        String(replica.preemptions), fraction(replica.kvCacheUtilisation), fraction(replica.peakKVCacheUtilisation),
        replica.stageBusyFraction.map { $0.map { fraction($0) }.joined(separator: " ") } ?? "–",
      ])
    }
    lines += Self.aligned(replicaTable)
    if waitingAtWindowEnd > 0 {
      lines.append("")
      lines.append(
        "\(waitingAtWindowEnd) requests were waiting at the end of the arrival window: the load may exceed capacity.")
    }
    return lines.joined(separator: "\n")
  }

  /// Columns padded to their widest cell: first column left-aligned, the rest right-aligned.
  static func aligned(_ rows: [[String]]) -> [String] {
    let columns = rows.map(\.count).max() ?? 0
    var widths = [Int](repeating: 0, count: columns)
    for row in rows {
      for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
    }
    return rows.map { row in
      row.enumerated().map { index, cell in
        let pad = String(repeating: " ", count: widths[index] - cell.count)
        return index == 0 ? cell + pad : pad + cell
      }.joined(separator: "  ")
    }
  }
}
