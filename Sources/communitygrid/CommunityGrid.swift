import ArgumentParser
import Foundation
import GridStore

/// Entry point. Exit codes: 0 success, 1 bad input or usage, 2 internal error.
@main
struct CommunityGrid: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "communitygrid",
        abstract: "Community grids, households, facilities and 15-minute walking coverage in one Spatialite file.",
        subcommands: [Init.self, Import.self, Export.self, Info.self, CoverageCommand.self, Suggest.self, GridsCommand.self, Profile.self, Rules.self, Demo.self, Bench.self, IsochroneCommand.self, ServeCommand.self])

    @OptionGroup var store: StoreOptions

    static func main() async {
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            // Help and version requests: ArgumentParser prints them and exits 0.
            if exitCode(for: error) == .success { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(1)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
            Foundation.exit(0)
        } catch let error as StoreError {
            Console.error(error.description)
            Foundation.exit(error.isUserError ? 1 : 2)
        } catch let error as ExitCode {
            Foundation.exit(error.rawValue)
        } catch let error as ValidationError {
            Console.error(error.message)
            Foundation.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            Console.error("internal error: \(error)")
            Foundation.exit(2)
        }
    }
}

/// `--db FILE`, accepted before or after the subcommand.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The Spatialite store file.", valueName: "FILE"))
    var db: String?

    func path() throws -> String {
        guard let db, !db.isEmpty else { throw ValidationError("missing --db FILE (the Spatialite store)") }
        return db
    }

    func open() throws -> Store { try Store.open(path: try path()) }
}

enum Console {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
    }

    static func progress(_ message: String) {
        // One line, overwritten in a terminal; plain lines in logs.
        let line = isatty(STDERR_FILENO) == 1 ? "\r\u{1B}[K" + message : message + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func endProgress() {
        if isatty(STDERR_FILENO) == 1 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    static func printJSON(_ object: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// Standard output through a buffered FileHandle, for large GeoJSON.
    static let standardOutput: @Sendable (String) -> Void = { text in
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
