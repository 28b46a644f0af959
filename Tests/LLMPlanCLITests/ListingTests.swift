import Foundation
import PlanCore
import Testing

@testable import llmplan

/// `<package>/Models`, found from this file so the tests do not depend on the cwd.
private let catalogRoot =
  URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("Models").path

/// Decoded JSON output of a listing command.
private func jsonArray(_ text: String) throws -> [[String: Any]] {
  try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
}

@Suite struct TextTableTests {
  @Test func columnsAlign() {
    var table = TextTable([.init("NAME"), .init("COUNT", .right)])
    table.append(["a", "1"])
    table.append(["longer", "12345"])
    let lines = table.rendered.split(separator: "\n").map(String.init)
    // Header, rule, two rows; column 2 starts after the widest name (6) and two spaces, and
    // right-aligned numbers end at the same column as the header.
    #expect(lines == ["NAME    COUNT", "------  -----", "a           1", "longer  12345"])
  }

  @Test func numberFormats() {
    #expect(ListingFormat.count(6_738_415_616) == "6.74B")
    #expect(ListingFormat.count(174_604_259_328) == "175B")
    #expect(ListingFormat.count(13_015_864_320) == "13.0B")
    #expect(ListingFormat.count(125e6) == "125M")
    #expect(ListingFormat.grouped(524_288) == "524,288")
    #expect(ListingFormat.grouped(999) == "999")
    #expect(ListingFormat.grouped(4_718_592) == "4,718,592")
  }
}

@Suite struct ModelsCommandTests {
  /// Published totals: Llama 2 paper and model cards, GPT-3 paper Table 2.1, Llama 3 model card,
  /// Mixtral announcement, Qwen3 model cards, DeepSeek-V3 report (sources in each catalog file).
  static let published: [String: Double] = [
    "llama-2-7b": 6.74e9, "llama-2-13b": 13.0e9, "gpt3-175b": 175e9, "llama-2-70b": 69e9, "llama-3-8b": 8.0e9,
    "llama-3-70b": 70.6e9, "llama-2-7b-awq": 6.74e9, "mixtral-8x7b": 46.7e9, "qwen3-30b-a3b": 30.5e9,
    "qwen3-235b-a22b": 235e9, "deepseek-v3": 671e9,
  ]

  @Test func jsonListsTheCatalogModelsWithinOneAndAHalfPercentOfPublished() throws {
    let output = try ModelsCommand.parse(["--catalog", catalogRoot, "--json"]).render()
    let models = try jsonArray(output)
    #expect(models.count == Self.published.count)
    for model in models {
      let name = try #require(model["name"] as? String)
      let parameters = try #require(model["parameters"] as? Double)
      let published = try #require(Self.published[name])
      #expect(abs(parameters - published) / published <= 0.015, "\(name): \(parameters)")
      // Unquantized weight bytes are parameters × 2 B in fp16/bf16; quantized checkpoints hold fewer.
      let precision = try #require(model["weightDType"] as? String)
      let weightBytes = try #require(model["weightBytes"] as? Double)
      #expect(["fp16", "bf16"].contains(precision) ? weightBytes == parameters * 2 : weightBytes < parameters * 2)
      #expect(model["kvCacheBytesPerToken"] is Double)
    }
    // Stable output: the same command prints the same bytes.
    #expect(try ModelsCommand.parse(["--catalog", catalogRoot, "--json"]).render() == output)
  }

  @Test func tableShowsDerivedFacts() throws {
    let output = try ModelsCommand.parse(["--catalog", catalogRoot]).render()
    let lines = output.split(separator: "\n").map(String.init)
    #expect(lines.count == 2 + Self.published.count)
    let row = try #require(lines.first { $0.hasPrefix("llama-2-7b ") })
    // 6,738,415,616 parameters; 2·32·4096·2 = 524,288 KV bytes per token; 13.5 GB of fp16 weights.
    #expect(row.contains("6.74B") && row.contains("524,288") && row.contains("13.5 GB") && row.contains("32/32"))
    let gqa = try #require(lines.first { $0.hasPrefix("llama-2-70b ") })
    // 2·80·1024·2 = 327,680 B/token with 8 KV heads.
    #expect(gqa.contains("64/8") && gqa.contains("327,680"))
  }

  @Test func emptyCatalogDirectoryIsAnError() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("llmplan-empty-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    #expect(throws: CatalogError.self) { try ModelsCommand.parse(["--catalog", directory.path]).render() }
  }

  @Test func userConfigByPath() throws {
    let path = catalogRoot + "/llm/llama-3-8b.json"
    for arguments in [[path], ["--file", path]] {
      let models = try jsonArray(try ModelsCommand.parse(arguments + ["--json"]).render())
      #expect(models.count == 1)
      #expect(models.first?["name"] as? String == "llama-3-8b")
      // 2·32·1024·2 = 131,072 B/token (bf16, 8 KV heads).
      #expect(models.first?["kvCacheBytesPerToken"] as? Double == 131_072)
    }
  }

  @Test func brokenCatalogFileGivesAOneLineErrorNamingFileAndField() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("llmplan-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: catalogRoot + "/llm", toPath: directory.path + "/llm")
    let broken = directory.path + "/llm/llama-2-7b.json"
    let text = try String(contentsOfFile: broken, encoding: .utf8)
      .replacingOccurrences(of: "\"num_key_value_heads\": 32", with: "\"num_key_value_heads\": 6")
    try text.write(toFile: broken, atomically: true, encoding: .utf8)
    do {
      _ = try ModelsCommand.parse(["--catalog", directory.path]).render()
      Issue.record("a broken catalog must not list")
    } catch let error as CatalogError {
      #expect(error.file == broken)
      #expect(error.field == "num_key_value_heads")
      #expect(!String(describing: error).contains("\n"))
    }
  }
}

@Suite struct GPUsCommandTests {
  @Test func jsonCarriesDatasheetFiguresInSI() throws {
    let gpus = try jsonArray(try GPUsCommand.parse(["--catalog", catalogRoot, "--json"]).render())
    #expect(gpus.count == 8)
    let a100 = try #require(gpus.first { $0["name"] as? String == "a100-80gb-sxm" })
    // A100 datasheet: 312 TFLOP/s dense fp16, 80 GB, 2,039 GB/s, NVLink 300 GB/s per direction.
    #expect((a100["peakDenseFLOPSPerSecond"] as? [String: Double])?["fp16"] == 312e12)
    #expect(a100["memoryBytes"] as? Double == 80e9)
    #expect(a100["memoryBandwidthBytesPerSecond"] as? Double == 2039e9)
    #expect(a100["intraNodeLinkBytesPerSecond"] as? Double == 300e9)
    // Default law (issue 7) and A100 whitepaper architecture figures: 108 SMs, 40 MB L2.
    #expect((a100["efficiency"] as? [String: Any])?["computeMax"] as? Double == 0.73)
    #expect(a100["streamingMultiprocessors"] as? Int == 108)
    #expect(a100["l2CacheBytes"] as? Double == 40e6)
  }

  @Test func tableHasOneRowPerGPU() throws {
    let lines = try GPUsCommand.parse(["--catalog", catalogRoot]).render().split(separator: "\n")
    #expect(lines.count == 2 + 8)
    #expect(lines.contains { $0.hasPrefix("h100-80gb-sxm ") && $0.contains("989 TFLOP/s") && $0.contains("3.35 TB/s") })
  }
}

@Suite struct ClustersCommandTests {
  @Test func jsonReportsSizeAndBisection() throws {
    let clusters = try jsonArray(try ClustersCommand.parse(["--catalog", catalogRoot, "--json"]).render())
    #expect(clusters.count == 7)
    func entry(_ name: String) throws -> [String: Any] {
      try #require(clusters.first { $0["name"] as? String == name })
    }
    // Ring: two ring links + two diagonals cross the best split, 75+75+37.5+37.5 = 225 GB/s.
    let ring = try entry("ring4-cross")
    #expect(ring["bisectionBytesPerSecond"] as? Double == 225e9)
    #expect(ring["linkCount"] as? Int == 6 && ring["switchCount"] as? Int == 0)
    // Two DGX A100 over IB: 8 NICs × 25 GB/s = 200 GB/s between the nodes.
    let twoNode = try entry("dgx-a100-2node-ib")
    #expect(twoNode["gpuCount"] as? Int == 16 && twoNode["nodeCount"] as? Int == 2)
    #expect(twoNode["bisectionBytesPerSecond"] as? Double == 200e9)
    #expect((twoNode["description"] as? String)?.isEmpty == false)
  }

  @Test func tableShowsBisection() throws {
    let text = try ClustersCommand.parse(["--catalog", catalogRoot, "dgx-a100"]).render()
    let row = try #require(text.split(separator: "\n").first { $0.hasPrefix("dgx-a100 ") })
    // 4 × 300 GB/s = 1.20 TB/s.
    #expect(row.contains("1.20 TB/s"))
  }
}
