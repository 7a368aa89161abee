import Foundation

/// Prints the report's HTML to PDF with headless Chromium (Debian's `chromium`), in a private profile directory so
/// that a browser already running is never asked to do it.
public enum ReportPDF {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        /// The browser is missing: the machine needs setting up, the input is not at fault.
        public var isMissingBrowser: Bool
    }

    /// `COMMUNITYGRID_CHROMIUM`, else the first of chromium, chromium-browser, google-chrome on PATH.
    public static func browser(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let chosen = environment["COMMUNITYGRID_CHROMIUM"], !chosen.isEmpty {
            return FileManager.default.isExecutableFile(atPath: chosen) ? chosen : nil
        }
        let directories = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init) + ["/usr/bin"]
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for directory in directories {
                let path = directory + "/" + name
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
        }
        return nil
    }

    /// The browser, or an error saying what to install.
    public static func requireBrowser() throws -> String {
        guard let chromium = browser() else {
            throw Failure(description: "a PDF needs headless Chromium, and none was found (install Debian's chromium, as scripts/setup.sh does, "
                          + "or name one with COMMUNITYGRID_CHROMIUM); HTML and XLSX reports work without it", isMissingBrowser: true)
        }
        return chromium
    }

    public static func write(html: String, to path: String, timeoutSeconds: Double = 120) throws {
        let chromium = try requireBrowser()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let page = scratch.appendingPathComponent("report.html")
        try Data(html.utf8).write(to: page)
        let output = URL(fileURLWithPath: path).standardizedFileURL
        let printed = scratch.appendingPathComponent("report.pdf")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
            "--user-data-dir=\(scratch.appendingPathComponent("profile").path)",
            "--no-pdf-header-footer", "--print-to-pdf=\(printed.path)", page.absoluteString,
        ]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let stderr = ChildOutput(errors, name: "report-pdf-stderr")
        guard stderr.waitForEnd(until: DispatchTime.now() + timeoutSeconds) else {
            process.terminate()
            throw Failure(description: "\(chromium) did not print the report within \(Int(timeoutSeconds)) s", isMissingBrowser: false)
        }
        process.waitUntilExit()
        let stderrText = stderr.data
        guard process.terminationStatus == 0, let data = FileManager.default.contents(atPath: printed.path), data.starts(with: Data("%PDF".utf8)) else {
            let tail = String(decoding: stderrText, as: UTF8.self).split(separator: "\n").suffix(3).joined(separator: " | ")
            throw Failure(description: "\(chromium) could not print the report (exit \(process.terminationStatus)): \(tail)", isMissingBrowser: false)
        }
        try data.write(to: output)
    }
}
