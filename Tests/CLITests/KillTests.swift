import Foundation
import GRDB
import GridModel
import GridStore
import Testing

/// `kill -9` at seeded random moments of the three long writes: the store must pass SQLite's integrity check and
/// Spatialite's metadata check, every R-tree must index exactly its table's geometries, and the row counts must
/// be those before the command or those after it, never a mix.
@Suite("kill -9 during writes", .serialized)
struct KillTests {
    static let trials = 6

    @Test("kill -9 during import osm, grids apply and coverage leaves a consistent store, before or after")
    func killAtRandomMoments() throws {
        let directory = try TemporaryDirectory()
        let base = try DemoStore.copy(named: "base.sqlite", in: directory.url)
        #expect(try CLI.run(["--db", base.path, "grids", "assign"]).status == 0)
        let rebalance = try CLI.run(["--db", base.path, "grids", "rebalance", "--min", "800", "--max", "1300", "--json"])
        let run = try #require(try JSONSerialization.jsonObject(with: Data(rebalance.stdout.utf8)) as? [String: Any], "\(rebalance.stderr)")
        let runID = try #require(run["id"] as? Int)
        let operations: [(name: String, arguments: [String])] = [
            ("import osm", ["import", "osm", DemoStore.data.appendingPathComponent("demo-district.osm").path]),
            ("grids apply", ["grids", "apply", String(runID)]),
            ("coverage", ["coverage"]),
        ]
        let before = try Self.counts(base.path)
        var random = SplitMix64(seed: 0x9_1115)
        let work = directory.url.appendingPathComponent("work.sqlite")
        for operation in operations {
            // The state after an uninterrupted run, and how long one takes.
            try StoreFiles.copy(base, to: work)
            let started = Date()
            let whole = try CLI.run(["--db", work.path] + operation.arguments)
            let duration = Date().timeIntervalSince(started)
            try #require(whole.status == 0, "\(operation.name): \(whole.stderr)")
            let after = try Self.counts(work.path)
            #expect(after != before, "\(operation.name) changed no count")
            var outcomes: [String] = []
            for trial in 0..<Self.trials {
                try StoreFiles.copy(base, to: work)
                // Mostly inside the write, some after the commit: startup takes the first part of `duration`.
                let delay = duration * (0.2 + 0.95 * random.unit())
                let process = Process()
                process.executableURL = CLI.binary
                process.arguments = ["--db", work.path] + operation.arguments
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try CLI.launch(process)
                Thread.sleep(forTimeInterval: delay)
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                let label = "\(operation.name), trial \(trial), kill after \(Int(delay * 1000)) ms"
                try Self.expectConsistent(work.path, label)
                let counts = try Self.counts(work.path)
                #expect(counts == before || counts == after, "\(label): counts are neither before nor after: \(counts)")
                outcomes.append(counts == after ? "after" : "before")
            }
            print("kill -9 \(operation.name) (\(Int(duration * 1000)) ms uninterrupted): \(outcomes.joined(separator: ", "))")
        }
    }

    /// Row counts of every ordinary table.
    static func counts(_ path: String) throws -> [String: Int] {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            let tables = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'
                  AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'
                """)
            var counts: [String: Int] = [:]
            for table in tables { counts[table] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \"\(table)\"") ?? 0 }
            return counts
        }
    }

    static func expectConsistent(_ path: String, _ label: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.read { db in
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            #expect(integrity == ["ok"], "\(label): integrity_check: \(integrity.prefix(5))")
            let indexed = try Row.fetchAll(db, sql: "SELECT f_table_name, f_geometry_column FROM geometry_columns WHERE spatial_index_enabled = 1")
            #expect(!indexed.isEmpty)
            for row in indexed {
                let table: String = row[0], column: String = row[1]
                let rows = try Int.fetchOne(db, sql: "SELECT count(*) FROM \"\(table)\" WHERE \"\(column)\" IS NOT NULL") ?? -1
                let entries = try Int.fetchOne(db, sql: "SELECT count(*) FROM \"idx_\(table)_\(column)\"") ?? -1
                #expect(rows == entries, "\(label): \(table).\(column) has \(rows) geometries but its R-tree \(entries) entries")
            }
        }
        let store = try Store.open(path: path)
        let metadata = try store.read { try Int.fetchOne($0, sql: "SELECT CheckSpatialMetadata()") }
        #expect(metadata == 3, "\(label): CheckSpatialMetadata() = \(metadata.map(String.init) ?? "nil")")
    }
}
