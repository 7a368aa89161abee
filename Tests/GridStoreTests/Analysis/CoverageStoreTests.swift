import Foundation
import GRDB
import GridAnalysis
import GridModel
import GridServices
import GridStore
import Testing

@Suite("Coverage on stored data")
struct CoverageStoreTests {
    static let geoData = SharedData.repository.appendingPathComponent("GeoData")

    static func demoStore() throws -> TemporaryStore {
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: geoData.appendingPathComponent("demo-district.osm").path)
        _ = try GeoJSONImporter.run(store: temporary.store, path: geoData.appendingPathComponent("communities.geojson").path, layer: .communities)
        _ = try GeoJSONImporter.run(store: temporary.store, path: geoData.appendingPathComponent("grids.geojson").path, layer: .grids)
        _ = try HouseholdRegisterImporter.run(store: temporary.store, path: geoData.appendingPathComponent("households.csv").path)
        return temporary
    }

    /// Walking distance can never be shorter than the straight line between building and facility.
    static func checkLowerBound(_ result: Coverage.Result, facilities: [Coverage.Facility]) {
        let location = Dictionary(facilities.map { ($0.id, $0.location) }, uniquingKeysWith: { a, _ in a })
        var checked = 0
        for (building, outcome) in zip(result.buildings, result.results) {
            for answer in outcome.nearest {
                guard let answer, let facility = location[answer.facilityID] else { continue }
                let straight = Geodesy.distance(building.point, facility).value
                #expect(answer.distance.value >= straight * 0.999 - 0.01, "building \(building.id): \(answer.distance.value) m < straight \(straight) m")
                checked += 1
            }
        }
        #expect(checked > 0)
    }

    @Test("demo district: every building in a grid and community, results stored, distances bounded below by the straight line")
    func demo() throws {
        let temporary = try Self.demoStore()
        let result = try CoverageJob.compute(store: temporary.store, profile: .gb50180)
        #expect(result.buildings.count == (try temporary.count("buildings")))
        #expect(result.buildings.allSatisfy { $0.grid != nil && $0.community != nil })
        #expect(result.buildings.allSatisfy { $0.grid!.hasPrefix($0.community!) })
        #expect(result.results.allSatisfy { $0.offNetwork != nil })
        Self.checkLowerBound(result, facilities: try AnalysisData.facilities(temporary.store))
        // Coverage grows with the level's reach for a category that appears at two levels.
        let summary = result.summary
        let schoolAt10 = summary.levels[1].householdsMeeting[0], schoolAt15 = summary.levels[2].householdsMeeting[0]
        #expect(schoolAt10 <= schoolAt15)
        // The demo is built with gaps: some, not all, households are covered at 15 minutes per category.
        for (r, households) in summary.levels[2].householdsMeeting.enumerated() {
            #expect(households > 0 && households < summary.households, "requirement \(r)")
        }

        let run = try CoverageRuns.save(result, store: temporary.store, seconds: 0.1)
        let stored = try temporary.store.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM coverage_buildings WHERE run_id = ?", arguments: [run]) ?? 0,
             try String.fetchOne(db, sql: "SELECT nearest_categories FROM coverage_runs WHERE id = ?", arguments: [run]) ?? "",
             try Int.fetchOne(db, sql: "SELECT households FROM coverage_runs WHERE id = ?", arguments: [run]) ?? 0)
        }
        #expect(stored.0 == result.buildings.count)
        #expect(try JSONDecoder().decode([String].self, from: Data(stored.1.utf8)) == result.categories)
        #expect(try temporary.store.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM coverage_buildings WHERE run_id = ? AND nearest IS NULL", arguments: [run])
        } == 0)
        #expect(stored.2 == summary.households)
        #expect(try CoverageRuns.list(store: temporary.store).map(\.id) == [run])
    }

    @Test("the same store gives the same answer twice (deterministic ties)")
    func deterministic() throws {
        let temporary = try Self.demoStore()
        let a = try CoverageJob.compute(store: temporary.store, profile: .gb50180)
        let b = try CoverageJob.compute(store: temporary.store, profile: .gb50180)
        #expect(a.results == b.results)
    }

    @Test("Helsinki, clipped real data: coverage runs, off-network buildings are reported, distances bounded below",
          .enabled(if: SharedData.available, SharedData.skipReason))
    func helsinki() throws {
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: SharedData.path("dense_helsinki_centre_2019.osm.pbf"))
        let result = try CoverageJob.compute(store: temporary.store, profile: .gb50180)
        #expect(result.buildings.count > 400)
        Self.checkLowerBound(result, facilities: try AnalysisData.facilities(temporary.store))
        let grocery = try #require(result.categoryIndex("grocery"))
        let within = result.results.filter { $0.nearest[grocery] != nil }.count
        // The harness's networkx run covers all 446 buildings for grocery within 1080 m.
        #expect(Double(within) / Double(result.buildings.count) > 0.95)
    }
}
