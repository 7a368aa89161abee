import Foundation
import Testing
// The helpers every test target shares (SharedData, TemporaryDirectory, Python), in every file here.
@_exported import TestSupport

/// Runs the built `communitygrid` (and `communitygrid-bench`) binaries as a user would.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

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
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try CLI.launch(process)
        // Read both pipes while the process runs so a large export cannot block on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}
