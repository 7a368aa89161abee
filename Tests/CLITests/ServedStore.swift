import Foundation
import GridReportFiles
import Testing

/// `communitygrid serve` as a user starts it: the built binary on a free port of 127.0.0.1, over a fresh demo
/// store (the GeoData/ district with a coverage run), with a write token.
final class ServedStore {
    static let token = "test-token-0123456789abcdef"
    let directory: TemporaryDirectory
    let db: String
    let process: Process
    let port: Int
    /// The server's standard error, read on a thread of its own to its end.
    private let log: ChildOutput

    var base: String { "http://127.0.0.1:\(port)" }
    var isRunning: Bool { process.isRunning }
    var serverLog: String { log.text }

    /// The file whose appearance lets a served run go on to compute and save its plan, when started `pausingRuns`.
    var runResumeFile: String { directory.path("resume-runs") }

    /// `pausingRuns`: every run the server starts waits for `runResumeFile` (COMMUNITYGRID_PAUSE_BEFORE_RUN_SAVE).
    /// `serveArguments` go after `serve --port 0`, given this store's folder for the files they name.
    convenience init(pausingRuns: Bool = false, serveArguments: (TemporaryDirectory) -> [String] = { _ in [] }) throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("demo.sqlite")
        let data = CLI.repository.appendingPathComponent("GeoData")
        for arguments in [["init"], ["import", "osm", data.appendingPathComponent("demo-district.osm").path],
                          ["import", "geojson", data.appendingPathComponent("communities.geojson").path, "--layer", "communities"],
                          ["import", "geojson", data.appendingPathComponent("grids.geojson").path, "--layer", "grids"],
                          ["import", "households", data.appendingPathComponent("households.csv").path], ["coverage"]] {
            let result = try CLI.run(["--db", db] + arguments)
            guard result.status == 0 else { throw ServeError.setup("\(arguments[0]): \(result.stderr)") }
        }
        try self.init(directory: directory, pausingRuns: pausingRuns, serveArguments: serveArguments(directory))
    }

    /// Another server over `earlier`'s store and folder (started after `earlier` stopped, or beside it).
    convenience init(over earlier: ServedStore, serveArguments: [String] = []) throws {
        try self.init(directory: earlier.directory, pausingRuns: false, serveArguments: serveArguments)
    }

    private init(directory: TemporaryDirectory, pausingRuns: Bool, serveArguments: [String]) throws {
        self.directory = directory
        db = directory.path("demo.sqlite")
        process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["--db", db, "serve", "--port", "0"] + serveArguments
        var environment = ProcessInfo.processInfo.environment
        environment["COMMUNITYGRID_TOKEN"] = Self.token
        environment["COMMUNITYGRID_PAUSE_BEFORE_RUN_SAVE"] = pausingRuns ? directory.path("resume-runs") : nil
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try CLI.launch(process)
        log = ChildOutput(errors, name: "served-store-stderr")
        var found: Int?
        // Bounded by time, not by a count of sleeps: a loaded machine can take long to start the server.
        let start = ContinuousClock.now
        while found == nil, process.isRunning, ContinuousClock.now - start < .seconds(120) {
            Thread.sleep(forTimeInterval: 0.05)
            let text = log.text
            if let range = text.range(of: #"127\.0\.0\.1:[0-9]+/ \(map page\)"#, options: .regularExpression) {
                found = Int(text[range].dropFirst("127.0.0.1:".count).prefix { $0.isNumber })
            }
        }
        guard let found else {
            process.terminate()
            process.waitUntilExit()
            throw ServeError.setup("the server did not start: \(log.text)")
        }
        port = found
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    enum ServeError: Error { case setup(String) }
}

/// One HTTP exchange through curl (as the reproducers are written).
struct HTTPExchange {
    var status: Int
    var headers: [String: String]
    var body: String

    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] }

    static func run(_ method: String, _ url: String, headers: [String: String] = [:], body: String? = nil,
                    timeout: Double = 300) throws -> HTTPExchange {
        var arguments = ["-s", "-i", "-X", method, "--max-time", String(timeout), url]
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        if let body { arguments += ["-H", "Content-Type: application/json", "--data-binary", body] }
        let result = try Shell.run("/usr/bin/curl", arguments)
        return parse(result.stdout)
    }

    static func parse(_ text: String) -> HTTPExchange {
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.isEmpty ? "" : lines.removeFirst()
        let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return HTTPExchange(status: status, headers: headers, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }
}

enum Shell {
    /// Runs a program to its end, reading its output while it runs.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                    directory: URL? = nil) throws -> CLI.Result {
        try Processes.run(executable, arguments, environment: environment, directory: directory)
    }

    /// `run` off the cooperative threads.
    static func detached(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                         directory: URL? = nil) async throws -> CLI.Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try run(executable, arguments, environment: environment, directory: directory) })
            }
        }
    }

    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
