import Foundation
import Testing

/// The built `llmplan` beside the test bundle (SwiftPM puts products and the test runner in one
/// folder), or `$LLMPLAN_BINARY`.
func llmplanBinary() throws -> String {
  if let explicit = ProcessInfo.processInfo.environment["LLMPLAN_BINARY"], !explicit.isEmpty { return explicit }
  var candidates = [Bundle.main.bundleURL.appendingPathComponent("llmplan").path]
  if let executable = Bundle.main.executableURL {
    candidates.append(executable.deletingLastPathComponent().appendingPathComponent("llmplan").path)
  }
  candidates.append(
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("llmplan").path)
  for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
    candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("llmplan").path)
  }
  candidates.append(packageRoot + "/.build/debug/llmplan")
  guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
    throw FuzzTestError("llmplan binary not found (tried \(candidates.joined(separator: ", ")); set LLMPLAN_BINARY)")
  }
  return found
}

struct FuzzTestError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// Runs `llmplan ARGS` to completion (or kills it after `timeoutSeconds`): status and stdout.
func runLLMPlan(_ arguments: [String], timeoutSeconds: Double) throws -> (status: Int32, output: String, timedOut: Bool)
{
  let process = Process()
  process.executableURL = URL(fileURLWithPath: try llmplanBinary())
  process.arguments = arguments
  process.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
  let out = Pipe()
  process.standardOutput = out
  process.standardError = FileHandle.nullDevice
  try process.run()
  let finished = DispatchSemaphore(value: 0)
  let output = OutputBox()
  let collector = Thread {
    output.set(out.fileHandleForReading.readDataToEndOfFile())
    finished.signal()
  }
  collector.start()
  let timedOut = finished.wait(timeout: .now() + timeoutSeconds) == .timedOut
  if timedOut { process.terminate() }
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: output.get(), as: UTF8.self), timedOut)
}

/// Bytes handed from the reading thread to the test.
private final class OutputBox: @unchecked Sendable {
  private let lock = NSLock()
  private var data = Data()
  func set(_ value: Data) {
    lock.lock()
    data = value
    lock.unlock()
  }
  func get() -> Data {
    lock.lock()
    defer { lock.unlock() }
    return data
  }
}

/// The fuzzer run against the whole pipeline, in a separate process so that a trap or a hang
/// is a failed test with the case that caused it, not a dead test runner.
@Suite(.serialized) struct FuzzRunTests {
  /// Cases in `swift test`: a few hundred; `LLMPLAN_FUZZ_CASES=100000` for the nightly run.
  static var caseCount: Int {
    Int(ProcessInfo.processInfo.environment["LLMPLAN_FUZZ_CASES"] ?? "") ?? 200
  }

  @Test func mutatedFilesGiveResultsOrCleanErrorsOnly() throws {
    let count = Self.caseCount
    let jobs =
      ProcessInfo.processInfo.environment["LLMPLAN_FUZZ_JOBS"]
      ?? "\(max(1, min(4, ProcessInfo.processInfo.activeProcessorCount)))"
    // Generous: a case that hangs is killed after --case-seconds by the fuzzer itself.
    let run = try runLLMPlan(
      ["fuzz", "--seed", "1", "--cases", "\(count)", "--jobs", jobs, "--quiet", "--repo", packageRoot],
      timeoutSeconds: 600 + Double(count) * 5)
    #expect(!run.timedOut, "llmplan fuzz did not finish")
    #expect(run.output.contains("\(count) run in"), "not every case ran:\n\(run.output)")
    #expect(run.status == 0, "\n\(run.output)")
  }

  @Test func aTrapInACaseIsReportedAndTheRunGoesOn() throws {
    let run = try runLLMPlan(
      ["fuzz", "--seed", "1", "--cases", "3", "--quiet", "--repo", packageRoot, "--inject", "crash:1"],
      timeoutSeconds: 300)
    #expect(run.status == 1)
    #expect(run.output.contains("crash 1"), "\(run.output)")
    #expect(run.output.contains("3 run in"), "\(run.output)")
    #expect(run.output.contains("--start 1 --cases 1 --show"), "\(run.output)")
  }

  @Test func aCasePastItsBudgetIsAHang() throws {
    let run = try runLLMPlan(
      [
        "fuzz", "--seed", "1", "--cases", "2", "--quiet", "--repo", packageRoot, "--inject", "hang:0", "--case-seconds",
        "2",
      ], timeoutSeconds: 300)
    #expect(run.status == 1)
    #expect(run.output.contains("hang 1"), "\(run.output)")
    #expect(run.output.contains("2 run in"), "\(run.output)")
  }

  @Test func nonFiniteOutputFailsTheRun() throws {
    let run = try runLLMPlan(
      ["fuzz", "--seed", "1", "--cases", "1", "--quiet", "--repo", packageRoot, "--inject", "nan:0"],
      timeoutSeconds: 300)
    #expect(run.status == 1)
    #expect(run.output.contains("bad-output 1"), "\(run.output)")
    #expect(run.output.contains("non-finite value \"nan\""), "\(run.output)")
  }
}
