import Analytic
import ArgumentParser
import Foundation
import PlanCore
import Planner
import Simulation

/// `llmplan bench …`: speed figures, measured in one run on this machine (not timed tests).
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure LLMPlan's own speed (build with -c release for meaningful figures).",
    subcommands: [
      BenchAnalyticCommand.self, BenchSimulateCommand.self, BenchRecommendCommand.self, BenchLargeClusterCommand.self,
      BenchFleetCommand.self, BenchDisaggregationCommand.self,
    ])
}

struct BenchAnalyticCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "analytic",
    abstract: "Layout evaluations per second: the analytic model alone, and a whole search with the load model.",
    discussion: """
      Part 1 times LayoutEvaluator.evaluate over every candidate layout of the cluster (setup \
      excluded). Part 2 times a whole search as the planner runs it on an ideal cluster of \
      --search-gpus GPUs: preparing every layout (collective curves, memory), the no-queue \
      predictions, the service model and the queueing model at --rates rates; one evaluation \
      is one (layout, rate) pair, setup included.
      """)

  @OptionGroup var catalogOptions: CatalogOptions
  @Option(help: "Model.") var model: String = "llama-2-7b"
  @Option(help: "GPU.") var gpu: String = "a100-80gb-sxm"
  @Option(help: "Cluster for part 1.") var cluster: String = "dgx-a100-2node-ib"
  @Option(help: "Evaluations timed in part 1.") var evaluations: Int = 1_000_000
  @Option(help: "GPUs of the ideal cluster searched in part 2.") var searchGpus: Int = 1024
  @Option(help: "Rates per layout in part 2.") var rates: Int = 12
  @Flag(help: "Print JSON.") var json = false

  struct Output: Encodable {
    let evaluateOnly: AnalyticBenchmark.Measurement
    let searchWithLoad: AnalyticBenchmark.SearchMeasurement
  }

  func run() throws {
    try withUserFacingErrors {
      let catalog = try catalogOptions.load()
      let modelSpec = try catalog.model(model)
      let gpuSpec = try catalog.gpu(gpu)
      let clusterSpec = try catalog.cluster(cluster)
      guard rates >= 1, searchGpus >= 1, evaluations >= 1 else {
        throw UserFacingError(message: "--rates, --search-gpus and --evaluations must be positive")
      }
      let first = try AnalyticBenchmark.layoutEvaluationsPerSecond(
        model: modelSpec, gpu: gpuSpec, cluster: clusterSpec, evaluations: evaluations)
      let big = Cluster.idealNodes(gpu: gpuSpec, gpuCount: searchGpus)
      let rateList = (1...rates).map { Double($0) * 4 }
      let second = try AnalyticBenchmark.searchWithLoad(
        model: modelSpec, gpu: gpuSpec, cluster: big, rates: rateList, promptTokens: 1500, outputTokens: 400,
        slo: SLO(ttftSeconds: 2, tpotSeconds: 0.1))
      if json {
        try JSONOutput.print(Output(evaluateOnly: first, searchWithLoad: second))
        return
      }
      print("\(modelSpec.name) on \(gpuSpec.name)")
      print(
        "1. evaluate only: \(first.layouts) layouts of \(clusterSpec.name), \(first.evaluations) evaluations in "
          + "\(Units.formatSeconds(first.seconds)): \(Int(first.evaluationsPerSecond)) evaluations/s")
      print(
        "2. search with load model: \(second.layouts) layouts of a \(second.clusterGPUs)-GPU cluster "
          + "(\(second.fittingLayouts) fit) × \(second.rates) rates = \(second.evaluations) evaluations in "
          + "\(Units.formatSeconds(second.seconds)), setup included: \(Int(second.evaluationsPerSecond)) evaluations/s")
    }
  }
}

struct BenchSimulateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "simulate",
    abstract: "Simulated requests per wall-second and events per second, with the real cost model.",
    discussion: """
      The issue's setting by default: Llama-2-7B on A100-80GB, 4 DP replicas, Poisson arrivals \
      at 50 req/s for one simulated hour, prompts 1000–2000 and outputs 100–800 tokens, each \
      iteration timed by the analytic cost model. That load is several times what four A100s \
      serve (queues grow, KV caches stay full); pass --dp 16 --cluster dgx-a100-2node-ib for a \
      run where everything is served and the batches are large.
      """)

  @OptionGroup var catalogOptions: CatalogOptions
  @Option(help: "Model.") var model: String = "llama-2-7b"
  @Option(help: "GPU.") var gpu: String = "a100-80gb-sxm"
  @Option(help: "Cluster.") var cluster: String = "dgx-a100"
  @Option(help: "Data-parallel replicas (TP=PP=1).") var dp: Int = 4
  @Option(help: "Arrival rate, requests/s.") var rate: Double = 50
  @Option(help: "Simulated arrival window.") var duration: String = "1 h"
  @Flag(help: "Print JSON.") var json = false

  struct Output: Encodable {
    let requests: Int
    let events: Int
    let simulatedSeconds: Double
    let wallSeconds: Double
    let requestsPerWallSecond: Double
    let eventsPerWallSecond: Double
    let peakRSSBytes: Int?
    let successRate: Double?
  }

  func run() throws {
    try withUserFacingErrors {
      let catalog = try catalogOptions.load()
      let deployment = try Deployment(
        model: catalog.model(model), gpu: catalog.gpu(gpu), cluster: catalog.cluster(cluster),
        layout: Layout(tp: 1, pp: 1, dp: dp))
      let seconds = try parseSeconds(duration, option: "--duration")
      let workload = Workload(
        rateRequestsPerSecond: rate,
        profiles: [
          ClientProfile(name: "bench", prompt: .uniform(low: 1000, high: 2000), output: .uniform(low: 100, high: 800))
        ],
        durationSeconds: seconds, warmupSeconds: 0, drainSeconds: 0, seed: 1)
      let clock = ContinuousClock()
      let start = clock.now
      let result = try deployment.simulate(workload: workload, slo: SLO(ttftSeconds: 2, tpotSeconds: 0.1))
      let elapsed = clock.now - start
      let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
      let requests = result.arrived + result.warmupRequests
      let output = Output(
        requests: requests, events: result.events, simulatedSeconds: result.simulatedSeconds, wallSeconds: wall,
        requestsPerWallSecond: Double(requests) / wall, eventsPerWallSecond: Double(result.events) / wall,
        peakRSSBytes: SimulationBenchmark.peakResidentBytes(), successRate: result.successRate)
      if json {
        try JSONOutput.print(output)
        return
      }
      print(
        "\(model) on \(dp) × \(gpu), \(Units.threeSignificant(rate)) req/s for \(Units.formatSeconds(seconds)) simulated: "
          + "\(requests) requests, \(output.events) events in \(Units.formatSeconds(wall)) wall")
      print(
        "  \(Int(output.requestsPerWallSecond)) simulated requests per wall-second, "
          + "\(Int(output.eventsPerWallSecond)) events per second; peak RSS "
          + (output.peakRSSBytes.map { Units.formatBytes(Double($0)) } ?? "n/a")
          + "; success rate " + (output.successRate.map { String(format: "%.1f%%", $0 * 100) } ?? "n/a"))
    }
  }
}

struct BenchLargeClusterCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "large-cluster",
    abstract: "Large clusters: an all-reduce over thousands of GPUs and recommend's analytic search on them.",
    discussion: """
      Builds DGX-like clusters in code (8 GPUs per node on one NVSwitch vertex, one InfiniBand \
      NIC per GPU to one spine) and times, in this process: 1. an all-reduce over every GPU of \
      the --gpus cluster (512 nodes by default), model set-up included; 2. recommend's analytic \
      search (every candidate layout placed, evaluated and ranked at the rate) with that whole \
      cluster as budget; 3. the same search on a --huge-gpus cluster (100,000 GPUs) with \
      --huge-budget GPUs to plan. Nodes are identical, so collectives over many nodes are \
      costed from one two-node solve and replicas of one shape once.
      """)

  @OptionGroup var catalogOptions: CatalogOptions
  @Option(help: "Model searched.") var model: String = "llama-2-70b"
  @Option(help: "GPU of the clusters.") var gpu: String = "h100-80gb-sxm"
  @Option(help: "GPUs of the large cluster (all-reduce group and search budget).") var gpus: Int = 4096
  @Option(help: "All-reduce message per GPU.") var bytes: String = "64 MiB"
  @Option(help: "Arrival rate of the searched workload, requests/s.") var rate: Double = 100
  @Option(help: "GPUs of the huge cluster.") var hugeGpus: Int = 100_000
  @Option(help: "GPU budget of the search on the huge cluster.") var hugeBudget: Int = 1024
  @Flag(help: "Print JSON.") var json = false

  struct Output: Encodable {
    let allReduce: LargeClusterBenchmark.CollectiveMeasurement
    let search: LargeClusterBenchmark.SearchMeasurement
    let hugeSearch: LargeClusterBenchmark.SearchMeasurement
  }

  func run() throws {
    try withUserFacingErrors {
      guard gpus >= 2, hugeGpus >= 1, hugeBudget >= 1, rate > 0, rate.isFinite else {
        throw UserFacingError(message: "--gpus must be at least 2; --huge-gpus, --huge-budget and --rate positive")
      }
      let catalog = try catalogOptions.load()
      let gpuSpec = try catalog.gpu(gpu)
      let size: Double
      do { size = try Units.bytes(bytes) } catch { throw UserFacingError(message: "--bytes: \(error)") }
      let scenario = Scenario(
        name: "large-cluster", model: model, gpu: gpu,
        workload: Workload(
          rateRequestsPerSecond: rate,
          profiles: [
            ClientProfile(name: "chat", prompt: .uniform(low: 500, high: 1500), output: .uniform(low: 100, high: 400))
          ],
          durationSeconds: 70, warmupSeconds: 10, drainSeconds: 60, seed: 1))
      let allReduce = try LargeClusterBenchmark.collective(.allReduce, gpu: gpuSpec, gpus: gpus, bytes: size)
      let search = try LargeClusterBenchmark.search(scenario: scenario, catalog: catalog, gpus: gpus, gpuBudget: gpus)
      let huge = try LargeClusterBenchmark.search(
        scenario: scenario, catalog: catalog, gpus: hugeGpus, gpuBudget: min(hugeBudget, hugeGpus))
      if json {
        try JSONOutput.print(Output(allReduce: allReduce, search: search, hugeSearch: huge))
        return
      }
      print(
        "1. all-reduce of \(Units.formatBytes(size)) over all \(allReduce.groupGPUs) GPUs "
          + "(\(allReduce.clusterGPUs / 8) nodes): \(Units.formatSeconds(allReduce.seconds)) to cost "
          + "(\(allReduce.algorithm), \(Units.formatSeconds(allReduce.collectiveSeconds)), bus "
          + "\(Units.formatBytesPerSecond(allReduce.busBytesPerSecond)))")
      for (number, part) in [(2, search), (3, huge)] {
        print(
          "\(number). analytic search of \(model) at \(Units.threeSignificant(rate)) req/s, budget \(part.gpuBudget) of "
            + "\(part.clusterGPUs) GPUs: \(part.layouts) layouts in \(Units.formatSeconds(part.seconds)) (cluster "
            + "built in \(Units.formatSeconds(part.buildSeconds))); best \(part.best)")
      }
    }
  }
}

/// `llmplan bench fleet`: wall time of a whole several-GPU-type `recommend` of the built-in
/// scenario (each type's shortlist simulated), with the types planned concurrently and one
/// after another, in the same process.
struct BenchFleetCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fleet",
    abstract: "Wall time of recommend --gpu A,B,C,D on the built-in scenario: concurrent and serial.",
    discussion: """
      Plans the built-in scenario on each GPU type of --gpus (each on a cluster of its own kind, \
      shortlist simulated with its maximum-rate searches), --runs times with the types in a task \
      group and --runs times one after another, and prints each time, the medians and their ratio.
      """)

  @OptionGroup var catalogOptions: CatalogOptions
  @Option(help: "Runs of each mode.") var runs: Int = 3
  @Option(help: "GPU types compared.") var gpus: String = "a100-40gb-sxm,a100-80gb-sxm,h100-80gb-sxm,h200-141gb-sxm"
  @Flag(help: "Print JSON.") var json = false

  struct Output: Encodable {
    let scenario: String
    let gpuTypes: [String]
    let simulatedLayouts: Int
    let concurrentSeconds: [Double]
    let serialSeconds: [Double]
    let concurrentMedianSeconds: Double
    let serialMedianSeconds: Double
    let serialOverConcurrent: Double
    /// Process CPU seconds (user + system) of each mode's runs together.
    let concurrentCPUSeconds: Double
    let serialCPUSeconds: Double
    let identical: Bool
    /// The outcomes that differ between runs (every version, as JSON), empty when identical.
    let mismatches: [String]
  }

  func run() throws {
    try withUserFacingErrors {
      guard runs >= 1 else { throw UserFacingError(message: "--runs must be at least 1") }
      let catalog = try catalogOptions.load()
      let scenario = Scenario.defaultPlanning
      let question = try FleetQuestion.build(
        scenario: scenario, catalog: catalog, gpus: try FleetQuestion.gpuList(gpus, catalog: catalog),
        clusterFlag: nil, objective: nil, gpuBudget: nil)
      let clock = ContinuousClock()
      func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
      }
      var concurrent: [Double] = []
      var serial: [Double] = []
      var plans: [FleetPlan] = []
      var concurrentCPU = 0.0
      var serialCPU = 0.0
      for _ in 0..<runs {
        var cpuStart = ProcessCPU.seconds()
        var start = clock.now
        plans.append(try FleetPlanner.planBlocking(question, concurrently: true))
        concurrent.append(seconds(clock.now - start))
        concurrentCPU += ProcessCPU.seconds() - cpuStart
        cpuStart = ProcessCPU.seconds()
        start = clock.now
        plans.append(try FleetPlanner.planBlocking(question, concurrently: false))
        serial.append(seconds(clock.now - start))
        serialCPU += ProcessCPU.seconds() - cpuStart
      }
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      let encoded = try plans.map { try encoder.encode($0.comparison) }
      var mismatches: [String] = []
      for index in question.members.indices {
        let versions = Set(try plans.map { String(decoding: try encoder.encode($0.comparison[index]), as: UTF8.self) })
        if versions.count > 1 { mismatches += versions.sorted() }
      }
      func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
      let output = Output(
        scenario: scenario.name, gpuTypes: question.members.map(\.request.gpu.name),
        simulatedLayouts: plans.first?.plans.reduce(0) { $0 + $1.shortlist.count } ?? 0,
        concurrentSeconds: concurrent, serialSeconds: serial, concurrentMedianSeconds: median(concurrent),
        serialMedianSeconds: median(serial), serialOverConcurrent: median(serial) / median(concurrent),
        concurrentCPUSeconds: concurrentCPU, serialCPUSeconds: serialCPU, identical: Set(encoded).count == 1,
        mismatches: mismatches)
      if json {
        try JSONOutput.print(output)
        return
      }
      print(
        "recommend \(output.scenario) on \(output.gpuTypes.joined(separator: ", ")): "
          + "\(output.simulatedLayouts) layouts simulated (with their maximum-rate searches)")
      print(
        "  types concurrently:    " + concurrent.map(Units.formatSeconds).joined(separator: ", ")
          + "  (median \(Units.formatSeconds(output.concurrentMedianSeconds)); CPU "
          + "\(Units.formatSeconds(concurrentCPU)) for all runs)")
      print(
        "  types one by one:      " + serial.map(Units.formatSeconds).joined(separator: ", ")
          + "  (median \(Units.formatSeconds(output.serialMedianSeconds)); CPU \(Units.formatSeconds(serialCPU)) for all runs)"
      )
      print(
        "  serial / concurrent:   \(Units.threeSignificant(output.serialOverConcurrent)); same comparison every run: "
          + (output.identical ? "yes" : "NO"))
    }
  }
}
