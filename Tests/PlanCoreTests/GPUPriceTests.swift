import Foundation
import Testing

@testable import PlanCore

/// GPU prices: the catalog's, `--price` overrides and scenario `prices:`.
@Suite struct GPUPriceTests {
  @Test func everyCatalogGPUHasAPlausibleDatedOrLabelledPrice() throws {
    for gpu in try Fixtures.catalog.allGPUs() {
      let price = try #require(gpu.price, "\(gpu.name) has no price")
      #expect(Plausibility.gpuPrice.contains(price.dollarsPerGPUHour), "\(gpu.name)")
      // Either a dated list price with its page, or a labelled assumption.
      #expect(
        (price.asOf != nil && price.source.contains("https://")) || price.source.hasPrefix("ASSUMPTION"),
        "\(gpu.name): \(price.source)")
    }
  }

  /// The per-GPU figure is the 8-GPU instance price over 8, as each source states
  /// (CoreWeave: H100 $49.24, L40S $18.00, B200 $68.80 per instance-hour).
  @Test(arguments: [("h100-80gb-sxm", 49.24), ("l40s-48gb-pcie", 18.00), ("b200-180gb-sxm", 68.80)])
  func perGPUPriceIsTheInstancePriceOverEight(name: String, instance: Double) throws {
    let price = try #require(try Fixtures.catalog.gpu(name).price)
    #expect(abs(price.dollarsPerGPUHour - instance / 8) < 1e-9)
  }

  @Test func priceOverridesParse() throws {
    #expect(try GPUPrice.parseOverride("h100-80gb-sxm=2.99") == ("h100-80gb-sxm", 2.99))
    #expect(try GPUPrice.parseOverride("l4-24gb-pcie=$0.5") == ("l4-24gb-pcie", 0.5))
    #expect(try GPUPrice.parseOverride(" a100-80gb-sxm = 1.2 ") == ("a100-80gb-sxm", 1.2))
  }

  @Test(
    arguments: [
      ("h100-80gb-sxm", "write GPU=DOLLARS_PER_GPU_HOUR"), ("=3", "write GPU=DOLLARS_PER_GPU_HOUR"),
      ("h100=abc", "not a number of dollars"), ("h100=0", "outside the plausible range"),
      ("h100=-1", "outside the plausible range"), ("h100=5000", "outside the plausible range"),
      ("h100=nan", "not a number of dollars"),
    ])
  func badPriceOverridesAreNamed(text: String, fragment: String) {
    do {
      _ = try GPUPrice.parseOverride(text)
      Issue.record("\(text) was accepted")
    } catch let error as PriceError {
      #expect(error.description.contains("--price"), "\(error)")
      #expect(error.description.contains(fragment), "\(error)")
    } catch {
      Issue.record("unexpected \(error)")
    }
  }

  @Test func priceBlockIsCheckedAndDatesAreISO() throws {
    #expect(GPUPrice.isISODate("2026-02") && GPUPrice.isISODate("2026-02-28"))
    #expect(!GPUPrice.isISODate("Feb 2026") && !GPUPrice.isISODate("2026-13") && !GPUPrice.isISODate("2026-02-32"))
    var object = try Fixtures.catalogObject("gpus/a100-80gb-sxm.json")
    object["price"] = ["dollars_per_gpu_hour": 0, "source": "x"]
    let path = try Fixtures.write(json: object, name: "a100-80gb-sxm.json")
    #expect(throws: CatalogError.self) { _ = try Fixtures.catalog.gpu(path) }
    do { _ = try Fixtures.catalog.gpu(path) } catch let error as CatalogError {
      #expect(error.description.contains("price.dollars_per_gpu_hour"), "\(error)")
    }
    object["price"] = ["dollars_per_gpu_hour": 2.5, "source": "x", "as_of": "last week"]
    let dated = try Fixtures.write(json: object, name: "a100-80gb-sxm.json")
    #expect(throws: CatalogError.self) { _ = try Fixtures.catalog.gpu(dated) }
  }

  @Test func scenarioPricesParseAndAreChecked() throws {
    let good = try Fixtures.write(
      """
      model: llama-2-7b
      gpu: a100-80gb-sxm
      workload: {rate: 2, prompt: 100, output: 100}
      prices: {a100-80gb-sxm: 1.25, h100-80gb-sxm: 2.99}
      """, name: "s.yaml")
    #expect(try Scenario.load(good).prices == ["a100-80gb-sxm": 1.25, "h100-80gb-sxm": 2.99])
    let bad = try Fixtures.write(
      """
      model: llama-2-7b
      gpu: a100-80gb-sxm
      workload: {rate: 2, prompt: 100, output: 100}
      prices: {a100-80gb-sxm: 0}
      """, name: "s.yaml")
    do {
      _ = try Scenario.load(bad)
      Issue.record("a zero price was accepted")
    } catch let error as CatalogError {
      #expect(error.description.contains("prices.a100-80gb-sxm"), "\(error)")
    }
  }
}

/// The GPUs added for hardware comparisons, against their datasheets (sources in each file).
@Suite struct NewGPUDatasheetTests {
  /// name, dense bf16 FLOP/s, memory bytes, memory bytes/s, SMs or CUs, per-direction link (nil: PCIe only).
  @Test(
    arguments: [
      ("l40s-48gb-pcie", 362.05e12, 48e9, 864e9, 142, nil as Double?),
      ("l4-24gb-pcie", 121e12, 24e9, 300e9, 58, nil),
      ("b200-180gb-sxm", 2250e12, 180e9, 7.7e12, 148, 900e9),
      ("mi300x-192gb-oam", 1307.4e12, 192e9, 5.3e12, 304, 448e9),
    ])
  func datasheetFigures(
    name: String, bf16: Double, memory: Double, bandwidth: Double, units: Int, link: Double?
  )
    throws
  {
    let gpu = try Fixtures.catalog.gpu(name)
    #expect(gpu.peakFLOPS(.bf16) == bf16)
    #expect(gpu.memoryBytes == memory)
    #expect(gpu.memoryBandwidthBytesPerSecond == bandwidth)
    #expect(gpu.streamingMultiprocessors == units)
    #expect(gpu.intraNodeLinkBytesPerSecond == link)
    #expect(gpu.efficiency.source.hasPrefix("Datasheet-derived"))
    #expect(gpu.efficiency.uncertainty?.calibrated == false)
  }

  /// Sparsity halves: every datasheet quotes FP8 at twice the dense FP16 rate on these parts.
  @Test(arguments: ["l40s-48gb-pcie", "l4-24gb-pcie", "b200-180gb-sxm", "mi300x-192gb-oam"])
  func fp8IsTwiceBF16(name: String) throws {
    let gpu = try Fixtures.catalog.gpu(name)
    let fp8 = try #require(gpu.peakFLOPS(.fp8))
    let bf16 = try #require(gpu.peakFLOPS(.bf16))
    #expect(abs(fp8 / bf16 - 2) < 0.03)
  }

  /// MI300X board: a full mesh of 28 links, 7 per GPU at 64 GB/s per direction = 448 GB/s.
  @Test func mi300xMeshHasSevenLinksPerGPU() throws {
    let cluster = try Fixtures.catalog.cluster("mi300x-8-mesh")
    #expect(cluster.gpuCount == 8 && cluster.links.count == 28)
    for gpu in 0..<8 {
      let links = cluster.links.filter { $0.a == gpu || $0.b == gpu }
      #expect(links.count == 7)
      #expect(abs(links.reduce(0) { $0 + $1.bytesPerSecond } - 448e9) < 1)
    }
  }
}
