import ArgumentParser
import Foundation
import LinearAlgebra
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
      """ + "\n\n" + LLMPlanExit.helpText,
    version: LLMPlanVersion.current,
    subcommands: [
      // Each subcommand lives in its own file; keep one per line.
      ModelsCommand.self,
      GPUsCommand.self,
      ClustersCommand.self,
      EnginesCommand.self,
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

  /// Names of the subcommands, for the "did you mean" of a mistyped one.
  static var subcommandNames: [String] { configuration.subcommands.map { $0._commandName } }

  /// Runs the command line; a first word that is no subcommand is a usage error (exit 64) that
  /// suggests the nearest one, where swift-argument-parser would only say "Unexpected argument".
  static func main() {
    let arguments = Array(CommandLine.arguments.dropFirst())
    if let message = CommandSuggestion.unknownCommandMessage(arguments, command: LLMPlan.self) {
      FileHandle.standardError.write(
        Data("Error: \(message)\nUsage: llmplan <subcommand>\n  See 'llmplan --help' for more information.\n".utf8))
      Foundation.exit(LLMPlanExit.usage.rawValue)
    }
    main(arguments)
  }
}

/// Options every command that reads the catalog shares.
struct CatalogOptions: ParsableArguments {
  @Option(name: .long, help: "Directory holding llm/, gpus/, clusters/ and engines/ (default: ./Models).")
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
  init(_ error: Error) { description = UserFacingError.oneLine(error) }
  init(message: String) { description = message }

  /// One readable line for any error: JSON encoding and decoding errors say which value at
  /// which key, Foundation file errors say which file and why (not an `NSCocoaErrorDomain`
  /// dump), LAPACK failures say they are numerical; anything else is its description with
  /// line breaks folded.
  static func oneLine(_ error: Error) -> String {
    let text: String
    switch error {
    case let error as EncodingError:
      text = encodingText(error)
    case let error as DecodingError:
      text = decodingText(error)
    case let error as LinearAlgebraError:
      text = "numerical failure in a linear-algebra solve (\(error)); the inputs are probably degenerate"
    case let error as CocoaError:
      text = cocoaText(error)
    default:
      let bridged = error as NSError
      if bridged.domain == NSCocoaErrorDomain {
        text = cocoaText(CocoaError(CocoaError.Code(rawValue: bridged.code), userInfo: bridged.userInfo))
      } else if bridged.domain == NSPOSIXErrorDomain {
        text = String(cString: strerror(Int32(bridged.code)))
      } else {
        text = String(describing: error)
      }
    }
    let line = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty }.joined(separator: "; ")
    return MessageText.elided(line, limit: 4 * MessageText.echoLimit)
  }

  static func path(_ codingPath: [CodingKey]) -> String {
    let parts = codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
    let joined = parts.joined()
    guard !joined.isEmpty else { return "the top level" }
    return joined.hasPrefix(".") ? String(joined.dropFirst()) : joined
  }

  static func encodingText(_ error: EncodingError) -> String {
    switch error {
    case .invalidValue(let value, let context):
      if let number = value as? Double, !number.isFinite {
        return "cannot write the JSON output: \(path(context.codingPath)) is \(number), which JSON cannot represent"
      }
      if let number = value as? Float, !number.isFinite {
        return "cannot write the JSON output: \(path(context.codingPath)) is \(number), which JSON cannot represent"
      }
      return "cannot write the JSON output: \(path(context.codingPath)): \(context.debugDescription)"
    @unknown default:
      return "cannot write the JSON output: \(error.localizedDescription)"
    }
  }

  static func decodingText(_ error: DecodingError) -> String {
    switch error {
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
      return "cannot read JSON: \(path(context.codingPath)): \(context.debugDescription)"
    case .keyNotFound(let key, let context):
      return "cannot read JSON: \(path(context.codingPath + [key])) is missing"
    @unknown default:
      return "cannot read JSON: \(error.localizedDescription)"
    }
  }

  static func cocoaText(_ error: CocoaError) -> String {
    let file = error.filePath ?? error.url?.path
    let subject = file.map { "\($0): " } ?? ""
    if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
      return subject + String(cString: strerror(Int32(underlying.code)))
    }
    switch error.code {
    case .fileNoSuchFile, .fileReadNoSuchFile: return subject + "no such file or directory"
    case .fileReadNoPermission, .fileWriteNoPermission: return subject + "permission denied"
    case .fileWriteOutOfSpace: return subject + "no space left on the device"
    case .fileWriteVolumeReadOnly: return subject + "the volume is read-only"
    case .fileWriteFileExists: return subject + "a file is already there"
    case .fileWriteInvalidFileName: return subject + "not a valid file name"
    case .fileReadCorruptFile: return subject + "the file cannot be read (corrupt or not the expected format)"
    case .fileReadInapplicableStringEncoding: return subject + "the file is not UTF-8 text"
    case .fileReadTooLarge: return subject + "the file is too large"
    default: return subject + "file operation failed (Foundation error \(error.code.rawValue))"
    }
  }
}
