import Foundation
import GridAnalysis
import GridModel
import Testing

@Suite("Life-circle coverage")
struct CoverageTests {
    // A 100 m lattice; buildings sit 10 m south of junctions, facilities on junctions.
    static let net = AsciiNetwork("""
        A---B---C---D---E
        |               |
        F---G---H---I---J
        """)

    static func building(_ id: Int64, near letter: Character, households: Int, grid: String) -> Coverage.Building {
        let c = net.coordinate(letter)
        return Coverage.Building(id: id, point: Coordinate(longitude: c.longitude, latitude: c.latitude - 10 / AsciiNetwork.metersPerDegree),
                                 households: households, grid: grid, community: "110105001001")
    }

    static let profile = LifeCircleProfile(
        name: "test", title: nil, walkingSpeed: 1.0, snapDistance: 50,
        levels: [
            .init(minutes: 2.5, categories: [.init(category: "kindergarten", maxDistance: 120)]),   // 150 m, capped at 120
            .init(minutes: 5, categories: [.init(category: "kindergarten"), .init(category: "clinic")]), // 300 m
        ])

    @Test("nearest per category, limits per level, totals per grid")
    func smallMap() throws {
        let graph = Self.net.graph()
        let snapper = EdgeSnapper(graph: graph)
        let buildings = [
            Self.building(1, near: "A", households: 10, grid: "g1"),
            Self.building(2, near: "B", households: 20, grid: "g1"),
            Self.building(3, near: "D", households: 30, grid: "g2"),
            Self.building(4, near: "E", households: 40, grid: "g2"),
        ]
        let facilities = [
            Coverage.Facility(id: 100, category: "kindergarten", location: Self.net.coordinate("A")),
            Coverage.Facility(id: 200, category: "clinic", location: Self.net.coordinate("C")),
            Coverage.Facility(id: 300, category: "library", location: Self.net.coordinate("C")),
        ]
        let result = try Coverage.run(graph: graph, snapper: snapper, buildings: buildings, facilities: facilities, profile: Self.profile)
        #expect(result.categories == ["kindergarten", "clinic"])
        let k = try #require(result.categoryIndex("kindergarten")), c = try #require(result.categoryIndex("clinic"))
        // Building at B: 10 m up to the street, 100 m to A → 110 m: within 120 m.
        #expect(abs(result.results[1].nearest[k]!.distance.value - 110) < 0.01)
        #expect(result.results[1].nearest[k]!.facilityID == 100)
        #expect(result.results[1].levelMet == [true, true])
        // Building at A: 10 m; clinic at C 210 m.
        #expect(abs(result.results[0].nearest[c]!.distance.value - 210) < 0.01)
        #expect(result.results[0].levelMet == [true, true])
        // D: kindergarten 310 m, beyond the 300 m horizon → no answer; clinic 110 m.
        #expect(result.results[2].nearest[k] == nil)
        #expect(result.results[2].met == [[false], [false, true]])
        // E: clinic 210 m but kindergarten missing.
        #expect(result.results[3].levelMet == [false, false])

        let grids = result.totals { $0.grid }
        #expect(grids.map(\.key) == ["g1", "g2"])
        #expect(grids[0].households == 30 && grids[0].levels[0].householdsCovered == 30 && grids[0].share(level: 1) == 1)
        #expect(grids[1].levels[1].householdsMeeting == [0, 70])
        #expect(grids[1].levels[1].uncoveredBuildings == [3, 4])
        #expect(result.summary.households == 100)
        #expect(result.facilitiesPlaced == ["kindergarten": 1, "clinic": 1])
    }

    @Test("a building beyond the snap limit is off-network and never covered")
    func offNetwork() throws {
        let graph = Self.net.graph()
        let far = Coordinate(longitude: Self.net.coordinate("C").longitude, latitude: Self.net.coordinate("C").latitude + 80 / AsciiNetwork.metersPerDegree)
        let result = try Coverage.run(
            graph: graph, snapper: EdgeSnapper(graph: graph),
            buildings: [Coverage.Building(id: 1, point: far, households: 5)],
            facilities: [Coverage.Facility(id: 1, category: "kindergarten", location: Self.net.coordinate("C")),
                         Coverage.Facility(id: 2, category: "clinic", location: Self.net.coordinate("C"))],
            profile: Self.profile)
        #expect(result.results[0].offNetwork == nil)
        #expect(result.results[0].levelMet == [false, false])
        #expect(result.summary.offNetworkBuildings == 1)
    }

    @Test("greedy site suggestion picks the junction that covers the most uncovered households")
    func suggestion() throws {
        let graph = Self.net.graph()
        let snapper = EdgeSnapper(graph: graph)
        let buildings = [
            Self.building(1, near: "A", households: 10, grid: "g"),
            Self.building(2, near: "I", households: 50, grid: "g"),
            Self.building(3, near: "J", households: 60, grid: "g"),
            Self.building(4, near: "E", households: 5, grid: "g"),
        ]
        let sites = try SiteSuggestion.greedy(
            graph: graph, snapper: snapper, buildings: buildings, needsCover: [true, true, true, true],
            limit: Meters(120), rule: Self.profile.reach, candidates: nil, count: 3)
        // Within 120 m of I or J: 50 + 60; J also reaches E (110 m) → J wins with 115.
        #expect(sites.first?.node == Self.net.node("J", in: graph))
        #expect(sites.first?.householdsAdded == 115)
        #expect(sites.map(\.cumulativeHouseholds) == [115, 125])
        // Explicit candidates: only the given points count.
        let given = try SiteSuggestion.greedy(
            graph: graph, snapper: snapper, buildings: buildings, needsCover: [true, true, true, true],
            limit: Meters(120), rule: Self.profile.reach, candidates: [Self.net.coordinate("A"), Self.net.coordinate("H")], count: 1)
        #expect(given.first?.candidate == 1 && given.first?.householdsAdded == 50)
    }

    @Test("the shipped profile follows GB 50180-2018 radii")
    func shippedProfile() {
        let profile = LifeCircleProfile.gb50180
        #expect(profile.walkingSpeed == 1.2)
        #expect(profile.levels.map(\.minutes) == [5, 10, 15])
        let five = profile.levels[0], ten = profile.levels[1], fifteen = profile.levels[2]
        #expect(profile.limit(five.categories.first { $0.category == "kindergarten" }!, at: five).value == 300)
        #expect(profile.limit(ten.categories.first { $0.category == "school" }!, at: ten).value == 500)
        #expect(profile.limit(fifteen.categories.first { $0.category == "school" }!, at: fifteen).value == 1000)
        #expect(abs(profile.limit(fifteen.categories.first { $0.category == "clinic" }!, at: fifteen).value - 1080) < 1e-9)
        #expect(profile.horizon(for: "school").value == 1000)
    }

    @Test("bad profiles name the file and the field", arguments: [
        (#"{"name":"x","walkingSpeed":0,"levels":[]}"#, "walkingSpeed"),
        (#"{"name":"x","walkingSpeed":1.2,"levels":[]}"#, "levels is empty"),
        (#"{"name":"x","walkingSpeed":1.2,"levels":[{"minutes":-5,"categories":[{"category":"a"}]}]}"#, "levels[0].minutes"),
        (#"{"name":"x","walkingSpeed":1.2,"levels":[{"minutes":5,"categories":[{"category":"a","maxDistance":-1}]}]}"#, "maxDistance"),
        (#"{"name":"x","levels":[]}"#, "walkingSpeed"),
        (#"{"name":"x","walkingSpeed":"fast","levels":[]}"#, "walkingSpeed"),
    ])
    func badProfiles(_ text: String, _ word: String) {
        #expect {
            _ = try LifeCircleProfile.decode(Data(text.utf8), file: "p.json")
        } throws: { error in
            "\(error)".contains("p.json") && "\(error)".contains(word)
        }
    }

    @Test("polygon locator: containing polygon, lowest index on shared edges, nil outside")
    func locator() throws {
        func square(_ x: Double, _ y: Double) throws -> MultiPolygon {
            MultiPolygon([Polygon(exterior: try LinearRing([
                Coordinate(longitude: x, latitude: y), Coordinate(longitude: x + 1, latitude: y),
                Coordinate(longitude: x + 1, latitude: y + 1), Coordinate(longitude: x, latitude: y + 1), Coordinate(longitude: x, latitude: y),
            ]))])
        }
        let locator = PolygonLocator([try square(0, 0), try square(1, 0), try square(0, 1)])
        #expect(locator.first(containing: Coordinate(longitude: 0.5, latitude: 0.5)) == 0)
        #expect(locator.first(containing: Coordinate(longitude: 1.5, latitude: 0.5)) == 1)
        #expect(locator.all(containing: Coordinate(longitude: 1, latitude: 0.5)) == [0, 1])
        #expect(locator.first(containing: Coordinate(longitude: 1.5, latitude: 1.5)) == nil)
    }
}
