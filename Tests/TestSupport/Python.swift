import Foundation

/// Starting child processes from the tests.
public enum Processes {
    /// Starts a process, one start at a time in this test process: starting processes from many test threads at
    /// once has crashed inside Foundation's `Process.run()` here; the processes themselves still run side by side.
    public static func launch(_ process: Process) throws {
        launching.lock()
        defer { launching.unlock() }
        try process.run()
    }

    private static let launching = NSLock()

    /// Runs a program to its end, reading its standard output and error while it runs (a full pipe would block it).
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           directory: URL? = nil) throws -> ProcessOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try launch(process)
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ProcessOutput(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// How a finished process ended and what it printed.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status; self.stdout = stdout; self.stderr = stderr
    }
}

/// A python3 that can import a module, for checks with tools from PyPI and the peers' harnesses.
public enum Python {
    /// The python3 (an absolute path, or `python3` on the PATH) that imports `module` (several: "a, b, c"), or nil.
    public static func withModule(_ module: String) -> String? {
        for candidate in ["/usr/bin/python3", "python3"] {
            if let (status, _) = try? run(candidate, ["-c", "import \(module)"]), status == 0 { return candidate }
        }
        return nil
    }

    /// True when python3 imports every module of `modules` ("a, b, c").
    public static func has(_ modules: String) -> Bool { withModule(modules) != nil }

    /// Runs python (`executable` as `withModule` returns it); returns its status and output (stdout, then stderr).
    public static func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
        let result = executable.hasPrefix("/") ? try Processes.run(executable, arguments)
            : try Processes.run("/usr/bin/env", [executable] + arguments)
        return (result.status, result.stdout + result.stderr)
    }
}
