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

    /// Runs python (`executable` as `withModule` returns it); returns its status and output (stdout and stderr).
    public static func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try Processes.launch(process)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
