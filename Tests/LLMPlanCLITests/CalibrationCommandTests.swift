import Foundation
import PlanCore
import Testing

@testable import llmplan

/// `calibrate` and `accuracy` on a user's file in LLMPlan's own CSV format.
@Suite struct CalibrationCommandTests {
  static let catalogRoot =
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Models").path

  static func scratch(_ name: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "llmplan-calibrate-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent(name).path
  }

  /// A user's timings (seconds) of Llama-2-7B operators on an H100 and NCCL all-reduces in a
  /// DGX H100: medians copied from rows of the Vidur profile in Models/measurements/h100-dgx-vidur.
  static let userFile = """
    # kind,name,tokens,tp,bytes,gpus,gpus_per_node,seconds
    kind,name,tokens,tp,bytes,gpus,gpus_per_node,seconds
    operator,qkv_proj,1,1,,,,0.000038
    operator,qkv_proj,64,1,,,,0.000040
    operator,qkv_proj,256,1,,,,0.000052
    operator,qkv_proj,1024,1,,,,0.000151
    operator,qkv_proj,2048,1,,,,0.000281
    operator,qkv_proj,4096,1,,,,0.000584
    operator,qkv_proj,1,8,,,,0.000007
    operator,qkv_proj,256,8,,,,0.0000135
    operator,qkv_proj,1024,8,,,,0.000027
    operator,qkv_proj,4096,8,,,,0.000086
    operator,input_norm,1,1,,,,0.000004
    operator,input_norm,512,1,,,,0.000007
    operator,input_norm,1024,1,,,,0.000013
    operator,input_norm,2048,1,,,,0.000026
    operator,input_norm,4096,1,,,,0.0000665
    collective,all_reduce,,,1048576,8,8,0.000034
    collective,all_reduce,,,4194304,8,8,0.000051
    collective,all_reduce,,,16777216,8,8,0.000115
    collective,all_reduce,,,67108864,8,8,0.000322
    collective,all_reduce,,,4194304,2,2,0.000043
    collective,all_reduce,,,16777216,2,2,0.000074
    collective,all_reduce,,,67108864,2,2,0.000245
    collective,all_reduce,,,16777216,4,4,0.000094
    collective,all_reduce,,,67108864,4,4,0.000318
    """

  @Test func calibrateWritesAGPUFileThatAccuracyThenReads() throws {
    let measurements = try Self.scratch("mine.csv")
    try Data(Self.userFile.utf8).write(to: URL(fileURLWithPath: measurements))
    let out = try Self.scratch("h100-mine.json")
    let command = try CalibrateCommand.parse([
      "--catalog", Self.catalogRoot, "--gpu", "h100-80gb-sxm", "--cluster", "dgx-h100", "--model", "llama-2-7b",
      "--measurements", measurements, "--out", out, "--keep-physical",
    ])
    let outcome = try command.execute()
    #expect(outcome.refusal == nil && outcome.written == out)
    #expect(outcome.text.contains("qkv_proj") && outcome.text.contains("Collective protocols (9 NCCL"))
    // The written file is a GPU file the catalog reads, marked calibrated, with the fitted laws.
    let gpu = try Catalog(root: Self.catalogRoot).gpu(out)
    #expect(gpu.efficiency.uncertainty?.calibrated == true)
    #expect(gpu.efficiency.operators["qkv_proj"] != nil && gpu.efficiency.operators["input_norm"] != nil)
    #expect(gpu.displayName.hasSuffix("(calibrated)"))

    // The robust fit minimises the mean |relative error| of each law (IRLS with weights
    // 1/max(|r|, 1 %), which can sit at most about half that floor above the exact optimum), and
    // the datasheet law is one of the laws it could have chosen: on the fitted points the
    // calibrated file does no worse, per operator and for the all-reduce law.
    func means(_ gpuName: String) throws -> [String: Double] {
      let text = try AccuracyCommand.parse([
        "--catalog", Self.catalogRoot, "--gpu", gpuName, "--cluster", "dgx-h100", "--model", "llama-2-7b",
        "--measurements", measurements, "--json",
      ]).render()
      let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
      let rows = try #require((object["report"] as? [String: Any])?["rows"] as? [[String: Any]])
      var result: [String: Double] = [:]
      for row in rows where row["kind"] as? String != "collective_group" {
        let stats = try #require(row["statistics"] as? [String: Any])
        result[try #require(row["name"] as? String)] = try #require(stats["meanAbsoluteRelativeError"] as? Double)
      }
      return result
    }
    let before = try means("h100-80gb-sxm")
    let after = try means(out)
    #expect(Set(before.keys) == ["qkv_proj", "input_norm", "all_reduce"])
    try #require(Set(after.keys) == Set(before.keys))
    for (name, error) in after {
      let previous = try #require(before[name])
      #expect(error <= previous + 0.005, "\(name)")
    }
  }

  @Test func timingsFasterThanTheGPUAreRefusedAndNothingIsWritten() throws {
    // qkv_proj of a 7B layer at 4096 tokens is 2·4096·4096·12288 = 412 GFLOP; in 58 µs that is
    // 7.1 PFLOP/s, seven times the H100's 989 TFLOP/s: a unit slip (ms read as 10⁻⁴ s).
    let text = """
      kind,name,tokens,tp,seconds
      operator,qkv_proj,1,1,0.0000038
      operator,qkv_proj,256,1,0.0000052
      operator,qkv_proj,1024,1,0.0000151
      operator,qkv_proj,2048,1,0.0000281
      operator,qkv_proj,4096,1,0.0000584
      operator,qkv_proj,1,8,0.0000007
      operator,qkv_proj,1024,8,0.0000027
      operator,qkv_proj,4096,8,0.0000086
      """
    let measurements = try Self.scratch("wrong-unit.csv")
    try Data(text.utf8).write(to: URL(fileURLWithPath: measurements))
    let out = try Self.scratch("never.json")
    let outcome = try CalibrateCommand.parse([
      "--catalog", Self.catalogRoot, "--gpu", "h100-80gb-sxm", "--model", "llama-2-7b", "--measurements", measurements,
      "--out", out,
    ]).execute()
    let refusal = try #require(outcome.refusal)
    #expect(refusal.contains("not physical") && outcome.written == nil)
    #expect(!FileManager.default.fileExists(atPath: out))
    #expect(
      outcome.text.contains("qkv_proj: compute efficiency") || outcome.text.contains("qkv_proj: memory efficiency"))
  }
}
