import Foundation
import GRDB
import GridAnalysis
import GridModel
@testable import GridStore
import GridServices
import GridTiles
import Testing

/// The whole index of the buildings' points, read by scans merged in id order, is the index the joined query reads.
@Suite("Buildings' point index")
struct BuildingCellIndexTests {
    static func expectSame(_ scanned: BuildingCellIndex, _ joined: BuildingCellIndex, _ what: String) {
        #expect(scanned.ids.count == joined.ids.count, "\(what): \(scanned.ids.count) against \(joined.ids.count) buildings")
        #expect(scanned.ids == joined.ids, "\(what): ids")
        #expect(scanned.keys == joined.keys, "\(what): keys")
        #expect(scanned.worldX == joined.worldX && scanned.worldY == joined.worldY, "\(what): points")
        #expect(scanned.spanX == joined.spanX && scanned.spanY == joined.spanY, "\(what): R-tree spans")
        #expect(scanned.households == joined.households && scanned.area == joined.area, "\(what): households and areas")
        #expect(scanned.levels == joined.levels && scanned.levelSets == joined.levelSets, "\(what): levels met")
        #expect(scanned.requirements == joined.requirements && scanned.requirementSets == joined.requirementSets
                && scanned.requirementSetIndex == joined.requirementSetIndex && scanned.requirementThemes == joined.requirementThemes, "\(what): requirements met")
    }

    @Test("Wudaokou with a coverage run, both datums: the same buildings, points, spans, households, levels and requirements in the same order, also for a building without a run row or without an R-tree entry; a verdict not of the profile's shape drops the requirements",
          .enabled(if: SharedData.available, SharedData.skipReason))
    func scannedIsJoined() throws {
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: SharedData.path("cn_beijing_haidian_wudaokou_2017.osm"))
        try CoverageRuns.save(try CoverageJob.compute(store: temporary.store, profile: .gb50180), store: temporary.store, seconds: 0)
        func compare(_ what: String, withRun: Bool = true) throws {
            for datum in TileDatum.allCases {
                try temporary.store.read { db in
                    let key = try BuildingCellIndex.key(db, datum: datum)
                    let scanned = try BuildingCellIndex(db, key: key)
                    let joined = try BuildingCellIndex(db, key: key, joined: true)
                    #expect(scanned.ids.count > 500)
                    #expect(scanned.levels.contains { $0 >= 0 } == withRun, "\(what): the run's levels are read")
                    #expect(scanned.requirements.contains { $0 >= 0 } == withRun && scanned.requirementThemes.count == (withRun ? 11 : 0),
                            "\(what): the run's requirements are read")
                    Self.expectSame(scanned, joined, "\(what), \(datum)")
                }
            }
        }
        try compare("as imported")
        // Rows the joins find missing: a building the run has no row for, one whose footprint has no R-tree entry.
        let ids = try temporary.store.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM buildings ORDER BY id LIMIT 2 OFFSET 100") }
        try #require(ids.count == 2)
        try temporary.store.write { db in
            try db.execute(sql: "DELETE FROM coverage_buildings WHERE building_id = ?", arguments: [ids[0]])
            try db.execute(sql: "DELETE FROM idx_buildings_footprint WHERE pkid = ?", arguments: [ids[1]])
        }
        try compare("with rows missing")
        try temporary.store.read { db in
            let index = try BuildingCellIndex(db, key: try BuildingCellIndex.key(db, datum: .wgs84))
            let position = try #require(index.ids.firstIndex(of: ids[0]))
            #expect(index.levels[position] == -1 && index.requirements[position] == -1, "no run row: no levels, no requirements")
            // The requirements met as the area figures read the verdicts: the same text, the same themes.
            let profile = try #require(index.requirementThemes.first).key
            #expect(profile == "requirement:5:kindergarten")
            for (text, set) in index.requirementSetIndex {
                let themes = CoverageAreaFigures.themes(.gb50180)
                let met = try #require(CoverageAreaFigures.themesMet(text, profile: .gb50180)).filter { themes[$0].category != nil }.map { themes[$0].key }
                #expect(index.requirementSets[Int(set)].map { index.requirementThemes[$0].key } == met, "\(text)")
            }
            let unindexed = try #require(index.ids.firstIndex(of: ids[1]))
            #expect(index.spanX[unindexed] == 0 && index.spanY[unindexed] == 0, "no R-tree entry: no span")
        }
        // A verdict the profile cannot read: no requirement figures at all rather than sums that leave its building out.
        try temporary.store.write { db in
            try db.execute(sql: "UPDATE coverage_buildings SET requirements_met = '1' WHERE building_id = (SELECT min(building_id) FROM coverage_buildings)")
        }
        try temporary.store.read { db in
            let key = try BuildingCellIndex.key(db, datum: .wgs84)
            let scanned = try BuildingCellIndex(db, key: key), joined = try BuildingCellIndex(db, key: key, joined: true)
            #expect(scanned.requirementThemes.isEmpty && scanned.requirements.isEmpty && !scanned.levelSets.isEmpty)
            Self.expectSame(scanned, joined, "an unreadable verdict")
        }
        // Without a coverage run.
        try temporary.store.write { db in try db.execute(sql: "DELETE FROM coverage_runs") }
        try compare("without a run", withRun: false)
    }
}
