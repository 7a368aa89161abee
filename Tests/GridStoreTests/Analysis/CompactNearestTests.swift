import Foundation
import GRDB
import GridAnalysis
import GridModel
import GridServices
@testable import GridStore
import Testing

/// A coverage run keeps each building's nearest facility per category in the building's row (`NearestColumn`);
/// runs stored before keep a `coverage_nearest` row per building and category. Both must read back the same answers.
@Suite("Coverage runs stored one row per building")
struct CompactNearestTests {
    @Test("the column round-trips every id and distance, and a damaged value is refused, never trapped on")
    func roundTrip() throws {
        let cases: [[(Int64, Int64)?]] = [
            [], [nil], [(1, 0)], [(-3, 12_345), nil, (Int64.max, Int64.max), (Int64.min, Int64.min)],
            (0..<17).map { $0 % 3 == 0 ? nil : (Int64($0) * 1_000_003, Int64($0) * 977) },
        ]
        var bytes: [UInt8] = []
        for answers in cases {
            NearestColumn.encode(into: &bytes, categories: answers.count) { answers[$0] }
            var read = [(Int64, Int64)?](repeating: nil, count: answers.count)
            try bytes.withUnsafeBytes { raw in
                try NearestColumn.decode(raw, categories: answers.count, what: "case") { read[$0] = ($1, $2) }
            }
            #expect(read.map { $0.map { [$0.0, $0.1] } } == answers.map { $0.map { [$0.0, $0.1] } })
            // Cut short, one byte too many, or a category bit beyond the run's: refused.
            var damaged = [bytes + [0]]
            if !bytes.isEmpty { damaged.append(Array(bytes.dropLast())) }
            if answers.count % 8 != 0 {
                var beyond = bytes
                beyond[(answers.count + 7) / 8 - 1] |= 0x80
                damaged.append(beyond)
            }
            for value in damaged {
                #expect(throws: StoreError.self, "\(value)") {
                    try value.withUnsafeBytes { raw in try NearestColumn.decode(raw, categories: answers.count, what: "case") { _, _, _ in } }
                }
            }
        }
        // The distance read back is the REAL the row per category held, bit for bit.
        for metres in [0, 0.004, 0.005, 0.015, 1.005, 299.995, 1234.5678, 99_999.994999, 1e6 / 3] {
            let centimetres = try #require(NearestColumn.centimetres(metres))
            #expect(NearestColumn.metres(centimetres).bitPattern == ((metres * 100).rounded() / 100).bitPattern, "\(metres)")
        }
        #expect(NearestColumn.centimetres(.infinity) == nil && NearestColumn.centimetres(.nan) == nil)
    }

    /// Rewrites run `run` of the store at `path` the way stores before v14 hold it: a `coverage_nearest` row per
    /// building and category with the distance rounded to the centimetre, as the earlier writer bound it.
    static func storeRowPerCategory(path: String, run: Int64, _ result: Coverage.Result) throws {
        let store = try Store.open(path: path)
        try store.write { db in
            for (b, building) in result.buildings.enumerated() {
                for (c, category) in result.categories.enumerated() {
                    guard let answer = result.results.nearest(building: b, category: c) else { continue }
                    try db.execute(sql: "INSERT INTO coverage_nearest (run_id, building_id, category, facility_id, distance_m) VALUES (?, ?, ?, ?, ?)",
                                   arguments: [run, building.id, category, answer.facilityID, (answer.distance.value * 100).rounded() / 100])
                }
            }
            try db.execute(sql: "UPDATE coverage_buildings SET nearest = NULL WHERE run_id = ?", arguments: [run])
            try db.execute(sql: "UPDATE coverage_runs SET nearest_categories = NULL WHERE id = ?", arguments: [run])
        }
    }

    /// A description with the entries of every `gridShares: [...]` dictionary sorted (a dictionary's order is not its value).
    static func orderingDictionaries(_ text: String) -> String {
        var parts = text.components(separatedBy: "gridShares: [")
        for k in parts.indices.dropFirst() {
            guard let end = parts[k].firstIndex(of: "]") else { continue }
            let entries = parts[k][..<end].components(separatedBy: ", ").sorted()
            parts[k] = entries.joined(separator: ", ") + parts[k][end...]
        }
        return parts.joined(separator: "gridShares: [")
    }

    static func json(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// Everything a reader shows of run `run`: the loaded answers, `/coverage` with buildings, the minutes per category,
    /// the area figures and the street report.
    static func readings(_ store: Store, run: Int64, community: String) throws -> [String] {
        let loaded = try CoverageRuns.load(store: store, id: run)
        let result = loaded.result
        var readings = [
            "\(result.buildings.map(\.id)) \(result.results.map { $0.nearest.map { $0.map { "\($0.facilityID):\($0.distance.value.bitPattern)" } ?? "-" } })",
            try json(CoverageReport.json(result, run: loaded.run, seconds: nil, buildings: true)),
        ]
        let figures = try CoverageAreaFigures.read(store: store, run: run)
        readings.append("\(figures.grids) \(figures.communities) \(figures.storedGrids) \(figures.storedCommunities)")
        for category in result.categories {
            let minutes = try NearestFacilityMinutes.read(store: store, run: run, category: category)
            readings.append("\(category) \(minutes.buildings) \(minutes.unreached)")
        }
        let report = try StreetReports.assemble(.init(area: .community(community), run: run, profile: .gb50180, name: nil, date: "2026-01-01"),
                                                store: store)
        readings.append(Self.orderingDictionaries(String(describing: report.report)))
        return readings
    }

    @Test("Wudaokou: a run stored in one row per building reads back exactly what the rows per category held, in every reader",
          .enabled(if: SharedData.available, SharedData.skipReason))
    func sameAsRowsPerCategory() throws {
        let temporary = try CoverageRunRealTests.wudaokou()
        let versions = try DataVersions.current(temporary.store)
        let result = try CoverageJob.compute(store: temporary.store, profile: .gb50180)
        let run = try CoverageRuns.save(result, store: temporary.store, seconds: 0, versions: versions)
        #expect(try temporary.count("coverage_nearest") == 0)
        // The same store with the run in the earlier form.
        let earlier = temporary.directory.appendingPathComponent("earlier.sqlite").path
        try temporary.store.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [earlier]) }
        try Self.storeRowPerCategory(path: earlier, run: run, result)
        let earlierStore = try Store.open(path: earlier)
        let rows = try earlierStore.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM coverage_nearest") ?? 0 }
        #expect(rows > 1000)

        // Every building × category: the compact run's answer is the stored row's, and absent exactly where no row is.
        let compact = try CoverageRuns.load(store: temporary.store, id: run).result
        let stored = try earlierStore.read { db in
            try Row.fetchAll(db, sql: "SELECT building_id, category, facility_id, distance_m FROM coverage_nearest WHERE run_id = ?", arguments: [run])
                .map { (building: $0[0] as Int64, category: $0[1] as String, facility: $0[2] as Int64, distance: $0[3] as Double) }
        }
        let index = Dictionary(uniqueKeysWithValues: compact.buildings.enumerated().map { ($0.element.id, $0.offset) })
        var answers = 0
        for b in compact.buildings.indices {
            for c in compact.categories.indices where compact.results.nearest(building: b, category: c) != nil { answers += 1 }
        }
        #expect(answers == stored.count)
        for row in stored {
            let b = try #require(index[row.building]), c = try #require(compact.categoryIndex(row.category))
            let answer = try #require(compact.results.nearest(building: b, category: c))
            #expect(answer.facilityID == row.facility && answer.distance.value.bitPattern == row.distance.bitPattern)
        }

        // Every reader answers the same from both forms.
        let community = CoverageRunRealTests.community
        let fromRows = try Self.readings(earlierStore, run: run, community: community)
        let fromColumn = try Self.readings(temporary.store, run: run, community: community)
        #expect(fromRows.count == fromColumn.count)
        for (k, (a, b)) in zip(fromRows, fromColumn).enumerated() where a != b {
            let first = zip(a, b).prefix { $0 == $1 }.count
            Issue.record("reading \(k) differs at character \(first): \(a.dropFirst(max(0, first - 80)).prefix(240)) | \(b.dropFirst(max(0, first - 80)).prefix(240))")
        }
    }

    @Test("Monaco: the compact run reads back the search's answers rounded to the centimetre",
          .enabled(if: SharedData.available, SharedData.skipReason))
    func monaco() throws {
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: SharedData.path("dense_monaco_2021-04-19.osm.pbf"))
        let result = try CoverageJob.compute(store: temporary.store, profile: .gb50180)
        let run = try CoverageRuns.save(result, store: temporary.store, seconds: 0)
        let loaded = try CoverageRuns.load(store: temporary.store, id: run).result
        #expect(loaded.buildings.map(\.id) == result.buildings.map(\.id))
        var answers = 0
        for b in result.buildings.indices {
            for c in result.categories.indices {
                let computed = result.results.nearest(building: b, category: c), read = loaded.results.nearest(building: b, category: c)
                #expect(computed?.facilityID == read?.facilityID)
                #expect(computed.map { ($0.distance.value * 100).rounded() / 100 } == read?.distance.value)
                if computed != nil { answers += 1 }
            }
            #expect(result.results.offNetworkDistance(b) == loaded.results.offNetworkDistance(b))
        }
        #expect(answers > 0)
        for l in result.profile.levels.indices {
            #expect(result.summary.levels[l].householdsCovered == loaded.summary.levels[l].householdsCovered)
        }
    }
}
