import Foundation
import GRDB
import GridAnalysis
import GridModel
import GridServices
@testable import GridStore
import Testing

/// `rebalance` searches with the buildings' cells (true Polsby–Popper, annealing, return pass), as the districting
/// benchmark does, and its grid polygons are those same cells dissolved.
@Suite("Grid runs: the search weighs the cells the grids are made of")
struct GridRunTilingTests {
    /// Partition as sets of building ids, whatever the labels.
    static func partition(_ ids: [Int64], _ labels: [Int]) -> Set<Set<Int64>> {
        Set(Dictionary(grouping: ids.indices, by: { labels[$0] }).values.map { Set($0.map { ids[$0] }) })
    }

    @Test("demo: the run's plan is the true-PP search's plan, not the proxy's, and at least as compact; cells tile each community")
    func runSearchesWithTheCells() throws {
        let temporary = try CoverageStoreTests.demoStore()
        var parameters = GridRuns.Parameters()
        parameters.minimum = 800; parameters.maximum = 1300
        let run = try GridRebalance.run(store: temporary.store, parameters: parameters)
        let planned = try temporary.store.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT building_id, to_grid FROM grid_run_buildings WHERE run_id = ?",
                                                              arguments: [run.id]).map { ($0[0] as Int64, $0[1] as String) })
        }
        let storedPP = try temporary.store.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT code, polsby_popper FROM grid_run_grids WHERE run_id = ?",
                                                              arguments: [run.id]).map { ($0[0] as String, $0[1] as Double) })
        }
        let communities = try GridReports.communities(temporary.store)
        let assignment = try GridReports.assign(temporary.store)
        let locator = PolygonLocator(communities.map(\.shape))
        var differing = 0, runPP = 0.0, proxyPP = 0.0
        for (index, community) in communities.enumerated() {
            // The community's problem as the run builds it (no building is above the maximum: units are buildings).
            let members = assignment.buildings.indices.filter { locator.first(containing: assignment.buildings[$0].point) == index }
            let buildings = members.map { assignment.buildings[$0] }
            #expect(buildings.allSatisfy { $0.households <= parameters.maximum })
            let currentCodes = members.map { assignment.results[$0].grid }
            let codeIndex = Dictionary(uniqueKeysWithValues: Array(Set(currentCodes.compactMap { $0 })).sorted().enumerated().map { ($1, $0) })
            let projection = LocalProjection(origin: community.shape.boundingBox.center)
            let xy = buildings.map { projection.project($0.point) }
            let cells = try GridCells.clipped(temporary.store, community: community.shape, points: buildings.map(\.point))
            let tiling = GridCells.tiling(cells, projection: projection)
            let area = community.shape.areaSquareMeters
            #expect(abs(tiling.area.reduce(0, +) - area) < area * 0.002, "\(community.code): the cells cover the community")
            var problem = GridPartition.Problem(
                households: buildings.map(\.households), x: xy.map(\.x), y: xy.map(\.y),
                edges: GridCells.adjacency(points: buildings.map(\.point), tiling: tiling, x: xy.map(\.x), y: xy.map(\.y)),
                initial: currentCodes.map { $0.flatMap { codeIndex[$0] } ?? -1 },
                minimum: parameters.minimum, maximum: parameters.maximum, stability: parameters.stability, tiling: tiling)
            let withCells = GridPartition.solve(problem)
            problem.tiling = nil
            let proxy = GridPartition.solve(problem)

            let ids = buildings.map(\.id)
            let runCodes = ids.map { planned[$0]! }
            let runCodeIndex = Dictionary(uniqueKeysWithValues: Array(Set(runCodes)).sorted().enumerated().map { ($1, $0) })
            let runLabels = runCodes.map { runCodeIndex[$0]! }
            #expect(Self.partition(ids, runLabels) == Self.partition(ids, withCells.labels), "\(community.code): the run is the search with cells")
            if Self.partition(ids, runLabels) != Self.partition(ids, proxy.labels) { differing += 1 }

            // The cells measure the stored grids' Polsby–Popper (polygons dissolved from them).
            let measured = tiling.polsbyPopper(labels: runLabels, count: runCodeIndex.count)
            for (code, g) in runCodeIndex {
                #expect(abs(measured[g] - storedPP[code]!) < 0.01, "\(code): cells \(measured[g]), polygon \(storedPP[code]!)")
            }
            runPP += measured.reduce(0, +)
            proxyPP += tiling.polsbyPopper(labels: proxy.labels, count: proxy.gridCount).reduce(0, +)
        }
        print(String(format: "demo 800–1300: %d of %d communities planned differently than with the centroid proxy; summed PP %.2f (proxy %.2f)",
                     differing, communities.count, runPP, proxyPP))
        #expect(differing > 0)
        #expect(runPP >= proxyPP)
        #expect(run.metrics.summary.inRange == run.metrics.summary.grids)
        try GridRunBarrierSplitTests.expectTiles(temporary.store, run: run.id)
    }
}

extension GridRunTilingTests {
    @Test("a cell cut in two by a concave boundary: the piece apart goes to the unit it borders; a shared point gets no cell; grids are one polygon each and tile the community")
    func concaveCommunity() throws {
        let temporary = try TemporaryStore()
        // A "C" open to the east, 300 m across: a square with a notch from the east side.
        func at(_ x: Double, _ y: Double) -> Coordinate { Coordinate(longitude: 116.3 + x * 0.001, latitude: 40 + y * 0.001) }
        let ring = [at(0, 0), at(3, 0), at(3, 1), at(1, 1), at(1, 2), at(3, 2), at(3, 3), at(0, 3), at(0, 0)]
        let community = MultiPolygon([try Polygon(exterior: ring)])
        // The bottom arm's end is nearer the top arm's end than the spine is: its cell crosses the notch.
        let points = [at(2.5, 0.5), at(0.5, 1.5), at(0.5, 1.5)]
        let cells = try GridCells.clipped(temporary.store, community: community, points: points)
        // Unit 0's Voronoi cell also covers the top arm's end, beyond the notch: that piece borders only unit 1's cell.
        let voronoi = try GridCells.voronoi(temporary.store, community: community, points: points)
        #expect(voronoi.map(\.count) == [2, 1, 0])
        #expect(cells[0].count == 1 && cells[0][0].contains(points[0]) && cells[1].count == 2 && cells[2].isEmpty)
        #expect(abs(cells[0][0].areaSquareMeters - voronoi[0].first { $0.contains(points[0]) }!.areaSquareMeters) < 1e-6 * community.areaSquareMeters)
        // Areas summed per piece differ in the last few metres² only by each piece's own local projection.
        let area = community.areaSquareMeters
        let covered = cells.joined().reduce(0) { $0 + $1.areaSquareMeters }
        #expect(abs(covered - area) < area * 1e-5)
        let tiling = GridCells.tiling(cells, projection: LocalProjection(origin: community.boundingBox.center))
        #expect(tiling.area[2] == 0 && tiling.shared[2].isEmpty)
        #expect(tiling.shared[0].map(\.cell) == [1] && tiling.shared[1].map(\.cell) == [0])
        let xy = points.map { LocalProjection(origin: community.boundingBox.center).project($0) }
        #expect(GridCells.adjacency(points: points, tiling: tiling, x: xy.map(\.x), y: xy.map(\.y)).map { [$0.0, $0.1] } == [[0, 1], [1, 2]])

        let grids = try GridCells.dissolve(temporary.store, cells: cells, labels: [0, 1, 1], count: 2)
        #expect(grids.map(\.polygons.count) == [1, 1])
        #expect(abs(grids.reduce(0) { $0 + $1.areaSquareMeters } - area) < area * 1e-5)
        let gap = try temporary.store.read { db in
            try Double.fetchOne(db, sql: "SELECT ST_Area(ST_SymDifference(GeomFromWKB(?, 4326), ST_Union(GeomFromWKB(?, 4326), GeomFromWKB(?, 4326))))",
                                arguments: [Data(Geometry.multiPolygon(community).wkb()), Data(Geometry.multiPolygon(grids[0]).wkb()),
                                            Data(Geometry.multiPolygon(grids[1]).wkb())])
        }
        #expect((gap ?? 0) < GridRunStoreTests.noise)
        let whole = try GridCells.dissolve(temporary.store, cells: cells, labels: [0, 0, 0], count: 1)
        #expect(whole.count == 1 && whole[0].polygons.count == 1 && abs(whole[0].areaSquareMeters - area) < area * 1e-5)
    }
}
