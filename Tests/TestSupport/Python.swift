import Foundation
import GridReportFiles

/// Starting child processes from the tests.
public enum Processes {
    /// Starts a process, one start at a time in this test process (Foundation's `Process.run()` walks the open
    /// descriptors while it starts one); the processes themselves still run side by side.
    public static func launch(_ process: Process) throws {
        launching.lock()
        defer { launching.unlock() }
        try process.run()
    }

    private static let launching = NSLock()

    /// Runs a program to its end, reading its standard output and error while it runs (a full pipe would block it).
    /// `input` is written to its standard input (else it reads /dev/null). After `timeout` seconds the program is
    /// killed (SIGKILL) and the result says so. Nothing of the run outlives this call: the pipes are read to their
    /// end and closed, and the process is reaped, so a test that runs thousands of programs holds no descriptors.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           directory: URL? = nil, input: Data? = nil, timeout: Double? = nil) throws -> ProcessOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        let inputPipe = input.map { _ in Pipe() }
        process.standardOutput = out
        process.standardError = err
        if let inputPipe { process.standardInput = inputPipe }
        try launch(process)
        let stdout = ChildOutput(out, name: "child-stdout"), stderr = ChildOutput(err, name: "child-stderr")
        if let input, let inputPipe { ChildInput.send(input, to: inputPipe) }
        var timedOut = false
        if let timeout {
            let deadline = DispatchTime.now() + timeout
            if !stdout.waitForEnd(until: deadline) || !stderr.waitForEnd(until: deadline) || !exits(process, by: deadline) {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
            }
        }
        let outData = stdout.wait(), errData = stderr.wait()
        process.waitUntilExit()
        return ProcessOutput(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self),
                             signalled: process.terminationReason == .uncaughtSignal, timedOut: timedOut, stdoutBytes: outData)
    }

    /// True when `process` has exited by `deadline`.
    public static func exits(_ process: Process, by deadline: DispatchTime) -> Bool {
        while process.isRunning {
            if DispatchTime.now() >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return true
    }
}

/// How a finished process ended and what it printed.
public struct ProcessOutput: Sendable {
    /// The exit status, or the signal's number when `signalled`.
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// Ended by a signal (`status` is its number).
    public var signalled: Bool
    /// Killed after the run's timeout.
    public var timedOut: Bool
    /// The standard output as bytes, for programs whose output is not text.
    public var stdoutBytes: Data

    public init(status: Int32, stdout: String, stderr: String, signalled: Bool = false, timedOut: Bool = false,
                stdoutBytes: Data? = nil) {
        self.status = status; self.stdout = stdout; self.stderr = stderr; self.signalled = signalled; self.timedOut = timedOut
        self.stdoutBytes = stdoutBytes ?? Data(stdout.utf8)
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
