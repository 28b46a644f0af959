// swift-tools-version:6.0
// LLMPlan: a capacity planner for serving large language models.
// Module graph (imports point one way, see docs/ARCHITECTURE.md):
//   CLAPACK ← LinearAlgebra ← Analytic ← Simulation ← Planner ← Reporting ← llmplan
//   PlanCore ← Analytic;  Analytic + LinearAlgebra ← Calibration;  ReferenceScenarios, Fuzzing ← llmplan
import PackageDescription

let package = Package(
  name: "LLMPlan",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "llmplan", targets: ["llmplan"]),
    .library(name: "PlanCore", targets: ["PlanCore"]),
    .library(name: "Analytic", targets: ["Analytic"]),
    .library(name: "Simulation", targets: ["Simulation"]),
    .library(name: "Planner", targets: ["Planner"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
  ],
  targets: [
    // Debian's liblapack-dev ships the libraries but no LAPACK header: we declare the
    // Fortran routines we call ourselves.
    .systemLibrary(name: "CLAPACK", path: "Sources/CLAPACK"),
    .target(name: "LinearAlgebra", dependencies: ["CLAPACK"]),
    .target(name: "PlanCore", dependencies: [.product(name: "Yams", package: "Yams")]),
    .target(name: "Analytic", dependencies: ["PlanCore", "LinearAlgebra"]),
    .target(
      name: "Simulation",
      dependencies: ["PlanCore", "Analytic", .product(name: "Collections", package: "swift-collections")]),
    .target(name: "Calibration", dependencies: ["PlanCore", "Analytic", "LinearAlgebra"]),
    .target(name: "Planner", dependencies: ["PlanCore", "Analytic", "Simulation"]),
    .target(
      name: "Reporting",
      dependencies: ["PlanCore", "Analytic", "Planner", .product(name: "Crypto", package: "swift-crypto")]),
    // The reference behaviours (TP/PP/DP/175B/load) as runnable checks, shared by the
    // `llmplan scenarios` command and the quick/thorough test suites.
    .target(name: "ReferenceScenarios", dependencies: ["PlanCore", "Analytic", "Simulation", "Planner"]),
    // The mutation fuzzer behind `llmplan fuzz`: seeded mutations of the shipped data files and
    // the supervisor that catches traps and hangs from outside the worker process.
    .target(name: "Fuzzing", dependencies: ["Simulation", .product(name: "Yams", package: "Yams")]),
    .executableTarget(
      name: "llmplan",
      dependencies: [
        "PlanCore", "LinearAlgebra", "Analytic", "Simulation", "Calibration", "Planner", "Reporting",
        "ReferenceScenarios", "Fuzzing",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
    .testTarget(name: "PlanCoreTests", dependencies: ["PlanCore"]),
    .testTarget(name: "AnalyticTests", dependencies: ["Analytic", "PlanCore", "LinearAlgebra"]),
    .testTarget(name: "SimulationTests", dependencies: ["Simulation", "Analytic", "PlanCore"]),
    .testTarget(name: "CalibrationTests", dependencies: ["Calibration", "Analytic", "PlanCore"]),
    .testTarget(name: "LLMPlanCLITests", dependencies: ["llmplan", "PlanCore"]),
    .testTarget(
      name: "ReferenceScenarioTests", dependencies: ["ReferenceScenarios", "Planner", "Simulation", "Analytic", "PlanCore"]),
    .testTarget(name: "FuzzTests", dependencies: ["Fuzzing", "llmplan"]),
    .testTarget(name: "PlannerTests", dependencies: ["Planner", "Reporting", "Simulation", "Analytic", "PlanCore"]),
  ]
)
