import ArgumentParser
import Foundation
import GridStore

/// Parses and runs a root command. Exit codes: 0 success, 1 bad input or usage, 2 internal error.
public enum CommandMain {
    public static func run<Root: ParsableCommand>(_ root: Root.Type) async -> Never {
        let command: any ParsableCommand
        do {
            command = try root.parseAsRoot()
        } catch {
            // Help and version requests: ArgumentParser prints them and exits 0.
            if root.exitCode(for: error) == .success { root.exit(withError: error) }
            FileHandle.standardError.write(Data((root.fullMessage(for: error) + "\n").utf8))
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
        } catch let error where StoreError.classify(error) != nil {
            let storeError = StoreError.classify(error) ?? .environment("\(error)")
            Console.error(message(for: storeError))
            Foundation.exit(exitCode(for: storeError))
        } catch let error as ExitCode {
            Foundation.exit(error.rawValue)
        } catch let error as ValidationError {
            Console.error(error.message)
            Foundation.exit(1)
        } catch {
            let code = root.exitCode(for: error)
            if code == .success { root.exit(withError: error) }
            Console.error("internal error: \(error)")
            Foundation.exit(2)
        }
    }

    /// The one mapping of the store's typed errors to exit codes: the user's to fix 1, everything else 2.
    public static func exitCode(for error: StoreError) -> Int32 {
        switch error.kind {
        case .invalid, .notFound, .conflict: 1
        case .locked, .deadlinePassed, .internalError: 2
        }
    }

    /// The store's message with each field spelled as the commands take it.
    public static func message(for error: StoreError) -> String {
        error.message { field in
            switch field {
            case .community: "--community"
            case .coverageRun: "RUN"
            case .category: "--category"
            }
        }
    }
}
