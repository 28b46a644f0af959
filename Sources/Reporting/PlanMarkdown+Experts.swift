import PlanCore
import Planner

/// The precision and expert-parallel columns of the layout and shortlist tables, present only
/// when the plan involves an MoE model or a precision setting (dense reports are unchanged).
extension PlanMarkdown {
  /// Inserts "weights/KV" and "EP" after the first two columns ("#", "layout") and makes the
  /// precision part of the key repeated in split tables.
  static func withExpertColumns(_ table: MarkdownTable, _ plan: PlanResult) -> MarkdownTable {
    guard plan.showsExpertsOrPrecision else { return table }
    var headers = table.headers
    var alignments = table.alignments
    headers.insert(contentsOf: ["weights/KV", "EP"], at: 2)
    alignments.insert(contentsOf: [.left, .right], at: 2)
    return MarkdownTable(headers, alignments: alignments, keyColumns: table.keyColumns + 1)
  }

  /// The two cells of `withExpertColumns` for one candidate, inserted after its first two.
  static func expertCells(_ cells: [String], layout: Layout, precision: PlanPrecision?, _ plan: PlanResult) -> [String]
  {
    guard plan.showsExpertsOrPrecision else { return cells }
    var result = cells
    result.insert(contentsOf: [precision?.cell ?? "-", layout.ep > 1 ? "\(layout.ep)" : "-"], at: min(2, cells.count))
    return result
  }

  /// The recommended layout's name for headings: "TP2·PP1·DP4", plus its precision when shown.
  static func recommendedName(_ plan: PlanResult) -> String? {
    guard let layout = plan.recommendation.layout else { return nil }
    return plan.recommendation.precision.map { "\(layout), \($0.cell)" } ?? layout.description
  }
}
