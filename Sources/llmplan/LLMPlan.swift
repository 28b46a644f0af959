import ArgumentParser
import Foundation
import PlanCore

@main
struct LLMPlan: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "llmplan",
    abstract: "Capacity planner for serving large language models.",
    discussion: """
      LLMPlan tells you, before you buy or book GPUs, how to lay a model out over them: how \
      many GPUs, and which tensor-, pipeline- and data-parallel degrees (TP, PP, DP). An \
      analytic model (operator roofline, collectives on the real network topology, memory fit, \
      queueing) scores every layout in milliseconds; a discrete-event simulator of serving \
      replays the best ones, and the planner reports the gap between the two so you know how \
      far to trust the answer. Models, GPUs and clusters are data files under Models/ (or \
      --catalog DIR); any HuggingFace config.json of a dense decoder can stand in for a model.
      """,
    subcommands: [
      // Each subcommand lives in its own file; keep one per line.
      ModelsCommand.self,
      GPUsCommand.self,
      ClustersCommand.self,
      EstimateCommand.self,
      OpsCommand.self,
      BenchCommand.self,
      CommCommand.self,
      SimulateCommand.self,
      CalibrateCommand.self,
      AccuracyCommand.self,
      ScenariosCommand.self,
      FuzzCommand.self,
      RecommendCommand.self,
      ValidateCommand.self,
    ]
  )
}

/// Options every command that reads the catalog shares.
struct CatalogOptions: ParsableArguments {
  @Option(name: .long, help: "Directory holding llm/, gpus/ and clusters/ (default: ./Models).")
  var catalog: String?

  func load() throws -> Catalog { try Catalog.locate(explicit: catalog) }
}

/// Writes machine-readable output: pretty, key-sorted JSON (stable byte for byte).
enum JSONOutput {
  static func string<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .throw
    let data = try encoder.encode(value)
    return String(decoding: data, as: UTF8.self)
  }

  static func print<T: Encodable>(_ value: T) throws {
    Swift.print(try string(value))
  }
}

/// Runs a command's body so that any library error reaches the user as one line
/// (`Error: <file>: <field>: <reason>`), not a type dump.
func withUserFacingErrors(_ body: () throws -> Void) throws {
  do {
    try body()
  } catch let error as UserFacingError {
    throw error
  } catch let error as ExitCode {
    throw error
  } catch {
    throw UserFacingError(error)
  }
}

/// Turns library errors into one-line messages (ArgumentParser prints `Error: <description>`).
struct UserFacingError: Error, CustomStringConvertible {
  let description: String
  init(_ error: Error) { description = String(describing: error) }
  init(message: String) { description = message }
}
