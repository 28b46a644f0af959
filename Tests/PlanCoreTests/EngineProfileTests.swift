import Foundation
import Testing

@testable import PlanCore

@Suite struct EngineProfileTests {
  @Test func catalogHoldsTheFourProfiles() {
    #expect(Fixtures.catalog.names(.engine) == ["sglang", "trtllm", "vllm", "vllm-v0"])
  }

  /// Each shipped profile loads, names its version and sources, and carries the figures its
  /// file cites (vLLM custom all-reduce: 8 MiB and up to 8 GPUs, custom_all_reduce.py; the V0
  /// law fitted on Vidur's profile; the async residual of vLLM PR #11133).
  @Test func shippedProfilesLoadWithTheirCitedFigures() throws {
    let all = try Fixtures.catalog.allEngines()
    #expect(all.count == 4)
    for profile in all {
      #expect(!profile.version.isEmpty)
      #expect(!profile.source.isEmpty && !profile.overheadSource.isEmpty && !profile.allReduceSource.isEmpty)
      #expect(!profile.cudaGraphsSource.isEmpty && !profile.defaultsSource.isEmpty)
      #expect(profile.cudaGraphs)
    }
    let vllm = try Fixtures.catalog.engine("vllm")
    #expect(vllm.family == .vllm)
    #expect(abs(vllm.overheadFixedSeconds - 0.16e-3) < 1e-15)
    #expect(vllm.customAllReduce && vllm.customAllReduceMaxBytes == 8 * 1_048_576 && vllm.customAllReduceMaxGPUs == 8)
    #expect(vllm.oneShotMaxBytes == 256 * 1024)
    let v0 = try Fixtures.catalog.engine("vllm-v0")
    // "1.29 ms" parses as 1.29 × 10⁻³, which may differ from the literal 1.29e-3 in the last bit.
    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * b }
    #expect(close(v0.overheadFixedSeconds, 1.29e-3) && close(v0.overheadPerSequenceSeconds, 0.104e-3))
    #expect(close(v0.overheadMultiGPUFixedSeconds, 2.40e-3) && close(v0.overheadMultiGPUPerSequenceSeconds, 0.094e-3))
    #expect(try Fixtures.catalog.engine("sglang").family == .sglang)
    #expect(try Fixtures.catalog.engine("trtllm").blockSize == 32)
  }

  /// The law by hand: vllm-v0 at 32 sequences on one GPU is 1.29 + 0.104 · 32 = 4.618 ms; on a
  /// TP group it adds 2.40 + 0.094 · 32 = 5.408 ms. Tokens do not count (per_token 0).
  @Test func overheadLawArithmetic() throws {
    let v0 = try Fixtures.catalog.engine("vllm-v0")
    #expect(abs(v0.overheadSeconds(sequences: 32, tokens: 32, gpus: 1) - 4.618e-3) < 1e-12)
    #expect(abs(v0.overheadSeconds(sequences: 32, tokens: 4000, gpus: 1) - 4.618e-3) < 1e-12)
    #expect(abs(v0.overheadSeconds(sequences: 32, tokens: 32, gpus: 4) - (4.618e-3 + 5.408e-3)) < 1e-12)
    let law = EngineProfile(
      name: "t", family: .vllm, version: "t", overheadFixedSeconds: 1e-3, overheadPerSequenceSeconds: 2e-5,
      overheadPerTokenSeconds: 1e-6)
    // 1 ms + 10 · 20 µs + 500 · 1 µs = 1.7 ms.
    #expect(abs(law.overheadSeconds(sequences: 10, tokens: 500, gpus: 1) - 1.7e-3) < 1e-12)
  }

  /// Scenario files name a profile with `engine:`; it is kept as written.
  @Test func scenarioEngineField() throws {
    let path = try Fixtures.write(
      "model: llama-2-7b\nengine: vllm-v0\nworkload: {rate: 1, prompt: 10, output: 10}\n", name: "s.yaml")
    #expect(try Scenario.load(path).engine == "vllm-v0")
    let plain = try Fixtures.write("model: llama-2-7b\nworkload: {rate: 1, prompt: 10, output: 10}\n", name: "s.yaml")
    #expect(try Scenario.load(plain).engine == nil)
    let empty = try Fixtures.write(
      "model: llama-2-7b\nengine: \"\"\nworkload: {rate: 1, prompt: 10, output: 10}\n", name: "s.yaml")
    #expect(throws: CatalogError.self) { try Scenario.load(empty) }
  }

  /// The default profile is `vllm`; a catalog without engine files has none (the GPU file's
  /// flat overhead is then used); a name that does not exist is an error listing the known.
  @Test func defaultAndUnknownProfiles() throws {
    #expect(try Fixtures.catalog.engineProfile(named: nil)?.name == "vllm")
    let bare = Catalog(root: FileManager.default.temporaryDirectory.path + "/no-such-catalog-\(UUID().uuidString)")
    #expect(try bare.engineProfile(named: nil) == nil)
    do {
      _ = try Fixtures.catalog.engine("vllm-v9")
      Issue.record("an unknown profile must be refused")
    } catch let error as CatalogError {
      #expect(error.description.contains("vllm-v0"))
    }
  }
}

/// Bad engine files are refused with a one-line error naming the file, the field, the value
/// and what is allowed.
@Suite struct EngineProfileValidationTests {
  static func valid() -> [String: Any] {
    [
      "engine": "vllm", "version": "test",
      "iteration_overhead": ["fixed": "1 ms", "per_sequence": "0.1 ms", "source": "test"],
      "all_reduce": [
        "custom": true, "custom_max_size": "8 MiB", "custom_max_gpus": 8, "one_shot_max_size": "256 KiB",
        "source": "test",
      ],
      "cuda_graphs": ["enabled": true, "source": "test"],
      "defaults": [
        "max_num_seqs": 256, "max_num_batched_tokens": 8192, "block_size": 16, "gpu_memory_utilization": 0.9,
        "source": "test",
      ],
      "source": "test",
    ]
  }

  func error(_ mutate: (inout [String: Any]) -> Void) throws -> String {
    var object = Self.valid()
    mutate(&object)
    let path = try Fixtures.write(json: object, name: "bad-engine.json")
    do {
      _ = try Catalog(root: "/nonexistent").engine(path)
      Issue.record("expected the file to be refused")
      return ""
    } catch let error as CatalogError {
      #expect(error.description.contains("bad-engine.json"))
      #expect(!error.description.contains("\n"))
      return error.description
    }
  }

  @Test func validFileLoads() throws {
    let path = try Fixtures.write(json: Self.valid(), name: "good.json")
    let profile = try Catalog(root: "/nonexistent").engine(path)
    #expect(profile.name == "good" && profile.overheadPerSequenceSeconds == 1e-4)
  }

  @Test func badFieldsNameFileFieldValueAndRange() throws {
    let perSequence = try error { o in
      var block = o["iteration_overhead"] as! [String: Any]
      block["per_sequence"] = "50 ms"
      o["iteration_overhead"] = block
    }
    #expect(perSequence.contains("iteration_overhead.per_sequence") && perSequence.contains("50 ms"))
    #expect(perSequence.contains("10 ms"))

    let unitless = try error { o in
      var block = o["iteration_overhead"] as! [String: Any]
      block["fixed"] = "1"
      o["iteration_overhead"] = block
    }
    #expect(unitless.contains("iteration_overhead.fixed") && unitless.contains("no unit"))

    let family = try error { o in o["engine"] = "vllmm" }
    #expect(family.contains("engine") && family.contains("vllm"))

    let gpus = try error { o in
      var block = o["all_reduce"] as! [String: Any]
      block["custom_max_gpus"] = 1
      o["all_reduce"] = block
    }
    #expect(gpus.contains("all_reduce.custom_max_gpus") && gpus.contains("2 … 1,024"))

    let oneShot = try error { o in
      var block = o["all_reduce"] as! [String: Any]
      block["one_shot_max_size"] = "16 MiB"
      o["all_reduce"] = block
    }
    #expect(oneShot.contains("one_shot_max_size") && oneShot.contains("custom_max_size"))

    let utilisation = try error { o in
      var block = o["defaults"] as! [String: Any]
      block["gpu_memory_utilization"] = 1.5
      o["defaults"] = block
    }
    #expect(utilisation.contains("defaults.gpu_memory_utilization") && utilisation.contains("1.5"))

    let unknown = try error { o in o["cuda_graph"] = ["enabled": true] }
    #expect(unknown.contains("cuda_graph"))

    let noSource = try error { o in
      var block = o["iteration_overhead"] as! [String: Any]
      block["source"] = nil
      o["iteration_overhead"] = block
    }
    #expect(noSource.contains("iteration_overhead.source") && noSource.contains("missing"))

    let eager = try error { o in o["cuda_graphs"] = ["enabled": false, "source": "test"] }
    #expect(eager.contains("eager_launch_per_layer"))

    let ncclWithLimit = try error { o in
      o["all_reduce"] = ["custom": false, "custom_max_size": "8 MiB", "source": "test"]
    }
    #expect(ncclWithLimit.contains("all_reduce.custom_max_size"))
  }
}
