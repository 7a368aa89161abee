import Foundation
import GRDB
import GridStore
import Testing

/// The households rule's exceptions: non-residential surroundings and names, small and implausible footprints,
/// absurd levels.
@Suite("Household estimates")
struct HouseholdRuleTests {
    /// A campus (amenity=university) holding a plain building, a library by name, staff housing on residential land,
    /// a dormitory; outside it a plain building, a shed and one with absurd levels.
    static let campus: String = {
        let campus = OSMFixtures.square(500, 1000, lon: 116.3000, lat: 39.9000, size: 0.0050)
        let housingLand = OSMFixtures.square(501, 1010, lon: 116.3030, lat: 39.9030, size: 0.0015)
        let teaching = OSMFixtures.square(510, 1020, lon: 116.3005, lat: 39.9005, size: 0.0004)
        let library = OSMFixtures.square(511, 1030, lon: 116.3010, lat: 39.9040, size: 0.0004)
        let staff = OSMFixtures.square(512, 1040, lon: 116.3035, lat: 39.9035, size: 0.0004)
        let dorm = OSMFixtures.square(513, 1050, lon: 116.3015, lat: 39.9005, size: 0.0004)
        let outside = OSMFixtures.square(520, 1060, lon: 116.3100, lat: 39.9100, size: 0.0004)
        let shed = OSMFixtures.square(521, 1070, lon: 116.3110, lat: 39.9110, size: 0.00004)
        let tower = OSMFixtures.square(522, 1080, lon: 116.3120, lat: 39.9120, size: 0.0004)
        let gym = OSMFixtures.square(523, 1090, lon: 116.3130, lat: 39.9130, size: 0.0004)
        let all = [campus, housingLand, teaching, library, staff, dorm, outside, shed, tower, gym]
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <osm version="0.6" generator="hand">
          \(all.map(\.nodes).joined(separator: "\n"))
          <way id="500">\(campus.refs)<tag k="amenity" v="university"/><tag k="name" v="大学"/></way>
          <way id="501">\(housingLand.refs)<tag k="landuse" v="residential"/></way>
          <way id="510">\(teaching.refs)<tag k="building" v="yes"/></way>
          <way id="511">\(library.refs)<tag k="building" v="yes"/><tag k="name" v="新图书馆"/></way>
          <way id="512">\(staff.refs)<tag k="building" v="yes"/><tag k="name" v="3号楼"/></way>
          <way id="513">\(dorm.refs)<tag k="building" v="dormitory"/></way>
          <way id="520">\(outside.refs)<tag k="building" v="yes"/></way>
          <way id="521">\(shed.refs)<tag k="building" v="yes"/></way>
          <way id="522">\(tower.refs)<tag k="building" v="yes"/><tag k="building:levels" v="9223372036854775807"/></way>
          <way id="523">\(gym.refs)<tag k="building" v="yes"/><tag k="name" v="City Gym"/></way>
        </osm>
        """
    }()

    struct Stored: Sendable, Equatable { var households: Int; var basis: String? }

    static func stored(_ temporary: TemporaryStore) throws -> [String: Stored] {
        try temporary.store.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT source_id, households, households_basis FROM buildings")
                .map { ($0[0] as String, Stored(households: $0[1], basis: $0[2])) })
        }
    }

    @Test("campus and named buildings count 0, staff housing on residential land and dormitories count, sheds 0, levels clamped")
    func exceptions() throws {
        let temporary = try TemporaryStore()
        let summary = try OSMImporter.run(store: temporary.store, path: try temporary.file("campus.osm", Self.campus))
        let buildings = try Self.stored(temporary)
        #expect(buildings["w510"] == Stored(households: 0, basis: "non-residential area"))
        #expect(buildings["w511"] == Stored(households: 0, basis: "non-residential area"))
        #expect(buildings["w512"]?.basis == "ambiguous type")
        #expect((buildings["w512"]?.households ?? 0) > 0)
        #expect(buildings["w513"]?.basis == "residential type")
        #expect((buildings["w513"]?.households ?? 0) > 0)
        #expect(buildings["w520"]?.basis == "ambiguous type")
        #expect(buildings["w521"] == Stored(households: 0, basis: "below minimum footprint"))
        #expect(buildings["w523"] == Stored(households: 0, basis: "non-residential name"))
        // 9223372036854775807 levels: taken as 200, with a warning; 1,000 m² × 200 ÷ 90.
        let tower = try #require(buildings["w522"])
        let area = try #require(try temporary.store.read { try Double.fetchOne($0, sql: "SELECT area_m2 FROM buildings WHERE source_id = 'w522'") })
        #expect(tower == Stored(households: Int((area * 200 / 90).rounded()), basis: "ambiguous type"))
        #expect(summary.warnings.countsByKind.contains { $0.kind == "building:levels clamped" && $0.count == 1 })
        #expect(summary.count("land-use areas") == 2)

        // The summary and `info` give the same households by source and the largest estimate first.
        let info = try StoreInfo.read(temporary.store)
        let fromSummary = try #require(summary.households)
        #expect(info.households.groups.map(\.label) == fromSummary.groups.map(\.label))
        #expect(info.households.groups.map(\.households) == fromSummary.groups.map(\.households))
        #expect(info.households.largestEstimates.first?.sourceID == "w522")
        #expect(info.households.groups.first { $0.basis == "non-residential area" }?.buildings == 2)
    }

    @Test("the rules file holds the exceptions: without them the campus buildings are estimated again")
    func rulesAreData() throws {
        var rules = ImportRules.default
        rules.households.nonResidentialAreas = []
        rules.households.nonResidentialNames = []
        rules.households.minimumFootprintSquareMeters = nil
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: try temporary.file("campus.osm", Self.campus), rules: rules)
        let buildings = try Self.stored(temporary)
        for id in ["w510", "w511", "w521", "w523"] {
            #expect(buildings[id]?.basis == "ambiguous type", "\(id)")
            #expect((buildings[id]?.households ?? 0) > 0, "\(id)")
        }
    }

    @Test("a rules file with values the formula cannot use is refused, naming the field", arguments: [
        ("\"dwellingSquareMeters\": 90", "\"dwellingSquareMeters\": 0", "dwellingSquareMeters"),
        ("\"maximumLevels\": 200", "\"maximumLevels\": 1e300", "maximumLevels"),
        ("\"minimumFootprintSquareMeters\": 30", "\"minimumFootprintSquareMeters\": -1", "minimumFootprintSquareMeters"),
        ("\"maximumFootprintSquareMeters\": 1000000", "\"maximumFootprintSquareMeters\": 0", "maximumFootprintSquareMeters"),
    ])
    func badValues(_ change: (String, String, String)) throws {
        #expect(ImportRules.defaultJSON.contains(change.0))
        let text = ImportRules.defaultJSON.replacingOccurrences(of: change.0, with: change.1)
        #expect {
            _ = try ImportRules.decode(Data(text.utf8), file: "rules.json")
        } throws: { error in
            "\(error)".contains("rules.json") && "\(error)".contains(change.2)
        }
    }

    @Test("the formula never traps: absurd levels and footprints give bounded counts")
    func formulaBounds() {
        let rules = ImportRules.default
        for levels in [Double.infinity, -.infinity, .nan, 1e300, -5, 9.2e18] {
            for area in [0, 1e-300, 500, 1e6, 1e7, 1e300, Double.infinity, .nan] {
                let households = rules.households(buildingType: "apartments", footprintSquareMeters: area, levels: levels)
                #expect(households >= 0 && households <= Int(1e6 * 200 / 90) + 1)
                let estimate = rules.estimate(buildingType: "yes", name: nil, footprintSquareMeters: area, levels: levels, area: nil)
                #expect(estimate.households >= 0 && estimate.households <= Int(1e6 * 200 / 90) + 1)
            }
        }
    }

    @Test("Wudaokou: the campus gymnasium and library count 0; dormitories and residential compounds keep their estimates",
          .enabled(if: SharedData.available, SharedData.skipReason))
    func wudaokou() throws {
        let osm = SharedData.path("cn_beijing_haidian_wudaokou_2017.osm")
        var before = ImportRules.default
        before.households.nonResidentialAreas = nil
        before.households.nonResidentialNames = nil
        before.households.minimumFootprintSquareMeters = nil
        let old = try TemporaryStore(), new = try TemporaryStore()
        let oldSummary = try OSMImporter.run(store: old.store, path: osm, rules: before)
        let newSummary = try OSMImporter.run(store: new.store, path: osm)
        func named(_ store: TemporaryStore, _ name: String) throws -> Int? {
            try store.store.read { try Int.fetchOne($0, sql: "SELECT households FROM buildings WHERE name = ?", arguments: [name]) }
        }
        #expect(try named(old, "综合体育馆") == 314)
        #expect(try named(old, "人文社科图书馆") == 136)
        for name in ["综合体育馆", "人文社科图书馆", "东区体育馆", "游泳馆", "美术学院", "李兆基科技大楼"] {
            #expect(try named(new, name) == 0, "\(name)")
        }
        for name in ["普吉院", "紫荆学生公寓23号楼", "蓝旗营12号楼"] {
            #expect(try named(new, name) == named(old, name), "\(name)")
            #expect(try named(new, name) ?? 0 > 0, "\(name)")
        }
        let oldTotal = try #require(oldSummary.count("households estimated"))
        let newTotal = try #require(newSummary.count("households estimated"))
        print("Wudaokou households estimated: \(oldTotal) without the exceptions, \(newTotal) with them")
        #expect(newTotal < oldTotal / 2)
        let largest = try #require(newSummary.households?.largestEstimates)
        #expect(largest.count == 10)
        #expect(largest.first?.name == "普吉院")
    }
}
