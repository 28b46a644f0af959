import Foundation
import Testing

/// `--format` of `recommend` and `validate`: refused before any planning when it names no
/// format or contradicts the `--report` extension (usage error, exit 64, one clear line).
@Suite struct ReportFormatFlagTests {
  @Test func contradictoryOrUnknownFormatsAreUsageErrors() throws {
    let mismatch = try CLIRunner.run([
      "recommend", "--catalog", CLIRunner.catalog, "--format", "html", "--report", "plan.md",
    ])
    #expect(mismatch.status == 64)
    #expect(mismatch.errorLine.contains("--format html contradicts --report plan.md"), "\(mismatch.stderr)")
    let unknown = try CLIRunner.run(["validate", "--catalog", CLIRunner.catalog, "--format", "pdf"])
    #expect(unknown.status == 64)
    #expect(unknown.errorLine.contains("\"pdf\" is not a report format (allowed: markdown, html)"), "\(unknown.stderr)")
    let validateMismatch = try CLIRunner.run(
      ["validate", "--catalog", CLIRunner.catalog, "--format", "markdown", "--report", "sweep.html"])
    #expect(validateMismatch.status == 64)
  }
}
