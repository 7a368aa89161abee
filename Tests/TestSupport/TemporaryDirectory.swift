import Foundation

/// A fresh folder under the system's temporary directory; it goes when the value does.
public final class TemporaryDirectory: Sendable {
    public let url: URL

    public init(prefix: String = "communitygrid-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the folder (not created).
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `text` as UTF-8 to `name` in the folder; returns its path.
    public func file(_ name: String, _ text: String) throws -> String { try file(name, bytes: Data(text.utf8)) }

    /// Writes `bytes` to `name` in the folder; returns its path.
    public func file(_ name: String, bytes: Data) throws -> String {
        let file = url.appendingPathComponent(name)
        try bytes.write(to: file)
        return file.path
    }

    public func write(_ name: String, _ bytes: [UInt8]) throws -> String { try file(name, bytes: Data(bytes)) }

    deinit { try? FileManager.default.removeItem(at: url) }
}
