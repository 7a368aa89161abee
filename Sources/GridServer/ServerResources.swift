import Foundation

/// Files the server reads from GridServer's resource bundle (the OpenAPI document, the map page), installed beside
/// the executable. On Linux the bundle is looked up by hand: `Bundle.module` stops the process when the bundle was
/// not copied with the binary, and a broken installation must give a message, not a trap.
enum ServerResources {
    static let bundleName = "CommunityGrid_GridServer.resources"

    static let folder: URL? = {
        #if os(Linux)
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for directory in [Bundle.main.bundleURL, executable] {
            let candidate = directory.appendingPathComponent(bundleName)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), isDirectory.boolValue { return candidate }
        }
        return nil
        #else
        return Bundle.module.resourceURL
        #endif
    }()

    /// The contents of a file of the bundle (`path` relative to it), or nil when it is not installed.
    static func data(_ path: String) -> Data? {
        guard let folder else { return nil }
        return FileManager.default.contents(atPath: folder.appendingPathComponent(path).path)
    }

    /// What is missing from the installation, for the server's start.
    struct Missing: Error, CustomStringConvertible {
        var file: String
        var description: String { "\(file) is missing from \(bundleName) beside the executable: the installation is incomplete" }
    }
}
