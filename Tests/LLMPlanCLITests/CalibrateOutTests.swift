import Foundation
import PlanCore
import Testing

@testable import llmplan

/// `calibrate --out` follows the rules of every LLMPlan writer: it replaces only a GPU file
/// `calibrate` wrote, never its own `--gpu` input or a user's file unless `--force`.
@Suite struct CalibrateOutTests {
  static let catalog = CalibrationCommandTests.catalogRoot

  static func arguments(gpu: String, measurements: String, out: String) -> [String] {
    [
      "--catalog", catalog, "--gpu", gpu, "--cluster", "dgx-h100", "--model", "llama-2-7b", "--measurements",
      measurements, "--out", out, "--keep-physical",
    ]
  }

  static func measurements(in directory: URL) throws -> String {
    let path = directory.appendingPathComponent("mine.csv").path
    try CalibrationCommandTests.userFile.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test func itsOwnGPUInputIsNotOverwritten() throws {
    let directory = try CLIRunner.scratch()
    let gpu = directory.appendingPathComponent("my-h100.json").path
    try FileManager.default.copyItem(atPath: Self.catalog + "/gpus/h100-80gb-sxm.json", toPath: gpu)
    let before = try Data(contentsOf: URL(fileURLWithPath: gpu))
    let command = try CalibrateCommand.parse(
      Self.arguments(gpu: gpu, measurements: try Self.measurements(in: directory), out: gpu))
    #expect(throws: (any Error).self) { _ = try command.execute() }
    #expect(try Data(contentsOf: URL(fileURLWithPath: gpu)) == before)
  }

  @Test func aUsersFileNeedsForceAndItsOwnOutputDoesNot() throws {
    let directory = try CLIRunner.scratch()
    let measurements = try Self.measurements(in: directory)
    let out = directory.appendingPathComponent("h100-mine.json").path
    try "{\"my\": \"notes\"}".write(toFile: out, atomically: true, encoding: .utf8)
    let refused = try CalibrateCommand.parse(Self.arguments(gpu: "h100-80gb-sxm", measurements: measurements, out: out))
    do {
      _ = try refused.execute()
      Issue.record("a user's file must not be overwritten without --force")
    } catch {
      #expect(String(describing: error).contains("refusing to overwrite"))
    }
    #expect(try String(contentsOfFile: out, encoding: .utf8) == "{\"my\": \"notes\"}")
    let forced = try CalibrateCommand.parse(
      Self.arguments(gpu: "h100-80gb-sxm", measurements: measurements, out: out) + ["--force"])
    #expect(try forced.execute().written == out)
    #expect(CalibrateCommand.isCalibratedGPUFile(out))
    // The file is now calibrate's own: a second run replaces it without --force.
    #expect(try refused.execute().written == out)
  }
}
