import Foundation
import GRDB
import GridModel
import GridStore
import Testing

/// The reproducers in ../shared/reliability, when this checkout sits beside them.
enum ReliabilityFiles {
    static let folder: URL? = {
        let candidate = SharedData.folder("reliability")
        return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
    }()
    static let skipReason: Comment = "../shared/reliability is not beside this checkout"

    static func path(_ name: String) -> String { SharedData.folder("reliability").appendingPathComponent(name).path }
}

/// A run of the binary that may end by a signal or by the timeout, which `CLI.run` cannot tell apart.
struct Launch {
    var status: Int32
    var signalled: Bool
    var timedOut: Bool
    var stderr: String
    var stdout: String

    var summary: String {
        signalled ? "killed by signal \(status)\(timedOut ? " after the timeout" : "")" : "exit \(status)"
    }

    static func run(_ arguments: [String], timeout: TimeInterval = 120) throws -> Launch {
        let result = try Processes.run(CLI.binary.path, arguments, timeout: timeout)
        return Launch(status: result.status, signalled: result.signalled, timedOut: result.timedOut,
                      stderr: result.stderr, stdout: result.stdout)
    }
}

/// What every refusal of an import must look like.
enum ImportMessages {
    /// SQL or SQLite's own wording must never reach the user.
    static let sqlMarkers = ["INSERT ", "SELECT ", "UPDATE ", "DELETE FROM", "while executing", "SQLite error", "sqlite3_"]

    static func leaksSQL(_ text: String) -> Bool { sqlMarkers.contains { text.contains($0) } }

    /// The place in the input: a line, feature, object or block; or a fault of the whole file, where there is no smaller place.
    static let placeMarkers = [
        "line ", "feature ", "node ", "way ", "relation ", "building ", "facility ", "blob #", "byte ", "column ",
        "top-level", "FeatureCollection", "\"features\"", "the file is empty", "not an OpenStreetMap file", "corrupt gzip", "not UTF-8",
    ]

    static func namesPlace(_ text: String, file: String) -> Bool {
        text.contains(file) && placeMarkers.contains { text.contains($0) }
    }
}

/// Stores read the way a check must read them: every table's rows, outside the code under test.
/// Runs `import COMMAND… PATH` through the binary on a fresh copy of the demo store and expects a refusal: exit 1
/// (no signal), every word in the message (and the file's place, with `namingPlace`), no SQL text, the store unchanged.
func expectImportRefused(_ path: String, _ command: [String], mentioning words: [String], namingPlace: Bool = false, label: String = "",
                         sourceLocation: SourceLocation = #_sourceLocation) throws {
    let directory = try TemporaryDirectory()
    let db = try DemoStore.copy(named: "s.sqlite", in: directory.url).path
    let before = try StoreFiles.fingerprint(db)
    let result = try Launch.run(["--db", db, "import"] + command + [path])
    #expect(!result.signalled && result.status == 1, "\(label)\(result.summary): \(result.stderr.suffix(600))", sourceLocation: sourceLocation)
    if namingPlace {
        #expect(ImportMessages.namesPlace(result.stderr, file: path), "\(label)\(result.stderr)", sourceLocation: sourceLocation)
    }
    for word in words {
        #expect(result.stderr.contains(word), "\(label)no \"\(word)\" in \(result.stderr)", sourceLocation: sourceLocation)
    }
    #expect(!ImportMessages.leaksSQL(result.stderr), "\(label)\(result.stderr)", sourceLocation: sourceLocation)
    #expect(try StoreFiles.fingerprint(db) == before, "\(label)the refused import changed the store", sourceLocation: sourceLocation)
}

enum StoreFiles {
    /// Row count and content digest of every ordinary table (R-tree shadow tables included):
    /// equal fingerprints mean an unchanged store.
    static func fingerprint(_ path: String) throws -> [String] {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        return try queue.read { db in
            let tables = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'
                  AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name
                """)
            return try tables.map { table in
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"").map(\.description).sorted()
                var digest = Hasher()
                for row in rows { digest.combine(row) }
                return "\(table):\(rows.count):\(digest.finalize())"
            }
        }
    }

    static func copy(_ source: URL, to destination: URL) throws {
        for suffix in ["", "-wal", "-shm"] {
            let target = URL(fileURLWithPath: destination.path + suffix)
            try? FileManager.default.removeItem(at: target)
            let from = URL(fileURLWithPath: source.path + suffix)
            if FileManager.default.fileExists(atPath: from.path) { try FileManager.default.copyItem(at: from, to: target) }
        }
    }
}

/// The demo district of GeoData/ loaded by the binary into one store, once per test process; tests copy it.
enum DemoStore {
    static let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-import-checks-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: DemoStore.folder) }
        return url
    }()

    static let data = CLI.repository.appendingPathComponent("GeoData")

    static let base: Result<URL, any Error> = Result {
        let db = folder.appendingPathComponent("base.sqlite").path
        let steps: [[String]] = [
            ["init"],
            ["import", "osm", data.appendingPathComponent("demo-district.osm").path],
            ["import", "geojson", data.appendingPathComponent("communities.geojson").path, "--layer", "communities"],
            ["import", "geojson", data.appendingPathComponent("grids.geojson").path, "--layer", "grids"],
            ["import", "households", data.appendingPathComponent("households.csv").path],
        ]
        for step in steps {
            let result = try CLI.run(["--db", db] + step)
            guard result.status == 0 else { throw StoreError.environment("demo store: \(step) failed: \(result.stderr)") }
        }
        return URL(fileURLWithPath: db)
    }

    /// A private copy of the demo store.
    static func copy(named name: String, in directory: URL) throws -> URL {
        let destination = directory.appendingPathComponent(name)
        try StoreFiles.copy(try base.get(), to: destination)
        return destination
    }
}
