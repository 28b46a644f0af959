import Foundation
import PlanCore
import Testing

@testable import llmplan

/// `estimate --static-batch`, the KV-cache refusals of `--static-batch` and `--batch`, and `--kv-dtype`.
@Suite struct StaticBatchCLITests {
  static let estimate = [
    "estimate", "--catalog", CLIRunner.catalog, "--model", "llama-2-7b", "--gpu", "a100-80gb-sxm",
  ]

  @Test func textNamesEveryFigure() throws {
    let run = try CLIRunner.run(Self.estimate + ["--prompt", "512", "--output", "64", "--static-batch", "16"])
    #expect(run.status == 0, "\(run.stderr)")
    for phrase in [
      "static batch: 16 prompts of 512 tokens", "time to the batch's first tokens", "first step (context 513)",
      "mean of 63 steps", "last step (context 575)", "total latency", "output tokens/s", "total tokens/s",
    ] {
      #expect(run.stdout.contains(phrase), "missing \"\(phrase)\" in\n\(run.stdout)")
    }
  }

  @Test func jsonAddsUp() throws {
    let run = try CLIRunner.run(
      Self.estimate + ["--prompt", "1024", "--output", "128", "--static-batch", "8", "--pp", "2", "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    let object = try run.object()
    let batch = try #require(object["staticBatch"] as? [String: Any])
    let prefill = try #require(batch["prefillSeconds"] as? Double)
    let decode = try #require(batch["decodeSeconds"] as? Double)
    let total = try #require(batch["totalSeconds"] as? Double)
    let rate = try #require(batch["outputTokensPerSecond"] as? Double)
    #expect(abs(total - (prefill + decode)) <= 1e-9 * total)
    #expect(abs(rate - 8 * 128 / total) <= 1e-9 * rate)
    #expect(batch["microBatches"] as? Int == 2)
    #expect(object["kvCacheDType"] as? String == "fp16")
  }

  @Test func aBatchTheKVCacheCannotHoldIsRefusedWithTheMostThatFit() throws {
    let run = try CLIRunner.run(Self.estimate + ["--prompt", "2048", "--output", "2048", "--static-batch", "1000"])
    #expect(run.status == LLMPlanExit.inputError.rawValue)
    let line = run.errorLine
    #expect(line.contains("--static-batch 1000") && line.contains("at most") && line.contains("fit"), "\(run.stderr)")
    #expect(run.stdout.isEmpty)
  }

  @Test func estimateBatchBeyondMemoryIsRefused() throws {
    let run = try CLIRunner.run(Self.estimate + ["--prompt", "2048", "--output", "2048", "--batch", "1000"])
    #expect(run.status == LLMPlanExit.inputError.rawValue)
    #expect(run.errorLine.contains("--batch 1000") && run.errorLine.contains("holds at most"), "\(run.stderr)")
  }

  @Test func fp8KVDoublesTheCache() throws {
    let base = Self.estimate + ["--prompt", "2048", "--output", "2048", "--json"]
    let wide = try CLIRunner.run(base).object()
    let narrow = try CLIRunner.run(base + ["--kv-dtype", "fp8"]).object()
    let wideTokens = try #require(wide["maxKVTokens"] as? Int)
    let narrowTokens = try #require(narrow["maxKVTokens"] as? Int)
    // ⌊2x⌋ blocks against ⌊x⌋: twice as many, or one more block of 16 tokens.
    #expect(narrowTokens >= 2 * wideTokens && narrowTokens <= 2 * wideTokens + 16)
  }

  @Test func anUnknownKVPrecisionIsAUsageError() throws {
    let run = try CLIRunner.run(Self.estimate + ["--prompt", "10", "--output", "10", "--kv-dtype", "int4"])
    #expect(run.status == LLMPlanExit.usage.rawValue)
    #expect(run.errorLine.contains("--kv-dtype") && run.errorLine.contains("fp16, bf16, fp8"))
  }

  @Test func staticPrefillNeedsAStaticBatch() throws {
    let run = try CLIRunner.run(Self.estimate + ["--prompt", "10", "--output", "10", "--static-prefill", "chunked"])
    #expect(run.status == LLMPlanExit.usage.rawValue)
    #expect(run.errorLine.contains("--static-prefill"))
  }
}
