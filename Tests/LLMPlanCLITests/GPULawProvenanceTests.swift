import Foundation
import PlanCore
import Testing

@testable import llmplan

/// `llmplan gpus` says, per GPU, which laws were fitted on its own measurements and which are
/// datasheet-derived; a GPU whose memory differs in kind from the one the per-operator
/// fractions were fitted on is told so.
@Suite struct GPULawProvenanceTests {
  static let catalog = Catalog(
    root: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Models").path)

  @Test func h100KernelLawsAreFittedAndA100RefusesFP8() throws {
    let h100 = GPUFacts(try Self.catalog.gpu("h100-80gb-sxm"))
    #expect(h100.laws["attention"] == "fitted")
    #expect(h100.laws["gemm_fp8"] == "fitted")
    #expect(h100.memoryKind == "HBM3")
    let h200 = GPUFacts(try Self.catalog.gpu("h200-141gb-sxm"))
    #expect(h200.laws["attention"] == "datasheet-derived")
    #expect(h200.laws["gemm_fp8"] == "datasheet-derived")
    let a100 = GPUFacts(try Self.catalog.gpu("a100-80gb-sxm"))
    #expect(a100.laws["gemm_fp8"]?.hasPrefix("none") == true)
  }

  @Test func gddrFixtureDoesNotInheritHBMFractions() throws {
    // A GDDR6X board described with the H100 file's efficiency block: its per-operator
    // fractions were fitted on HBM3, so they are reported (and used) as not applying.
    var gpu = try Self.catalog.gpu("h100-80gb-sxm")
    gpu.memoryKind = .gddr6x
    let facts = GPUFacts(gpu)
    #expect(facts.laws["operators"]?.contains("not applied to GDDR6X") == true)
    #expect(facts.memoryKind == "GDDR6X")
  }

  @Test func unknownMemoryKindIsRefusedWithTheKnownOnes() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("llmplan-memkind-\(getpid())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let source = try Self.catalog.resolve("h100-80gb-sxm", kind: .gpu).path
    var object =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source))) as! [String: Any]
    object["memory_kind"] = "HBM9"
    let path = directory.appendingPathComponent("gpu.json").path
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    do {
      _ = try Self.catalog.gpu(path)
      Issue.record("an unknown memory kind must be refused")
    } catch {
      let text = "\(error)"
      #expect(text.contains("memory_kind") && text.contains("HBM9") && text.contains("GDDR6X"))
    }
  }
}
