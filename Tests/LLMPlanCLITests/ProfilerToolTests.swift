import Foundation
import Testing

/// The kernel profiler for users' own GPUs (`Tools/profile/llmplan_profile.py`): its GPU-free
/// Python tests pass, and the CSV it writes is what `llmplan accuracy`/`calibrate` read.
@Suite struct ProfilerToolTests {
  static let script = CLIRunner.packageRoot.appendingPathComponent("Tools/profile/llmplan_profile.py").path

  /// Runs `python3 arguments…` in the package root.
  static func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    process.currentDirectoryURL = CLIRunner.packageRoot
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  @Test func pythonTestsPassWithoutAGPU() throws {
    let run = try Self.python(["-m", "unittest", "discover", "-s", "Tools/profile/tests"])
    #expect(run.status == 0, "python3 -m unittest failed (python3 is installed by .ci/run):\n\(run.output)")
  }

  /// The profiler's own writer, fed its own plan for Llama-2-7B at TP 2, produces a file that
  /// `llmplan accuracy` reads in full: one operator timing per planned case.
  @Test func writtenCSVIsReadByAccuracy() throws {
    let directory = try CLIRunner.scratch()
    let csv = directory.appendingPathComponent("profile.csv").path
    // 9 prefill token counts × 11 kernels + 6 decode batches = 105 cases (the script's defaults).
    let writer = """
      import sys; sys.path.insert(0, "Tools/profile")
      import llmplan_profile as p
      cases = p.plan(p.DEFAULT_PREFILL_TOKENS, p.DEFAULT_DECODE_BATCHES, p.DEFAULT_DECODE_CONTEXT)
      assert len(cases) == 105, len(cases)
      with open(sys.argv[1], "w") as out:
          p.write_csv(out, "llama-2-7b", 2, [(c, 1e-5 * (1 + c.tokens / 1024)) for c in cases])
      """
    let written = try Self.python(["-c", writer, csv])
    try #require(written.status == 0, "\(written.output)")
    let run = try CLIRunner.run([
      "accuracy", "--catalog", CLIRunner.catalog, "--gpu", "h100-80gb-sxm", "--measurements", csv, "--json",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let text = run.stdout
    let object = try run.object()
    let report = try #require(object["report"] as? [String: Any], "\(text.prefix(400))")
    let overall = try #require(report["operatorsOverall"] as? [String: Any], "\(text.prefix(400))")
    #expect(overall["count"] as? Int == 105, "\(text.prefix(600))")
  }
}
