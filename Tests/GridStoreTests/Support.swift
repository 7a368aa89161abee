import Foundation
import GRDB
import GridStore
import Testing

/// A fresh store in its own temporary folder; the folder goes when the value does.
final class TemporaryStore {
    let directory: URL
    let store: Store
    var path: String { store.path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try Store.create(path: directory.appendingPathComponent("store.sqlite").path)
    }

    func file(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func file(_ name: String, bytes: Data) throws -> String {
        let url = directory.appendingPathComponent(name)
        try bytes.write(to: url)
        return url.path
    }

    func count(_ table: String) throws -> Int {
        try store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }

    /// Every layer's row count and a checksum of its content: equal fingerprints mean an unchanged store.
    func fingerprint() throws -> [String] {
        try store.read { db in
            try ["communities", "grids", "buildings", "facilities", "network_edges", "household_register", "import_log"].map { table in
                let rows = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
                let content = try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY id").map(\.description).joined(separator: "\n")
                return "\(table):\(rows):\(content.hashValue)"
            }
        }
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}

/// The shared real OSM extracts, when this checkout sits beside them (CI always; a fresh clone may not).
enum SharedData {
    static let geodata: URL? = {
        if let override = ProcessInfo.processInfo.environment["COMMUNITYGRID_GEODATA"] {
            return URL(fileURLWithPath: override)
        }
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidate = repo.deletingLastPathComponent().appendingPathComponent("shared/geodata")
        return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
    }()

    static var available: Bool { geodata != nil }
    static let skipReason: Comment = "../shared/geodata is not beside this checkout (set COMMUNITYGRID_GEODATA to run the real-data tests)"

    static func path(_ name: String) -> String { geodata!.appendingPathComponent(name).path }
}

extension ImportRules {
    /// The households rule without its non-residential exceptions (every `yes` building counted as housing), as it
    /// was when the Wudaokou grid cases and their figures were made: kept for those cases so they stay the same.
    static var everyBuildingAsHousing: ImportRules {
        var rules = ImportRules.default
        rules.households.nonResidentialAreas = nil
        rules.households.nonResidentialNames = nil
        rules.households.minimumFootprintSquareMeters = nil
        return rules
    }
}
