import Foundation
import GridAnalysis
import GridModel
import Testing

@Suite("Isochrone polygons on small maps")
struct IsochroneTests {
    static func place(_ graph: WalkingGraph, _ point: Coordinate, limit: Double = 200) throws -> Isochrone.PlacedOrigin {
        let snap = try #require(EdgeSnapper(graph: graph).snap(point, maxDistance: Meters(limit)))
        return Isochrone.PlacedOrigin(location: point, snap: snap)
    }

    // MARK: One street

    static let street = AsciiNetwork("A---B---C---D---E")

    @Test("a street from its middle: a band as long as the budget allows, as wide as the allowance")
    func streetBand() throws {
        let g = Self.street.graph()
        let origin = try Self.place(g, AsciiNetwork.at(east: 200, south: 0))
        let result = try Isochrone.run(graph: g, origins: [origin], contours: [.meters(150)])
        let band = try #require(result.bands.first)
        #expect(band.geometry.polygons.count == 1)
        #expect(band.geometry.polygons[0].holes.isEmpty)
        // Exactly: 250 m × 50 m and two half discs of 25 m (the last 25 m of budget cannot also pay the full
        // allowance); the allowance's edge is traced to within a cell (5 m) either way, the tips a little longer.
        let exact = 250 * 50 + Double.pi * 25 * 25
        #expect(abs(band.areaSquareMeters - exact) < 2 * (300 + 50) * 2.5, "\(band.areaSquareMeters) vs \(exact)")
        let m = band.geometry
        for east in stride(from: 50.0, through: 350, by: 5) { #expect(m.contains(AsciiNetwork.at(east: east, south: 0)), "\(east)") }
        for east in stride(from: 80.0, through: 320, by: 20) {
            #expect(m.contains(AsciiNetwork.at(east: east, south: 20)) && m.contains(AsciiNetwork.at(east: east, south: -20)))
            #expect(!m.contains(AsciiNetwork.at(east: east, south: 30)) && !m.contains(AsciiNetwork.at(east: east, south: -30)))
        }
        #expect(!m.contains(AsciiNetwork.at(east: 360, south: 0)) && !m.contains(AsciiNetwork.at(east: 40, south: 0)))
        #expect(abs(band.reachFactor - band.areaSquareMeters / (Double.pi * 150 * 150)) < 1e-12)
        #expect(result.reachedNodes == 3)
    }

    @Test("an origin off the street: its walk to the street is reached and costs budget")
    func offNetworkOrigin() throws {
        let g = Self.street.graph()
        let origin = try Self.place(g, AsciiNetwork.at(east: 200, south: 120))
        #expect(abs(origin.snap.offNetwork.value - 120) < 0.01)
        let result = try Isochrone.run(graph: g, origins: [origin], contours: [.meters(100), .meters(200)])
        let small = result.bands[0].geometry, large = result.bands[1].geometry
        // 100 m do not reach the street; the origin and its leg are inside.
        #expect(small.contains(origin.location) && small.contains(AsciiNetwork.at(east: 200, south: 30)))
        #expect(!small.contains(AsciiNetwork.at(east: 200, south: 0)))
        // 200 m: 80 m left along the street each way.
        #expect(large.contains(AsciiNetwork.at(east: 125, south: 0)) && large.contains(AsciiNetwork.at(east: 275, south: 0)))
        #expect(!large.contains(AsciiNetwork.at(east: 110, south: 0)) && !large.contains(AsciiNetwork.at(east: 290, south: 0)))
    }

    @Test("time contours use the walking speed; bands come back ascending whatever the request order")
    func minutesAndOrder() throws {
        let g = Self.street.graph()
        let origin = try Self.place(g, AsciiNetwork.at(east: 0, south: 0))
        var options = Isochrone.Options()
        options.walkingSpeed = 1.0
        let result = try Isochrone.run(graph: g, origins: [origin], contours: [.minutes(5), .meters(100), .minutes(2)], options: options)
        #expect(result.bands.map(\.contour) == [.meters(100), .minutes(2), .minutes(5)])
        #expect(result.bands.map(\.distance.value) == [100, 120, 300])
        #expect(result.bands[2].geometry.contains(AsciiNetwork.at(east: 290, south: 0)))
        #expect(!result.bands[1].geometry.contains(AsciiNetwork.at(east: 135, south: 0)))
    }

    // MARK: Holes

    /// A 300 m square block: its middle is more than the allowance from every street.
    static let block = AsciiNetwork("""
        A-----------B
        |           |
        |           |
        |           |
        |           |
        |           |
        C-----------D
        """)

    @Test("an unreached block inside the reach is a hole; below the size threshold it is filled")
    func holes() throws {
        let g = Self.block.graph()
        let origin = try Self.place(g, Self.block.coordinate("A"))
        let contour = Isochrone.Contour.meters(700)
        let result = try Isochrone.run(graph: g, origins: [origin], contours: [contour])
        let polygon = try #require(result.bands[0].geometry.polygons.first)
        #expect(result.bands[0].geometry.polygons.count == 1)
        #expect(polygon.holes.count == 1)
        let middle = AsciiNetwork.at(east: 150, south: 150)
        #expect(!result.bands[0].geometry.contains(middle))
        #expect(result.bands[0].geometry.contains(AsciiNetwork.at(east: 150, south: 20)))
        // The hole is about (300 − 50)² m².
        let hole = Polygon(exterior: polygon.holes[0])
        #expect(hole.areaSquareMeters > 240 * 240 && hole.areaSquareMeters < 260 * 260, "\(hole.areaSquareMeters)")
        #expect(Self.problems(result.bands[0].geometry).isEmpty)

        var options = Isochrone.Options()
        options.minimumHoleArea = 70_000
        let filled = try Isochrone.run(graph: g, origins: [origin], contours: [contour], options: options)
        #expect(filled.bands[0].geometry.polygons.count == 1 && filled.bands[0].geometry.polygons[0].holes.isEmpty)
        #expect(filled.bands[0].geometry.contains(middle))
    }

    @Test("an island reached from a second origin inside a hole: kept with the hole, dropped when the hole is filled")
    func islandInHole() throws {
        let net = AsciiNetwork("""
            A-----------B
            |           |
            |           |
            |           |
            |   E---F   |
            |           |
            |           |
            |           |
            C-----------D
            """)
        let g = net.graph()
        #expect(g.componentCount == 2)
        let snapper = EdgeSnapper(graph: g)
        let facilities = [Coverage.Facility(id: 1, category: "clinic", location: net.coordinate("A")),
                          Coverage.Facility(id: 2, category: "clinic", location: net.coordinate("E"))]
        let keep = try Isochrone.run(snapper: snapper, origin: .category("clinic"), contours: [.meters(700)],
                                     options: .init(minimumHoleArea: 0), facilities: facilities)
        let m = keep.bands[0].geometry
        #expect(m.polygons.count == 2 && m.polygons[0].holes.count == 1 && m.polygons[1].holes.isEmpty)
        #expect(Self.problems(m).isEmpty, "\(Self.problems(m))")
        #expect(m.contains(AsciiNetwork.at(east: 150, south: 200)) && !m.contains(AsciiNetwork.at(east: 150, south: 300)))

        let fill = try Isochrone.run(snapper: snapper, origin: .category("clinic"), contours: [.meters(700)],
                                     options: .init(minimumHoleArea: 100_000), facilities: facilities)
        let filled = fill.bands[0].geometry
        #expect(filled.polygons.count == 1 && filled.polygons[0].holes.isEmpty)
        #expect(Self.problems(filled).isEmpty, "\(Self.problems(filled))")
        #expect(filled.contains(AsciiNetwork.at(east: 150, south: 300)))
        #expect(abs(filled.areaSquareMeters - Polygon(exterior: m.polygons[0].exterior).areaSquareMeters) < 1)
    }

    @Test("a hole that is not closed yet at a shorter contour is no hole: land opens towards the outside")
    func partialLoopHasNoHole() throws {
        let g = Self.block.graph()
        let origin = try Self.place(g, Self.block.coordinate("A"))
        // 500 m: from A along both sides, 200 m short of closing the loop at D.
        let result = try Isochrone.run(graph: g, origins: [origin], contours: [.meters(500)])
        #expect(result.bands[0].geometry.polygons.count == 1 && result.bands[0].geometry.polygons[0].holes.isEmpty)
        #expect(!result.bands[0].geometry.contains(Self.block.coordinate("D")))
    }

    // MARK: Several origins

    @Test("origins in separate networks give a MultiPolygon; a category is one multi-origin search")
    func multiOrigin() throws {
        // Two streets 900 m apart with no link between them.
        let net = AsciiNetwork("A---B---C" + String(repeating: " ", count: 35) + "F---G---H")
        let g = net.graph()
        #expect(g.componentCount == 2)
        let snapper = EdgeSnapper(graph: g)
        let facilities = [
            Coverage.Facility(id: 1, category: "clinic", location: AsciiNetwork.at(east: 100, south: 10)),
            Coverage.Facility(id: 2, category: "clinic", location: AsciiNetwork.at(east: 1000, south: -10)),
            Coverage.Facility(id: 3, category: "school", location: AsciiNetwork.at(east: 1100, south: 0)),
            Coverage.Facility(id: 4, category: "clinic", location: AsciiNetwork.at(east: 600, south: 900)),
        ]
        let buildings = [
            Coverage.Building(id: 10, point: AsciiNetwork.at(east: 100, south: 20), households: 30),
            Coverage.Building(id: 11, point: AsciiNetwork.at(east: 1050, south: 15), households: 12),
            Coverage.Building(id: 12, point: AsciiNetwork.at(east: 600, south: 0), households: 99),
        ]
        let result = try Isochrone.run(snapper: snapper, origin: .category("clinic"), contours: [.meters(120)],
                                       facilities: facilities, buildings: buildings)
        #expect(result.origins.map(\.facilityID) == [1, 2])
        #expect(result.originsOffNetwork == [4])
        let band = result.bands[0]
        #expect(band.geometry.polygons.count == 2)
        // Building 11 lies 20 m from clinic 2's leg to F, but by the reach rule it walks 52 m to F and the clinic
        // 100 m: 152 m, beyond 120 m. It is neither counted nor inside (a hole in the allowance's band).
        #expect(band.buildings == 1 && band.households == 30)
        #expect(band.geometry.contains(buildings[0].point) && !band.geometry.contains(buildings[1].point))
        #expect(band.facilities == ["clinic": 2, "school": 1])
        #expect(Self.problems(band.geometry).isEmpty)

        let one = try Isochrone.run(snapper: snapper, origin: .facility(2), contours: [.meters(120)],
                                    facilities: facilities, buildings: buildings)
        #expect(one.bands[0].geometry.polygons.count == 1 && one.bands[0].households == 0)
        let farther = try Isochrone.run(snapper: snapper, origin: .facility(2), contours: [.meters(160)],
                                        facilities: facilities, buildings: buildings)
        #expect(farther.bands[0].households == 12 && farther.bands[0].geometry.contains(buildings[1].point))
        #expect(one.bands[0].facilities == ["clinic": 1, "school": 1])
    }

    // MARK: Errors

    @Test("bad requests are errors naming the parameter")
    func errors() throws {
        let g = Self.street.graph()
        let snapper = EdgeSnapper(graph: g)
        let facilities = [Coverage.Facility(id: 7, category: "clinic", location: AsciiNetwork.at(east: 100, south: 350))]
        let near = Isochrone.Origin.point(AsciiNetwork.at(east: 100, south: 10))
        func failure(_ contours: [Isochrone.Contour], from origin: Isochrone.Origin = near, options: Isochrone.Options = .init())
            -> IsochroneError? {
            do {
                _ = try Isochrone.run(snapper: snapper, origin: origin, contours: contours, options: options, facilities: facilities)
                return nil
            } catch let error as IsochroneError {
                return error
            } catch {
                return nil
            }
        }
        let cases: [(IsochroneError?, IsochroneError.Parameter, [String])] = [
            (failure([]), .contours, ["contours", "none"]),
            (failure((1...11).map { .minutes(Double($0)) }), .contours, ["11", "at most 10"]),
            (failure([.minutes(-5)]), .minutes, ["minutes", "-5", "not positive"]),
            (failure([.meters(0)]), .meters, ["meters", "0", "not positive"]),
            (failure([.minutes(.nan)]), .minutes, ["not a number"]),
            (failure([.minutes(61)]), .minutes, ["61", "maximum of 60"]),
            (failure([.meters(5000.5)]), .meters, ["5000.5", "maximum of 5000"]),
            (failure([.minutes(5), .minutes(5)]), .minutes, ["twice"]),
            (failure([.minutes(5)], from: .point(AsciiNetwork.at(east: 100, south: 350))), .origin,
             ["origin (", "is 350 m from the walking network; the limit is 200 m"]),
            (failure([.minutes(5)], from: .point(Coordinate(longitude: 200, latitude: 0))), .origin, ["WGS84"]),
            (failure([.minutes(5)], from: .facility(8)), .facility, ["facility 8", "no facility"]),
            (failure([.minutes(5)], from: .facility(7)), .facility, ["facility 7", "350 m", "200 m"]),
            (failure([.minutes(5)], from: .category("school")), .category, ["school", "categories: clinic"]),
            (failure([.minutes(5)], from: .category("clinic")), .category, ["clinic", "none of its 1 facilities", "350 m"]),
            (failure([.minutes(5)], options: .init(reach: ReachRule(walkingSpeed: 0, snapLimit: Meters(200)))), .walkingSpeed, ["walkingSpeed", "(0, 5]"]),
            (failure([.minutes(5)], options: .init(cellSize: Meters(0.1))), .cellSize, ["cellSize"]),
            (failure([.minutes(5)], options: .init(offNetworkAllowance: Meters(-1))), .offNetworkAllowance, ["offNetworkAllowance"]),
        ]
        for (error, parameter, fragments) in cases {
            let error = try #require(error, "expected an error about \(parameter)")
            #expect(error.parameter == parameter, "\(error)")
            for fragment in fragments { #expect(error.description.contains(fragment), "\(error) lacks \(fragment)") }
        }
        // The snap limit is a parameter too: 350 m is fine with a 400 m limit.
        #expect(failure([.minutes(5)], from: .point(AsciiNetwork.at(east: 100, south: 350)), options: .init(reach: ReachRule(walkingSpeed: 1.2, snapLimit: Meters(400)))) == nil)
    }

    // MARK: Invariants on random networks

    /// Streets 100 m apart drawn node by node every 10 m, the inner nodes up to `jitter` metres off the line
    /// (as OSM draws them, and as the peer harness makes every node a junction), a fifth of the blocks
    /// missing a side.
    static func chainLattice(side: Int, jitter: Double, seed: UInt64) -> [NetworkEdge] {
        var rng = SeededGenerator(seed: seed)
        var edges: [NetworkEdge] = []
        var nextID: Int64 = 7_000_000_000
        func node() -> Int64 { nextID += 1; return nextID }
        let corner = (0..<(side * side)).map { _ in node() }
        func street(_ a: Int, _ b: Int) {
            let (ax, ay) = (Double(a % side) * 100, Double(a / side) * 100), (bx, by) = (Double(b % side) * 100, Double(b / side) * 100)
            var previous = (id: corner[a], at: AsciiNetwork.at(east: ax, south: ay))
            for k in 1...10 {
                let f = Double(k) / 10
                let off = k == 10 ? 0 : Double.random(in: -jitter...jitter, using: &rng)
                let x = ax + f * (bx - ax) + (ay == by ? 0 : off), y = ay + f * (by - ay) + (ay == by ? off : 0)
                let here = (id: k == 10 ? corner[b] : node(), at: AsciiNetwork.at(east: x, south: y))
                edges.append(NetworkEdge(id: Int64(edges.count + 1), sourceNode: previous.id, targetNode: here.id,
                                         length: Geodesy.distance(previous.at, here.at), geometry: [previous.at, here.at]))
                previous = here
            }
        }
        for i in 0..<(side * side) {
            if i % side + 1 < side && Int.random(in: 0..<5, using: &rng) > 0 { street(i, i + 1) }
            if i + side < side * side && Int.random(in: 0..<5, using: &rng) > 0 { street(i, i + side) }
        }
        return edges
    }

    /// Seed 2 has three origins; seed 4 no allowance; seed 5 a wide allowance; seed 6 stored lengths down to
    /// 70 % of the drawn ones on a third of the edges (the exact kernel for slopes below 1); seeds 7 and 8 are
    /// streets drawn node by node, nearly straight (merged into chords) or less so (and no allowance, so any
    /// slip of a chord shows).
    @Test("random networks: reached network inside, exact region inside, nothing beyond, nested, valid",
          arguments: [(UInt64(1), 300, 5.0), (2, 500, 5.0), (3, 400, 8.0), (4, 300, 3.0), (5, 300, 6.0), (6, 400, 5.0),
                      (7, 400, 5.0), (8, 400, 5.0)])
    func invariants(seed: UInt64, nodes: Int, cell: Double) throws {
        var edges = seed >= 7 ? Self.chainLattice(side: 9, jitter: seed == 7 ? 0.3 : 1.5, seed: seed)
                              : RandomNetwork.make(nodes: nodes, seed: seed)
        if seed == 6 {
            var shrink = SeededGenerator(seed: 66)
            for i in edges.indices where Int.random(in: 0..<3, using: &shrink) == 0 {
                edges[i].length = Meters(edges[i].length.value * Double.random(in: 0.55...0.8, using: &shrink))
            }
        }
        let g = WalkingGraph(edges: edges)
        let snapper = EdgeSnapper(graph: g, onlyLargestComponent: true)
        var rng = SeededGenerator(seed: seed &* 31)
        var origins: [Isochrone.PlacedOrigin] = []
        while origins.count < (seed == 2 ? 3 : 1) {
            let p = seed >= 7 ? AsciiNetwork.at(east: Double.random(in: 200...600, using: &rng), south: Double.random(in: 200...600, using: &rng))
                              : RandomNetwork.point(nodes: nodes, using: &rng)
            if let snap = snapper.snap(p, maxDistance: Meters(60)) { origins.append(.init(location: p, snap: snap)) }
        }
        var options = Isochrone.Options(cellSize: Meters(cell), minimumHoleArea: 0)
        options.offNetworkAllowance = Meters(seed == 4 || seed == 8 ? 0 : seed == 5 ? 60 : 25)
        let oracle = try ReachOracle(graph: g, origins: origins, horizon: 700)
        // Three contours, and the largest alone: then nearly the whole reach lies within the smallest contour
        // and is only marked (`stampEverywhere`), whole edges at a time.
        for contours: [Isochrone.Contour] in [[.meters(150), .meters(400), .meters(700)], [.meters(700)]] {
            let result = try Isochrone.run(graph: g, origins: origins, contours: contours, options: options)
            // Samples reach max(allowance, slack) from the network, their legs relieved by the slack; the traced
            // area holds everything within 0.79 cell of the reached samples and nothing farther than 0.71 cell.
            let slack = 0.790_569_415 * cell
            let reach = max(options.offNetworkAllowance.value, slack)

            for (index, band) in result.bands.enumerated() {
                let c = band.distance.value, m = band.geometry
                #expect(Self.problems(m).isEmpty, "contour \(c): \(Self.problems(m).prefix(3))")
                // Every reached network point (nodes, partial edges, legs) is inside its contour.
                let rings = RingIndex(m)
                var missing = 0
                for p in oracle.points where p.d <= c - 0.001 && !rings.contains(oracle.coordinate(p)) { missing += 1 }
                #expect(missing == 0, "contour \(c): \(missing) reached points outside")
                // Nested: each smaller contour lies inside this one.
                if index > 0 {
                    let inner = result.bands[index - 1].geometry
                    for polygon in inner.polygons {
                        for ring in [polygon.exterior] + polygon.holes {
                            for v in ring.coordinates where !m.contains(v) {
                                Issue.record("contour \(c) does not contain a vertex of contour \(result.bands[index - 1].distance.value)")
                                break
                            }
                        }
                    }
                    #expect(inner.areaSquareMeters <= band.areaSquareMeters)
                }
                // Random points: inside when the exact region holds them, outside when it is out of reach.
                guard !m.polygons.isEmpty else { continue }
                let box = m.boundingBox
                var wrongIn = 0, wrongOut = 0
                for _ in 0..<1500 {
                    let q = Coordinate(longitude: Double.random(in: box.minLongitude...box.maxLongitude, using: &rng),
                                       latitude: Double.random(in: box.minLatitude...box.maxLatitude, using: &rng))
                    let inside = m.contains(q)
                    if inside && oracle.cost(q, allowance: reach + 0.75 * cell, slack: slack + 0.75 * cell) > c + 0.6 { wrongIn += 1 }
                    if !inside && oracle.cost(q, allowance: reach - 0.8 * cell, slack: 0) < c - 0.6 { wrongOut += 1 }
                }
                #expect(wrongIn == 0, "contour \(c): \(wrongIn) sampled points inside but beyond the reach")
                #expect(wrongOut == 0, "contour \(c): \(wrongOut) sampled points within reach but outside")
            }
        }
    }

    @Test("a reused workspace gives the same polygons as a fresh one")
    func workspaceReuse() throws {
        let g = WalkingGraph(edges: RandomNetwork.make(nodes: 400, seed: 9))
        let snapper = EdgeSnapper(graph: g, onlyLargestComponent: true)
        let workspace = IsochroneWorkspace()
        var rng = SeededGenerator(seed: 10)
        var placed: [Isochrone.PlacedOrigin] = []
        while placed.count < 4 {
            let p = RandomNetwork.point(nodes: 400, using: &rng)
            if let snap = snapper.snap(p, maxDistance: Meters(100)) { placed.append(.init(location: p, snap: snap)) }
        }
        for origin in placed {
            let reused = try Isochrone.run(graph: g, origins: [origin], contours: [.minutes(4), .minutes(9)], workspace: workspace)
            let fresh = try Isochrone.run(graph: g, origins: [origin], contours: [.minutes(4), .minutes(9)])
            #expect(reused.bands == fresh.bands)
        }
    }

    @Test("a reach too large for the cell budget gets coarser cells and stays valid and nested")
    func cellBudget() throws {
        let g = WalkingGraph(edges: RandomNetwork.make(nodes: 900, seed: 12))
        let origin = try Self.place(g, AsciiNetwork.at(east: 1200, south: 1200))
        let options = Isochrone.Options(cellSize: Meters(2), maximumCells: 20_000)
        let result = try Isochrone.run(graph: g, origins: [origin], contours: [.meters(500), .meters(1500)], options: options)
        #expect(result.cellSize.value > 2)
        #expect(result.bands.allSatisfy { Self.problems($0.geometry).isEmpty })
        for polygon in result.bands[0].geometry.polygons {
            #expect(polygon.exterior.coordinates.allSatisfy { result.bands[1].geometry.contains($0) })
        }
    }
}

// MARK: - Test support

extension IsochroneTests {
    /// Why a MultiPolygon is not valid as OGC simple features (as GEOS/Spatialite `ST_IsValid` checks) or
    /// breaks the RFC 7946 right-hand rule: empty when it is fine.
    static func problems(_ m: MultiPolygon) -> [String] {
        var problems: [String] = []
        struct Segment { var a: Coordinate; var b: Coordinate; var ring: Int; var index: Int; var ringSize: Int }
        var segments: [Segment] = []
        var ringNumber = 0
        for (p, polygon) in m.polygons.enumerated() {
            if !polygon.exterior.isCounterClockwise { problems.append("polygon \(p): exterior not counter-clockwise") }
            for (h, hole) in polygon.holes.enumerated() {
                if hole.isCounterClockwise { problems.append("polygon \(p) hole \(h): not clockwise") }
                if !Polygon(exterior: polygon.exterior).contains(hole.coordinates[0]) {
                    problems.append("polygon \(p) hole \(h): outside its exterior")
                }
                for (other, o) in polygon.holes.enumerated() where other != h && Polygon(exterior: o).contains(hole.coordinates[0]) {
                    problems.append("polygon \(p) hole \(h): inside hole \(other)")
                }
            }
            for ring in [polygon.exterior] + polygon.holes {
                let cs = ring.coordinates
                if cs.count < 4 || cs.first != cs.last { problems.append("polygon \(p): ring not closed") }
                if Set(cs.dropLast()).count != cs.count - 1 { problems.append("polygon \(p): ring repeats a vertex") }
                for i in 0..<(cs.count - 1) {
                    segments.append(Segment(a: cs[i], b: cs[i + 1], ring: ringNumber, index: i, ringSize: cs.count - 1))
                }
                ringNumber += 1
            }
            for (q, other) in m.polygons.enumerated() where q != p && other.contains(polygon.exterior.coordinates[0]) {
                problems.append("polygon \(p) overlaps polygon \(q)")
            }
        }
        // Sweep on longitude: no two segments may meet, except neighbours in a ring at their shared vertex.
        segments.sort { min($0.a.longitude, $0.b.longitude) < min($1.a.longitude, $1.b.longitude) }
        func orient(_ p: Coordinate, _ q: Coordinate, _ r: Coordinate) -> Double {
            (q.longitude - p.longitude) * (r.latitude - p.latitude) - (q.latitude - p.latitude) * (r.longitude - p.longitude)
        }
        func onSegment(_ p: Coordinate, _ a: Coordinate, _ b: Coordinate) -> Bool {
            p.longitude >= min(a.longitude, b.longitude) && p.longitude <= max(a.longitude, b.longitude)
                && p.latitude >= min(a.latitude, b.latitude) && p.latitude <= max(a.latitude, b.latitude)
        }
        func meet(_ s: Segment, _ t: Segment) -> Bool {
            let d1 = orient(t.a, t.b, s.a), d2 = orient(t.a, t.b, s.b), d3 = orient(s.a, s.b, t.a), d4 = orient(s.a, s.b, t.b)
            if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) { return true }
            return (d1 == 0 && onSegment(s.a, t.a, t.b)) || (d2 == 0 && onSegment(s.b, t.a, t.b))
                || (d3 == 0 && onSegment(t.a, s.a, s.b)) || (d4 == 0 && onSegment(t.b, s.a, s.b))
        }
        for i in segments.indices {
            let s = segments[i]
            let right = max(s.a.longitude, s.b.longitude)
            var j = i + 1
            while j < segments.count && min(segments[j].a.longitude, segments[j].b.longitude) <= right {
                let t = segments[j]
                j += 1
                if s.ring == t.ring {
                    let gap = abs(s.index - t.index)
                    if gap == 1 || gap == s.ringSize - 1 { continue }
                }
                if max(s.a.latitude, s.b.latitude) < min(t.a.latitude, t.b.latitude)
                    || max(t.a.latitude, t.b.latitude) < min(s.a.latitude, s.b.latitude) { continue }
                if meet(s, t) {
                    problems.append("rings \(s.ring) and \(t.ring) meet near \(s.a)")
                    if problems.count > 20 { return problems }
                }
            }
        }
        return problems
    }
}

/// Even–odd point test over all rings of a MultiPolygon, segments bucketed by latitude (boundary points may go
/// either way), for the many points the invariant tests check.
struct RingIndex {
    private var buckets: [[(a: Coordinate, b: Coordinate)]]
    private let south: Double, step: Double

    init(_ m: MultiPolygon) {
        let rings = m.polygons.flatMap { [$0.exterior] + $0.holes }
        let lats = rings.flatMap { $0.coordinates.map(\.latitude) }
        south = lats.min() ?? 0
        let count = max(1, rings.reduce(0) { $0 + $1.coordinates.count } / 4)
        step = max(((lats.max() ?? 0) - south) / Double(count), 1e-9)
        buckets = Array(repeating: [], count: count + 1)
        for ring in rings {
            for i in 1..<ring.coordinates.count {
                let a = ring.coordinates[i - 1], b = ring.coordinates[i]
                let lo = bucket(min(a.latitude, b.latitude)), hi = bucket(max(a.latitude, b.latitude))
                for k in lo...hi { buckets[k].append((a, b)) }
            }
        }
    }

    private func bucket(_ latitude: Double) -> Int { min(max(Int((latitude - south) / step), 0), buckets.count - 1) }

    func contains(_ p: Coordinate) -> Bool {
        var inside = false
        for (a, b) in buckets[bucket(p.latitude)] where (a.latitude > p.latitude) != (b.latitude > p.latitude) {
            let x = a.longitude + (p.latitude - a.latitude) * (b.longitude - a.longitude) / (b.latitude - a.latitude)
            if p.longitude < x { inside.toggle() }
        }
        return inside
    }
}

/// Exact network distances at points every metre along the reached network (legs included), computed
/// independently of the isochrone code: node distances from the plain search, then along each edge the best
/// of its two ends and of any origin on it. Points are bucketed for the nearest-point queries.
struct ReachOracle {
    struct Point { var x: Double; var y: Double; var d: Double }
    let projection: LocalProjection
    private(set) var points: [Point] = []
    private var buckets: [Int64: [Int]] = [:]
    private static let bucket = 50.0

    init(graph g: WalkingGraph, origins: [Isochrone.PlacedOrigin], horizon: Double, step: Double = 0.5) throws {
        projection = LocalProjection(origin: origins[0].location)
        let sources = origins.map { NearestFacilitySearch.Source(facilityID: 1, snap: $0.snap) }
        let nodes = try NearestFacilitySearch.nodeDistances(graph: g, sources: sources, horizon: Meters(horizon)).distance
        for origin in origins {
            let a = projection.project(origin.location), b = projection.project(origin.snap.location)
            let leg = hypot(b.x - a.x, b.y - a.y)
            let n = max(1, Int((leg / step).rounded(.up)))
            for k in 0...n {
                let f = Double(k) / Double(n)
                add(Point(x: a.x + f * (b.x - a.x), y: a.y + f * (b.y - a.y), d: f * origin.snap.offNetwork.value))
            }
        }
        for e in 0..<Int32(g.edgeCount) {
            let dA = nodes[Int(g.sourceNode(ofEdge: e))], dB = nodes[Int(g.targetNode(ofEdge: e))]
            let here = origins.filter { $0.snap.edge == e }
            guard dA.isFinite || dB.isFinite || !here.isEmpty else { continue }
            let shape = g.geometry(ofEdge: e).map { projection.project($0) }
            var arcs = [0.0]
            for i in 1..<shape.count { arcs.append(arcs[i - 1] + hypot(shape[i].x - shape[i - 1].x, shape[i].y - shape[i - 1].y)) }
            let total = arcs.last!, length = g.length(ofEdge: e).value
            for i in 1..<shape.count {
                let span = arcs[i] - arcs[i - 1]
                let n = max(1, Int((span / step).rounded(.up)))
                for k in 0...n {
                    let f = Double(k) / Double(n)
                    let s = arcs[i - 1] + f * span
                    let t = total > 0 ? s / total * length : 0
                    var d = min(dA + t, dB + length - t)
                    if g.sourceNode(ofEdge: e) == g.targetNode(ofEdge: e) { d = min(dA + min(t, length - t), d) }
                    for o in here {
                        d = min(d, o.snap.offNetwork.value + abs(t - min(max(o.snap.offset.value, 0), length)))
                    }
                    if d <= horizon {
                        add(Point(x: shape[i - 1].x + f * (shape[i].x - shape[i - 1].x),
                                  y: shape[i - 1].y + f * (shape[i].y - shape[i - 1].y), d: d))
                    }
                }
            }
        }
    }

    private static func key(_ x: Double, _ y: Double) -> Int64 {
        Int64((x / bucket).rounded(.down)) << 32 | Int64(UInt32(bitPattern: Int32((y / bucket).rounded(.down))))
    }

    private mutating func add(_ p: Point) {
        buckets[Self.key(p.x, p.y), default: []].append(points.count)
        points.append(p)
    }

    func coordinate(_ p: Point) -> Coordinate { projection.unproject(x: p.x, y: p.y) }

    /// Least network distance + max(0, leg − slack) over reached points within `allowance` of q.
    func cost(_ q: Coordinate, allowance: Double, slack: Double) -> Double {
        let (x, y) = projection.project(q)
        var best = Double.infinity
        let reach = Int((allowance / Self.bucket).rounded(.up))
        let bx = Int((x / Self.bucket).rounded(.down)), by = Int((y / Self.bucket).rounded(.down))
        for i in (bx - reach)...(bx + reach) {
            for j in (by - reach)...(by + reach) {
                for index in buckets[Int64(i) << 32 | Int64(UInt32(bitPattern: Int32(j)))] ?? [] {
                    let p = points[index]
                    let leg = hypot(p.x - x, p.y - y)
                    if leg <= allowance { best = min(best, p.d + max(0, leg - slack)) }
                }
            }
        }
        return best
    }
}
