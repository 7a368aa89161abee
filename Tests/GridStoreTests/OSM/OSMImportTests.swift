import Foundation
import GRDB
import GridModel
import GridStore
import Testing

@Suite("OSM import")
struct OSMImportTests {
    @Test("hand-made extract: network split at junctions, walk rule, buildings, households, facilities")
    func smallExtract() throws {
        let temporary = try TemporaryStore()
        let path = try temporary.file("small.osm", OSMFixtures.small)
        let summary = try OSMImporter.run(store: temporary.store, path: path)

        #expect(summary.count("highway ways") == 5)
        #expect(summary.count("walkable ways") == 3)
        #expect(summary.count("missing node references") == 2)
        #expect(summary.count("ways with missing nodes") == 2)
        #expect(summary.count("building objects") == 6)
        #expect(summary.count("buildings imported") == 4)
        #expect(summary.count("buildings skipped") == 2)

        let edges = try temporary.store.read { db in
            try Row.fetchAll(db, sql: "SELECT source_node, target_node, length_m, highway FROM network_edges ORDER BY id")
                .map { "\($0[0] as Int64)-\($0[1] as Int64):\(Int(($0[2] as Double).rounded())):\($0[3] as String)" }
        }
        // 0.001° of longitude at 39.9° N is 85.3 m; 0.001° of latitude is 111.2 m.
        #expect(edges == ["1-2:85:residential", "2-3:85:residential", "2-4:111:footway", "4-3000000001:85:path"])

        struct Stored: Sendable { var id: String; var type: String; var levels: Double; var estimated: Bool; var households: Int; var area: Double }
        let buildings = try temporary.store.read { db in
            try Row.fetchAll(db, sql: "SELECT source_id, building_type, levels, levels_estimated, households, area_m2 FROM buildings ORDER BY source_id")
                .map { Stored(id: $0[0], type: $0[1], levels: $0[2], estimated: $0[3], households: $0[4], area: $0[5]) }
        }
        #expect(buildings.map(\.id) == ["r300", "w200", "w201", "w202"])
        let apartments = try #require(buildings.first { $0.id == "w200" })
        // 0.0002° × 0.0002° at 39.9002° N: 17.06 m × 22.24 m.
        #expect(abs(apartments.area - 379.4) < 1.5)
        #expect(apartments.households == Int((apartments.area * 10 / 90).rounded()))
        #expect(!apartments.estimated)
        let plain = try #require(buildings.first { $0.id == "w201" })
        #expect(plain.levels == 3 && plain.estimated)
        #expect(plain.households == Swift.max(1, Int((plain.area * 3 / 90).rounded())))
        #expect(buildings.first { $0.id == "w202" }?.households == 0)
        // The courtyard is not floor space.
        let courtyard = try #require(buildings.first { $0.id == "r300" })
        #expect(abs(courtyard.area - (34.12 * 44.48 - 8.53 * 11.12)) < 5)

        let pointsInside = try temporary.store.read { db in
            try Bool.fetchAll(db, sql: "SELECT ST_Within(point, footprint) FROM buildings")
        }
        #expect(pointsInside.allSatisfy { $0 })

        let facilities = try temporary.store.read { db in
            try Row.fetchAll(db, sql: "SELECT category, source_id, name, capacity FROM facilities ORDER BY category")
                .map { "\($0[0] as String):\($0[1] as String):\($0[2] as String? ?? "-"):\($0[3] as Int? ?? -1)" }
        }
        #expect(facilities == ["kindergarten:n21:-:120", "pharmacy:n20:同仁堂:-1", "school:w220:Primary School:-1"])
        #expect(try temporary.count("import_log") == 1)
    }

    @Test("the same extract gzip-compressed gives the same store")
    func gzip() throws {
        let plain = try TemporaryStore()
        _ = try OSMImporter.run(store: plain.store, path: try plain.file("small.osm", OSMFixtures.small))
        let compressed = try TemporaryStore()
        let source = try compressed.file("small.osm", OSMFixtures.small)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-k", source]
        try Processes.launch(process)
        process.waitUntilExit()
        _ = try OSMImporter.run(store: compressed.store, path: source + ".gz")
        for table in ["network_edges", "buildings", "facilities"] {
            #expect(try plain.count(table) == compressed.count(table))
        }
    }

    @Test("re-importing replaces the OSM layers instead of doubling them")
    func reimport() throws {
        let temporary = try TemporaryStore()
        let path = try temporary.file("small.osm", OSMFixtures.small)
        _ = try OSMImporter.run(store: temporary.store, path: path)
        _ = try OSMImporter.run(store: temporary.store, path: path)
        #expect(try temporary.count("network_edges") == 4)
        #expect(try temporary.count("buildings") == 4)
        #expect(try temporary.count("import_log") == 2)
    }

    @Test("custom rules change the estimate and the categories")
    func customRules() throws {
        var rules = ImportRules.default
        rules.households.dwellingSquareMeters = 45
        rules.facilities.removeAll { $0.category == "pharmacy" }
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: try temporary.file("small.osm", OSMFixtures.small), rules: rules)
        let households = try temporary.store.read { try Int.fetchOne($0, sql: "SELECT households FROM buildings WHERE source_id = 'w200'") }
        #expect(households == 84 || households == 85)
        #expect(try temporary.store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM facilities WHERE category = 'pharmacy'") } == 0)
    }

    @Test("a rules file with a wrong field is refused with the field named")
    func badRules() {
        let text = ImportRules.defaultJSON.replacingOccurrences(of: "\"dwellingSquareMeters\": 90", with: "\"dwellingSquareMeters\": \"ninety\"")
        #expect {
            _ = try ImportRules.decode(Data(text.utf8), file: "rules.json")
        } throws: { error in
            "\(error)".contains("rules.json") && "\(error)".contains("dwellingSquareMeters")
        }
    }
}
