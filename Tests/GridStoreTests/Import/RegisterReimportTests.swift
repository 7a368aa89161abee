import Foundation
import GRDB
import GridStore
import Testing

/// A planner's register is never lost by an OSM import: rows follow their building by source id, rows whose
/// building is gone are kept detached and reported.
@Suite("Household register across OSM re-imports")
struct RegisterReimportTests {
    struct Building: Sendable, Hashable { var sourceID: String; var households: Int; var source: String }

    static func registerBuildings(_ store: Store) throws -> [String: Building] {
        try store.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: """
                SELECT source_id, households, households_source FROM buildings WHERE households_source = 'register'
                """).map { ($0[0] as String, Building(sourceID: $0[0], households: $0[1], source: $0[2])) })
        }
    }

    /// Register sums per source id, from the register table itself (attached rows only).
    static func registerSums(_ store: Store) throws -> [String: Int] {
        try store.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: """
                SELECT building_source_id, sum(households) FROM household_register WHERE building_id IS NOT NULL GROUP BY 1
                """).map { ($0[0] as String, $0[1] as Int) })
        }
    }

    @Test("hand-made extract: a re-import keeps the rows and the register's households")
    func smallExtract() throws {
        let temporary = try TemporaryStore()
        let osm = try temporary.file("small.osm", OSMFixtures.small)
        _ = try OSMImporter.run(store: temporary.store, path: osm)
        _ = try HouseholdRegisterImporter.run(store: temporary.store, path: try temporary.file("r.csv", "building_id,unit,households\nw200,1,150\nr300,1,20\nr300,2,5\n"))
        let summary = try OSMImporter.run(store: temporary.store, path: osm)
        #expect(summary.change("household_register", "rows re-attached") == 3)
        #expect(summary.change("buildings", "replaced") == 4)
        #expect(summary.change("network_edges", "replaced") == 4)
        #expect(summary.change("facilities", "replaced") == 3)
        #expect(try Self.registerBuildings(temporary.store) == [
            "w200": Building(sourceID: "w200", households: 150, source: "register"),
            "r300": Building(sourceID: "r300", households: 25, source: "register"),
        ])
        #expect(summary.households?.groups.first { $0.source == "register" }?.households == 175)
        #expect(summary.text.contains("household_register  3 rows re-attached"))
    }

    /// Wudaokou without the OSM ways of `removed` (their XML elements cut out).
    static func extract(without removed: Set<String>) throws -> String {
        let text = try String(contentsOfFile: SharedData.path("cn_beijing_haidian_wudaokou_2017.osm"), encoding: .utf8)
        var kept: [Substring] = []
        var skipping = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !skipping, let range = line.range(of: "<way id=\""),
               let end = line[range.upperBound...].firstIndex(of: "\""),
               removed.contains("w" + line[range.upperBound..<end]) {
                skipping = !line.contains("/>")
                continue
            }
            if skipping {
                if line.contains("</way>") { skipping = false }
                continue
            }
            kept.append(line)
        }
        return kept.joined(separator: "\n")
    }

    @Test("Wudaokou: re-importing keeps every row attached; an extract missing buildings detaches their rows, reported; they come back",
          .enabled(if: SharedData.available, SharedData.skipReason))
    func wudaokou() throws {
        let temporary = try TemporaryStore()
        let osm = SharedData.path("cn_beijing_haidian_wudaokou_2017.osm")
        _ = try OSMImporter.run(store: temporary.store, path: osm)
        // A register for the 30 residential buildings with the most estimated households: two units each.
        let chosen = try temporary.store.read { db in
            try String.fetchAll(db, sql: """
                SELECT source_id FROM buildings WHERE households > 0 AND source_id LIKE 'w%' ORDER BY households DESC, id LIMIT 30
                """)
        }
        #expect(chosen.count == 30)
        var csv = "楼栋编号,单元,楼层,户数\r\n"
        for (index, id) in chosen.enumerated() { csv += "\(id),1,1,\(10 + index)\r\n\(id),2,1,\(7 * index)\r\n" }
        _ = try HouseholdRegisterImporter.run(store: temporary.store, path: try temporary.file("register.csv", csv))
        let expected = Dictionary(uniqueKeysWithValues: chosen.enumerated().map { ($1, 10 + $0 + 7 * $0) })
        let before = try Self.registerBuildings(temporary.store)
        #expect(before.mapValues(\.households) == expected)

        let again = try OSMImporter.run(store: temporary.store, path: osm)
        #expect(again.change("household_register", "rows re-attached") == 60)
        #expect(again.change("household_register", "rows kept detached (building gone)") == nil)
        #expect(again.change("buildings", "replaced") == 521)
        #expect(try temporary.count("household_register") == 60)
        #expect(try Self.registerBuildings(temporary.store) == before)
        #expect(try Self.registerSums(temporary.store) == expected)
        #expect(try StoreInfo.read(temporary.store).counts.first { $0.name == "household_register_detached" }?.value == 0)

        // Five of them are missing from the next extract: their ten rows are kept, detached, and named.
        let gone = Set(chosen.prefix(5))
        let partial = try temporary.file("partial.osm", try Self.extract(without: gone))
        let fingerprintRows = try temporary.store.read { try Row.fetchAll($0, sql: "SELECT id, unit, floor, households, source, source_line FROM household_register ORDER BY id").map(\.description) }
        let cut = try OSMImporter.run(store: temporary.store, path: partial)
        #expect(cut.change("buildings", "replaced") == 521)
        #expect(cut.count("buildings imported") == 516)
        #expect(cut.change("household_register", "rows re-attached") == 50)
        #expect(cut.change("household_register", "rows kept detached (building gone)") == 10)
        let detachedWarnings = cut.warnings.examples.filter { $0.contains("kept detached") }
        #expect(detachedWarnings.count == 5)
        for id in gone { #expect(detachedWarnings.contains { $0.contains("building \(id) ") }, "\(id) not reported") }
        #expect(try temporary.count("household_register") == 60)
        #expect(try temporary.store.read { try Row.fetchAll($0, sql: "SELECT id, unit, floor, households, source, source_line FROM household_register ORDER BY id").map(\.description) } == fingerprintRows)
        #expect(try Self.registerSums(temporary.store) == expected.filter { !gone.contains($0.key) })
        let info = try StoreInfo.read(temporary.store)
        #expect(info.counts.first { $0.name == "household_register_detached" }?.value == 10)
        #expect(Set(info.detachedRegister.map(\.sourceID)) == Set(gone.map { "osm " + $0 }))

        // The full extract brings the buildings back, and their rows with them.
        let back = try OSMImporter.run(store: temporary.store, path: osm)
        #expect(back.change("household_register", "rows re-attached") == 60)
        #expect(try Self.registerBuildings(temporary.store) == before)
        #expect(try StoreInfo.read(temporary.store).detachedRegister.isEmpty)
    }
}
