import Foundation
import GridAnalysis
import GridModel
import Testing

/// Buildings follow the reach rule in isochrones: the distance coverage gives decides whether a building's
/// point is inside a contour, wherever the network's allowance would put it.
@Suite("Isochrone buildings by the reach rule on small maps")
struct IsochroneReachRuleTests {
    static let street = AsciiNetwork("A---B---C---D---E")

    /// A block whose bottom street is 5 km long as stored: points beside it snap to it and are far in walking terms.
    static let block = AsciiNetwork("""
        A---B
        |   |
        C---D
        """, lengths: ["CD": 5000])

    static func house(_ id: Int64, east: Double, south: Double, households: Int = 10) -> Coverage.Building {
        Coverage.Building(id: id, point: AsciiNetwork.at(east: east, south: south), households: households)
    }

    /// Coverage's distance from one clinic to each building (nil: beyond `horizon`).
    static func coverageDistances(_ graph: WalkingGraph, snapper: EdgeSnapper, clinic: Coordinate, buildings: [Coverage.Building],
                                  horizon: Double) throws -> [Double?] {
        let profile = LifeCircleProfile(name: "test", walkingSpeed: 1, snapDistance: 200,
                                        levels: [.init(minutes: horizon / 60, categories: [.init(category: "clinic")])])
        let result = try Coverage.run(graph: graph, snapper: snapper, buildings: buildings,
                                      facilities: [.init(id: 1, category: "clinic", location: clinic)], profile: profile)
        return result.results.indices.map { result.results.nearest(building: $0, category: 0)?.distance.value }
    }

    @Test("a reached building 120 m off the street is inside once its distance (network + leg) is within the contour")
    func farBuildingInside() throws {
        let g = Self.street.graph()
        let snapper = EdgeSnapper(graph: g)
        let buildings = [Self.house(1, east: 200, south: 120, households: 40), Self.house(2, east: 300, south: 10, households: 5)]
        let facilities = [Coverage.Facility(id: 1, category: "clinic", location: Self.street.coordinate("A"))]
        let result = try Isochrone.run(snapper: snapper, origin: .category("clinic"), contours: [.meters(300), .meters(330)],
                                       facilities: facilities, buildings: buildings)
        let distances = try Self.coverageDistances(g, snapper: snapper, clinic: Self.street.coordinate("A"), buildings: buildings, horizon: 400)
        #expect(distances.map { $0.map { ($0 * 10).rounded() / 10 } } == [320, 310])
        let (inner, outer) = (result.bands[0], result.bands[1])
        // 300 m: neither (the far one is beyond the allowance anyway; the near one is 310 m away).
        #expect(!inner.geometry.contains(buildings[0].point) && !inner.geometry.contains(buildings[1].point))
        #expect(inner.buildings == 0 && inner.households == 0)
        // 330 m: both, the far one 120 m from the street and far beyond the 25 m allowance.
        #expect(outer.geometry.contains(buildings[0].point) && outer.geometry.contains(buildings[1].point))
        #expect(outer.buildings == 2 && outer.households == 45)
        // Land beside the far building is not: only its own square joins.
        #expect(!outer.geometry.contains(AsciiNetwork.at(east: 200, south: 100)))
        for band in result.bands { #expect(IsochroneTests.problems(band.geometry).isEmpty, "\(IsochroneTests.problems(band.geometry))") }
        // Without buildings the far one's place is outside: the square comes from the rule, not the network.
        let bare = try Isochrone.run(snapper: snapper, origin: .category("clinic"), contours: [.meters(330)], facilities: facilities)
        #expect(!bare.bands[0].geometry.contains(buildings[0].point))
    }

    @Test("an unreached building beside a reached path is a hole, kept however small")
    func unreachedBuildingHole() throws {
        let g = Self.block.graph()
        let snapper = EdgeSnapper(graph: g)
        // 15 m from the reached street AC, 10 m from CD: it joins CD, 150 m along its 5 km.
        let building = Self.house(1, east: 15, south: 90)
        let facilities = [Coverage.Facility(id: 1, category: "clinic", location: Self.block.coordinate("A"))]
        let distances = try Self.coverageDistances(g, snapper: snapper, clinic: Self.block.coordinate("A"), buildings: [building], horizon: 5000)
        #expect(try #require(distances[0]) > 300)
        let result = try Isochrone.run(snapper: snapper, origin: .category("clinic"), contours: [.meters(300)],
                                       facilities: facilities, buildings: [building])
        let m = result.bands[0].geometry
        #expect(!m.contains(building.point) && result.bands[0].households == 0)
        // The hole is the building's square, far below the 2000 m² that would be filled; land around it is reached.
        let holes = m.polygons.flatMap(\.holes)
        #expect(holes.count == 1 && Polygon(exterior: holes[0]).areaSquareMeters < 100)
        #expect(m.contains(AsciiNetwork.at(east: 15, south: 80)))
        #expect(IsochroneTests.problems(m).isEmpty, "\(IsochroneTests.problems(m))")
        // The allowance alone would have put it inside.
        let bare = try Isochrone.run(snapper: snapper, origin: .category("clinic"), contours: [.meters(300)], facilities: facilities)
        #expect(bare.bands[0].geometry.contains(building.point))
    }

    @Test("two buildings 2 m apart, one reached, one not: the reached one gets a small island of its own")
    func neighboursInOneSquare() throws {
        let g = Self.block.graph()
        let snapper = EdgeSnapper(graph: g)
        // P joins AC (98.5 m away on foot); Q joins CD, 110 m along its 5 km.
        let p = Self.house(1, east: 9.5, south: 89, households: 7), q = Self.house(2, east: 11, south: 90.5, households: 3)
        let facilities = [Coverage.Facility(id: 1, category: "clinic", location: Self.block.coordinate("A"))]
        let distances = try Self.coverageDistances(g, snapper: snapper, clinic: Self.block.coordinate("A"), buildings: [p, q], horizon: 5000)
        #expect(try #require(distances[0]) < 100 && (try #require(distances[1])) > 600)
        let result = try Isochrone.run(snapper: snapper, origin: .category("clinic"), contours: [.meters(150), .meters(300), .meters(700)],
                                       facilities: facilities, buildings: [p, q])
        for (band, qInside) in zip(result.bands, [false, false, true]) {
            #expect(band.geometry.contains(p.point), "\(band.contour)")
            #expect(band.geometry.contains(q.point) == qInside, "\(band.contour)")
            #expect(band.households == (qInside ? 10 : 7))
            // Where Q is left out, its square (shared with P's) is a hole, and P is inside by an island of under 2 m².
            let islands = band.geometry.polygons.filter { $0.areaSquareMeters < 2 }
            #expect(islands.count == (qInside ? 0 : 1) && islands.allSatisfy { $0.contains(p.point) }, "\(band.contour)")
            #expect(band.geometry.polygons.flatMap(\.holes).contains { Polygon(exterior: $0).contains(q.point) } == !qInside)
            #expect(IsochroneTests.problems(band.geometry).isEmpty, "\(band.contour): \(IsochroneTests.problems(band.geometry))")
        }
        // Nested: every polygon vertex of a smaller contour lies inside the next larger one or on its boundary.
        for (small, large) in zip(result.bands, result.bands.dropFirst()) {
            for polygon in small.geometry.polygons {
                let centre = polygon.exterior.coordinates.dropLast().reduce((0.0, 0.0)) { ($0.0 + $1.longitude, $0.1 + $1.latitude) }
                let n = Double(polygon.exterior.coordinates.count - 1)
                let c = Coordinate(longitude: centre.0 / n, latitude: centre.1 / n)
                if polygon.contains(c) { #expect(large.geometry.contains(c)) }
            }
        }
    }

    @Test("every building of a random town: inside each contour exactly when coverage's distance is within it")
    func randomTown() throws {
        var random = SplitMix64(seed: 12)
        let net = AsciiNetwork("""
            A---B---C---D
            |       |   |
            E---F   G---H
            |   |   |
            I---J---K---L
            """, lengths: ["FJ": 400, "GK": 30])
        let g = net.graph()
        let snapper = EdgeSnapper(graph: g)
        let buildings = (0..<400).map { k in
            Self.house(Int64(k + 1), east: Double(random.next() % 3400) / 10 - 20, south: Double(random.next() % 2400) / 10 - 20,
                       households: Int(random.next() % 20))
        }
        let clinic = net.coordinate("F")
        let facilities = [Coverage.Facility(id: 1, category: "clinic", location: clinic)]
        let contours: [Isochrone.Contour] = [.meters(120), .meters(250), .meters(400)]
        let distances = try Self.coverageDistances(g, snapper: snapper, clinic: clinic, buildings: buildings, horizon: 400)
        for cell in [5.0, 8.0] {
            let result = try Isochrone.run(snapper: snapper, origin: .category("clinic"), contours: contours,
                                           options: .init(cellSize: Meters(cell)), facilities: facilities, buildings: buildings)
            for band in result.bands {
                var households = 0, count = 0
                for (b, building) in buildings.enumerated() {
                    let reached = distances[b].map { $0 <= band.distance.value } ?? false
                    if reached { households += building.households; count += 1 }
                    #expect(band.geometry.contains(building.point) == reached, "\(band.contour) cell \(cell): building \(building.id) at \(distances[b] ?? -1)")
                }
                #expect(band.households == households && band.buildings == count)
                #expect(IsochroneTests.problems(band.geometry).isEmpty, "\(IsochroneTests.problems(band.geometry))")
            }
        }
    }
}
