import ArgumentParser
import Foundation
import PlanCore
import Planner
import Reporting
import Simulation

/// `llmplan validate`: the analytic model against the simulator over a sweep of loads.
struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Compare the analytic model with the simulator over a sweep of request rates, layout by layout.",
    discussion: """
      For each layout (--layouts TPxPPxDP,… ; default: the scenario's layout, else the analytic top \
      three) and each rate (--rates R,… ; default: 25 %–120 % of each layout's analytic capacity), \
      runs the load model and --replications simulations (seeds derived from the scenario's, run \
      concurrently), and reports TTFT p50/p90, TPOT, throughput and success side by side with the \
      relative gap and the simulated 95 % confidence interval. A gap is flagged when it is above \
      --gap-threshold and the analytic value lies outside the interval, with its likely cause. A rate \
      where nothing could be compared (past the analytic capacity, no simulated figure) is reported \
      as "not compared", never as agreeing; "valid up to" counts compared, agreeing rates only. \
      Prints Markdown (or --json, or HTML with --format html); \
      --report PATH writes it to a file, HTML for a .html path (refusing to overwrite a file llmplan \
      did not write unless --force).
      """)

  @OptionGroup var options: PlanOptions
  @Option(help: "Layouts as TPxPPxDP (e.g. 2x1x3), comma-separated.") var layouts: String?
  @Option(help: "Request rates (req/s), comma-separated.") var rates: String?
  @Option(help: "Simulations per rate, for the 95 % confidence intervals (1 = no interval; at most 100).")
  var replications: Int = Replications.defaultCount
  @Option(help: "Write the Markdown report to this file.") var report: String?
  @Flag(help: "Overwrite the report file even if llmplan did not write it.") var force = false
  @Flag(help: "Print JSON instead of Markdown.") var json = false
  @Option(help: "Report format: markdown or html (default: from the --report extension, .md or .html, else markdown).")
  var format: String?

  func validate() throws {
    do { _ = try ReportFormat.resolve(format: format, reportPath: report) } catch { throw ValidationError("\(error)") }
  }

  func run() throws {
    try withUserFacingErrors {
      let request = try options.request(objective: nil)
      let chosen = try layouts.map(Self.parseLayouts)
      let rateList = try rates.map(Self.parseRates)
      let bar = ProgressBar(label: "validating")
      guard (1...Validator.maxReplications).contains(replications) else {
        throw UserFacingError(
          message:
            "--replications: \(replications) is not allowed (a whole number from 1 to \(Validator.maxReplications))")
      }
      let result = try Validator(request).validate(
        layouts: chosen, rates: rateList, replications: replications, progress: bar.update)
      bar.finish()
      let validation = try ValidationReport(
        validation: result, inputFiles: options.inputFiles(request),
        baseDirectory: FileManager.default.currentDirectoryPath, command: typedCommand())
      let text =
        try ReportFormat.resolve(format: format, reportPath: report) == .html
        ? ValidationHTML.render(validation) : ValidationMarkdown.render(validation)
      if let report { try ReportFile.write(text, to: report, force: force) }
      if json {
        print(try validation.json())
      } else if report == nil {
        print(text, terminator: "")
      } else {
        for layout in result.layouts { print("\(layout.layout): \(layout.validity)") }
        print("\nReport: \(report!)")
      }
    }
  }

  /// "2x1x3,4x1x2" (also "TP2·PP1·DP3" or "tp2pp1dp3").
  static func parseLayouts(_ text: String) throws -> [Layout] {
    try text.split(separator: ",").map { item in
      let trimmed = item.trimmingCharacters(in: .whitespaces).lowercased()
      let numbers = trimmed.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
      let shapeOK =
        trimmed.contains("x")
        ? trimmed.split(separator: "x").count == 3 : (trimmed.contains("tp") && trimmed.contains("dp"))
      guard numbers.count == 3, shapeOK, numbers.allSatisfy({ $0 >= 1 }) else {
        throw UserFacingError(message: "--layouts: cannot read \"\(item)\" (expected TPxPPxDP, e.g. 2x1x3)")
      }
      do { return try Layout.checked(tp: numbers[0], pp: numbers[1], dp: numbers[2]) } catch {
        throw UserFacingError(message: "--layouts: \(error)")
      }
    }
  }

  static func parseRates(_ text: String) throws -> [Double] {
    try text.split(separator: ",").map { item in
      guard let value = Double(item.trimmingCharacters(in: .whitespaces)), value > 0, value.isFinite else {
        throw UserFacingError(message: "--rates: \"\(item)\" is not a positive number of requests per second")
      }
      return value
    }
  }
}
