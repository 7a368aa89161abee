import Foundation
import GRDB
import GridAnalysis
import GridModel
import GridServices
@testable import GridStore
import Testing

/// The analysis reads a city's geometries from the stored Spatialite blobs in place; every position must be the one
/// Spatialite itself reads (`X()`, `Y()`, `AsBinary`), and every blob that is not the plain case must go to Spatialite.
@Suite("Stored rows read in place")
struct StoredRowsTests {
    @Test("network edges and building points read in place equal Spatialite's reading, bit for bit")
    func samePositions() throws {
        let temporary = try CoverageStoreTests.demoStore()
        let (edges, points) = try temporary.store.read { db in
            var edges = 0, points = 0
            for row in try Row.fetchAll(db, sql: "SELECT id, geom, AsBinary(geom) FROM network_edges") {
                let blob: Data = row[1], wkb: Data = row[2]
                var inPlace: [Coordinate] = [], spatialite: [Coordinate] = []
                let plain = blob.withUnsafeBytes { SpatialiteBlob.line($0, into: &inPlace) }
                #expect(plain, "edge \(row[0] as Int64) is stored in the plain form")
                #expect(AnalysisData.plainLine(wkb, into: &spatialite))
                #expect(inPlace.map { [$0.longitude.bitPattern, $0.latitude.bitPattern] } == spatialite.map { [$0.longitude.bitPattern, $0.latitude.bitPattern] })
                edges += 1
            }
            for row in try Row.fetchAll(db, sql: "SELECT id, point, X(point), Y(point) FROM buildings") {
                let blob: Data = row[1]
                let point = blob.withUnsafeBytes { SpatialiteBlob.point($0) }
                #expect(point?.longitude.bitPattern == (row[2] as Double).bitPattern)
                #expect(point?.latitude.bitPattern == (row[3] as Double).bitPattern)
                points += 1
            }
            return (edges, points)
        }
        #expect(edges > 100 && points > 100)
    }

    @Test("blobs that are not the plain case are refused, so Spatialite reads them")
    func refusesOthers() throws {
        let temporary = try CoverageStoreTests.demoStore()
        try temporary.store.read { db in
            let line: Data = try #require(try Data.fetchOne(db, sql: "SELECT geom FROM network_edges LIMIT 1"))
            let point: Data = try #require(try Data.fetchOne(db, sql: "SELECT point FROM buildings LIMIT 1"))
            let lineZ: Data = try #require(try Data.fetchOne(db, sql: "SELECT CastToXYZ(geom) FROM network_edges LIMIT 1"))
            let compressed: Data = try #require(try Data.fetchOne(db, sql: "SELECT CompressGeometry(geom) FROM network_edges LIMIT 1"))
            var shape: [Coordinate] = []
            for bad in [lineZ, compressed, point, Data(line.dropLast()), Data(line.prefix(40)), Data()] {
                #expect(!bad.withUnsafeBytes { SpatialiteBlob.line($0, into: &shape) })
            }
            var bigEndian = line
            bigEndian[bigEndian.startIndex + 1] = 0
            #expect(!bigEndian.withUnsafeBytes { SpatialiteBlob.line($0, into: &shape) })
            for bad in [line, Data(point.dropLast()), Data()] {
                #expect(bad.withUnsafeBytes { SpatialiteBlob.point($0) } == nil)
            }
        }
    }

    @Test("the analysis's buildings and network equal those read through Spatialite")
    func sameAnalysisData() throws {
        let temporary = try CoverageStoreTests.demoStore()
        let buildings = try AnalysisData.buildings(temporary.store)
        let reference = try temporary.store.read { db in
            try Row.fetchAll(db, sql: """
                SELECT b.id, X(b.point), Y(b.point), b.households, p.grid_code, p.community_code
                FROM buildings b LEFT JOIN building_places p ON p.building_id = b.id ORDER BY b.id
                """).map { Coverage.Building(id: $0[0], point: Coordinate(longitude: $0[1], latitude: $0[2]), households: $0[3], grid: $0[4], community: $0[5]) }
        }
        #expect(buildings == reference)
        #expect(!buildings.isEmpty)

        // A building whose point Spatialite holds in another form (XYZ) is read through Spatialite, not refused.
        let id = buildings[0].id
        try temporary.store.writeWithoutTransaction { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS ggu_buildings_point")
            try db.execute(sql: "UPDATE buildings SET point = CastToXYZ(point) WHERE id = ?", arguments: [id])
        }
        try BuildingPlaces.refreshIfNeeded(temporary.store)
        let placesCurrent = try temporary.store.read { try Bool.fetchOne($0, sql: "SELECT \(BuildingPlaces.currentSQL)") }
        #expect(placesCurrent == true)
        let again = try AnalysisData.buildings(temporary.store)
        #expect(again.first { $0.id == id }?.point == buildings[0].point)
    }

    @Test("a stored run keeps its rows' reference to the run, and the store enforces references again after it")
    func foreignKeysBack() throws {
        let temporary = try CoverageStoreTests.demoStore()
        let result = try CoverageJob.compute(store: temporary.store, profile: .gb50180)
        let run = try CoverageRuns.save(result, store: temporary.store, seconds: 0.1)
        let checks = try temporary.store.read { db in
            (foreignKeys: try Int.fetchOne(db, sql: "PRAGMA foreign_keys"),
             buildingViolations: try Row.fetchAll(db, sql: "PRAGMA foreign_key_check(coverage_buildings)").count,
             nearestViolations: try Row.fetchAll(db, sql: "PRAGMA foreign_key_check(coverage_nearest)").count,
             rows: try Int.fetchOne(db, sql: "SELECT count(*) FROM coverage_buildings WHERE run_id = ?", arguments: [run]))
        }
        #expect(checks.foreignKeys == 1)
        #expect(checks.buildingViolations == 0 && checks.nearestViolations == 0)
        #expect(checks.rows == result.buildings.count)
        let refused = try temporary.store.write { db -> Bool in
            do {
                try db.execute(sql: "INSERT INTO coverage_nearest (run_id, building_id, category, facility_id, distance_m) VALUES (999, 1, 'x', 1, 1)")
                return false
            } catch {
                return true
            }
        }
        #expect(refused, "a row naming no run is refused after a run was stored")
    }
}
