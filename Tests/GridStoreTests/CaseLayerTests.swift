import Foundation
import GRDB
import GridAnalysis
import GridCases
import GridModel
import GridServices
@testable import GridStore
import TestSupport
import Testing

/// Monday 2026-03-02 09:00 Beijing time.
private let monday9: Timestamp = WorkingCalendar.standard.parseInstant("2026-03-02T09:00:00+08:00")!

/// Cases as a GIS layer (migration v11-case-geometry) and as a collection of the feature engine, on Wudaokou with
/// a 4 × 4 plan of grids and a worker on every grid.
@Suite("Cases as a layer on Wudaokou", .enabled(if: SharedData.available, SharedData.skipReason), .serialized)
struct CaseLayerTests {
    /// The north-west quarter of the plan (grids 001, 002, 005, 006).
    static let quarter = BoundingBox(minLongitude: 116.307, minLatitude: 40.001, maxLongitude: 116.3195, maxLatitude: 40.013)

    /// 30 reports at households' buildings picked at random, one transaction each.
    static func reported(_ store: Store) throws -> [CaseRepository.StoredCase] {
        let network = try CaseNetwork.load(store)
        let buildings = try AnalysisData.buildings(store).filter { $0.households > 0 && WudaokouCaseTests.expectedGrid($0.point) != nil }
        var random = SplitMix64(seed: 711)
        return try (0..<30).map { i in
            let point = buildings[random.below(buildings.count)].point
            let report = CaseRepository.Report(category: i % 2 == 0 ? "street-light" : "refuse-pile", description: "报告\(i)", point: point,
                                               reporterKind: .gridWorker, at: monday9 + Int64(i) * 60)
            return try CaseRepository.report(report, store: store, network: network, actor: "w").0
        }
    }

    static func which(_ name: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let output = try Processes.run(executable, arguments)
        #expect(output.status == 0, "\(executable) \(arguments): \(output.stderr)")
        return output.stdout
    }

    @Test("v11-case-geometry: each case's point is cases.geom in geometry_columns with an R-tree; cases_map gives state and overdue; ogrinfo sees both layers")
    func layer() throws {
        let temporary = try WudaokouCaseTests.prepared()
        let store = temporary.store
        let cases = try Self.reported(store)
        // A writer that does not fill geom (another program, plain SQL): the trigger does.
        try store.write { db in
            try db.execute(sql: """
                INSERT INTO cases (code, category_code, description, longitude, latitude, outside_grids, grid_distance_m, department_code, reporter_kind,
                    priority, state, registered_at, updated_at, events) VALUES ('plain', 'noise', 'd', 116.3101, 40.0102, 1, 0, 'chengguan', 'other', 3, 'registered', 0, 0, 1)
                """)
        }
        try store.read { db in
            let column = try #require(try Row.fetchOne(db, sql: """
                SELECT geometry_type, srid, spatial_index_enabled FROM geometry_columns WHERE f_table_name = 'cases' AND f_geometry_column = 'geom'
                """))
            #expect(column[0] as Int == 1 && column[1] as Int == 4326 && column[2] as Int == 1, "POINT, EPSG:4326, R-tree")
            #expect(try Int.fetchOne(db, sql: "SELECT CheckSpatialMetadata()") == 3)
            // The stored point is the reported one, to the bit.
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM cases") == 31)
            #expect(try Int.fetchOne(db, sql: """
                SELECT count(*) FROM cases WHERE geom IS NOT NULL AND X(geom) = longitude AND Y(geom) = latitude AND SRID(geom) = 4326
                """) == 31)
            for stored in cases {
                let row = try #require(try Row.fetchOne(db, sql: "SELECT X(geom), Y(geom) FROM cases WHERE code = ?", arguments: [stored.code]))
                #expect(row[0] as Double == stored.point.longitude && row[1] as Double == stored.point.latitude)
            }
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM idx_cases_geom") == 31)
            // The R-tree answers a box as the coordinates do.
            let box = Self.quarter
            let byIndex = try Int64.fetchAll(db, sql: """
                SELECT pkid FROM idx_cases_geom WHERE xmin <= ? AND xmax >= ? AND ymin <= ? AND ymax >= ? ORDER BY pkid
                """, arguments: [box.maxLongitude, box.minLongitude, box.maxLatitude, box.minLatitude])
            let byPoint = try Int64.fetchAll(db, sql: """
                SELECT id FROM cases WHERE longitude BETWEEN ? AND ? AND latitude BETWEEN ? AND ? ORDER BY id
                """, arguments: [box.minLongitude, box.maxLongitude, box.minLatitude, box.maxLatitude])
            #expect(!byPoint.isEmpty && byPoint.count < 31 && byIndex == byPoint)
            #expect(try String.fetchAll(db, sql: "SELECT view_name FROM views_geometry_columns") == ["cases_map"])
        }

        // Moving a case's point (plain SQL) moves its geometry and its R-tree entry.
        try store.write { try $0.execute(sql: "UPDATE cases SET longitude = 116.3301, latitude = 39.9901 WHERE code = 'plain'") }
        try store.read { db in
            let row = try #require(try Row.fetchOne(db, sql: """
                SELECT X(c.geom), Y(c.geom), i.xmin, i.ymax FROM cases c JOIN idx_cases_geom i ON i.pkid = c.id WHERE c.code = 'plain'
                """))
            #expect(row[0] as Double == 116.3301 && row[1] as Double == 39.9901)
            #expect(abs(row[2] as Double - 116.3301) < 1e-4 && abs(row[3] as Double - 39.9901) < 1e-4)
        }

        // cases_map: the stored state (the replay of the log) and overdue as the API judges it, at the time it is read.
        let dispatched = cases[0].code
        _ = try CaseRepository.transition(store: store, code: dispatched, action: .dispatch, actor: "d", at: monday9 + 3600)
        let now = Int64(Date().timeIntervalSince1970)
        let map = try store.read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT code, state, overdue, X(geom) FROM cases_map").map {
                ($0[0] as String, (state: $0[1] as String, overdue: $0[2] as Int, longitude: $0[3] as Double))
            })
        }
        #expect(map.count == 31)
        for stored in try CaseRepository.list(store: store, filter: .init()).cases {
            let row = try #require(map[stored.code])
            #expect(row.state == stored.state.rawValue && row.longitude == stored.point.longitude)
            let overdue = stored.json(calendar: .standard, now: now)["overdue"] as? Bool
            #expect((row.overdue == 1) == overdue, "\(stored.code)")
        }
        let dispatchedRow = try #require(map[dispatched])
        #expect(dispatchedRow.state == "dispatched" && dispatchedRow.overdue == 1, "dispatched in March: past its deadline now")

        // A GIS client (GDAL's ogrinfo) lists both layers and filters the cases by a box through the R-tree.
        guard let ogrinfo = Self.which("ogrinfo") else {
            print("skipped the ogrinfo check: ogrinfo is not installed (scripts/setup.sh installs gdal-bin)")
            return
        }
        let layers = try Self.run(ogrinfo, ["-ro", "-q", temporary.path])
        #expect(layers.contains("cases (Point)") && layers.contains("cases_map (Point)"), "\(layers)")
        let summary = try Self.run(ogrinfo, ["-ro", "-so", temporary.path, "cases"])
        #expect(summary.contains("Feature Count: 31") && summary.contains("Geometry: Point"), "\(summary)")
        let box = Self.quarter
        let inBox = try store.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM cases WHERE longitude BETWEEN ? AND ? AND latitude BETWEEN ? AND ?",
                             arguments: [box.minLongitude, box.maxLongitude, box.minLatitude, box.maxLatitude]) ?? -1
        }
        let filtered = try Self.run(ogrinfo, ["-ro", "-so", "-spat", "\(box.minLongitude)", "\(box.minLatitude)", "\(box.maxLongitude)",
                                              "\(box.maxLatitude)", temporary.path, "cases"])
        #expect(filtered.contains("Feature Count: \(inBox)"), "\(inBox) cases in the box: \(filtered)")
    }

    @Test("a store whose cases predate v11 gets their points as geometry when opened")
    func migrationFillsExistingCases() throws {
        let temporary = try WudaokouCaseTests.prepared()
        let cases = try Self.reported(temporary.store)
        // The store as it was before v11.
        try temporary.store.write { db in
            try db.execute(sql: """
                DELETE FROM views_geometry_columns WHERE view_name = 'cases_map';
                DROP VIEW cases_map;
                DROP TRIGGER cases_geom_on_insert;
                DROP TRIGGER cases_geom_on_move;
                SELECT DisableSpatialIndex('cases', 'geom');
                DROP TABLE idx_cases_geom;
                SELECT DiscardGeometryColumn('cases', 'geom');
                ALTER TABLE cases DROP COLUMN geom;
                DELETE FROM grdb_migrations WHERE identifier = 'v11-case-geometry';
                """)
        }
        let reopened = try Store.open(path: temporary.path)
        try reopened.read { db throws in
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM cases WHERE X(geom) = longitude AND Y(geom) = latitude") == cases.count)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM idx_cases_geom") == cases.count)
            #expect(try Int.fetchOne(db, sql: "SELECT CheckSpatialMetadata()") == 3)
        }
        #expect(try CaseRepository.inconsistent(store: reopened).isEmpty)
    }

    @Test("the feature engine serves cases: bbox, paging, the case's own filters, and lights that follow the clock through the cache")
    func featureEngine() throws {
        let temporary = try WudaokouCaseTests.prepared()
        let store = temporary.store
        let cases = try Self.reported(store)
        let reader = FeatureReader(store: store)
        let box = Self.quarter
        let inside = cases.filter { box.contains($0.point) }.map(\.code)
        #expect(!inside.isEmpty && inside.count < cases.count)

        // Pages of 4 through the box: every case inside it once, in id order, at its reported point.
        var seen: [String] = []
        var offset = 0
        while true {
            var query = FeatureQuery(collection: .cases, limit: 4)
            query.bbox = box
            query.offset = offset
            let page = try reader.page(query)
            #expect(page.numberMatched == inside.count)
            let features = try #require(try JSONSerialization.jsonObject(with: Data(("[" + String(decoding: page.features, as: UTF8.self) + "]").utf8)) as? [[String: Any]])
            for feature in features {
                let code = try #require(feature["id"] as? String)
                let stored = try #require(cases.first { $0.code == code })
                let coordinates = (feature["geometry"] as? [String: Any])?["coordinates"] as? [Double] ?? []
                #expect(coordinates.count == 2 && abs(coordinates[0] - stored.point.longitude) < 1e-7 && abs(coordinates[1] - stored.point.latitude) < 1e-7)
                let properties = feature["properties"] as? [String: Any] ?? [:]
                #expect(properties["grid_code"] as? String == stored.grid && properties["community_code"] as? String == stored.community)
                seen.append(code)
            }
            guard let next = page.nextOffset else { break }
            offset = next
        }
        #expect(seen == inside)

        // The case's filters: status, grid (by its other name), overdue at the query's instant.
        let grid = try #require(cases[0].grid)
        var byGrid = FeatureQuery(collection: .cases, limit: 100)
        byGrid.filters = [.init(try #require(FeatureCollection.cases.property(named: "grid_code")), .string(grid))]
        byGrid.caseConditions = [.status("open")]
        #expect(try reader.page(byGrid).numberMatched == cases.filter { $0.grid == grid }.count)

        // One case dispatched: its light goes green → yellow at 80 % of the step's working time → red after the
        // deadline, read through one reader (and its cache) with no commit in between.
        let moved = try CaseRepository.transition(store: store, code: cases[0].code, action: .dispatch, actor: "d", at: monday9 + 3600)
        let start = try #require(moved.stepStartedAt), deadline = try #require(moved.stepDeadline)
        let calendar = try CaseSetup.calendar(store)
        let yellow = FeatureReader.renderingChanges(moved, calendar: calendar, now: start)
        #expect(yellow > start && yellow < deadline)
        func light(at now: Int64) throws -> (String?, Bool?, Int) {
            var query = FeatureQuery(collection: .cases, limit: 100)
            query.now = now
            query.caseConditions = [.status("dispatched")]
            let one = try reader.page(query)
            var overdue = FeatureQuery(collection: .cases, limit: 100)
            overdue.now = now
            overdue.caseConditions = [.overdue]
            let features = try JSONSerialization.jsonObject(with: Data(("[" + String(decoding: one.features, as: UTF8.self) + "]").utf8)) as? [[String: Any]] ?? []
            let properties = features.first?["properties"] as? [String: Any]
            return (properties?["light"] as? String, properties?["overdue"] as? Bool, try reader.page(overdue).numberMatched)
        }
        #expect(try light(at: start + 60) == ("green", false, 0))
        #expect(try light(at: yellow - 1) == ("green", false, 0))
        #expect(try light(at: yellow) == ("yellow", false, 0))
        #expect(try light(at: deadline) == ("yellow", false, 0))
        #expect(try light(at: deadline + 1) == ("red", true, 1))
        let stored = try #require(try CaseRepository.find(store: store, code: cases[0].code))
        #expect(stored.light(calendar: calendar, now: yellow - 1) == .green && stored.light(calendar: calendar, now: yellow) == .yellow)
    }
}
