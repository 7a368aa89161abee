import Foundation
import Testing
// The helpers every test target shares (SharedData, TemporaryDirectory, Python), in every file here.
@_exported import TestSupport

/// Runs the built `communitygrid` (and `communitygrid-bench`) binaries as a user would.
struct CLI {
    typealias Result = ProcessOutput

    static let binary = built("communitygrid")
    /// The benchmark commands' executable (`communitygrid-bench`).
    static let benchBinary = built("communitygrid-bench")

    static func built(_ name: String) -> URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return repository.appendingPathComponent(".build/debug/\(name)")
    }

    static let repository = SharedData.repository

    @discardableResult
    static func run(_ arguments: [String], in directory: URL? = nil) throws -> Result {
        try run(binary, arguments, in: directory)
    }

    /// Runs `communitygrid-bench` with these arguments.
    @discardableResult
    static func bench(_ arguments: [String], in directory: URL? = nil) throws -> Result {
        try run(benchBinary, arguments, in: directory)
    }

    /// Starts a process, one start at a time in this test process (see `Processes.launch`).
    static func launch(_ process: Process) throws { try Processes.launch(process) }

    static func run(_ executable: URL, _ arguments: [String], in directory: URL? = nil) throws -> Result {
        try Processes.run(executable.path, arguments, directory: directory)
    }
}
