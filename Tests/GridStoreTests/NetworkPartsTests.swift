import Foundation
import GRDB
import GridAnalysis
import GridModel
import GridServices
import GridStore
import Testing

/// Coverage over a network in pieces: points join the nearest edge of any usable part (the largest, one with
/// enough walkways, or one holding a facility), not only the largest, and the run reports the parts.
@Suite("Coverage over disconnected network parts", .serialized)
struct NetworkPartsTests {
    struct Comparison {
        var changed: [Int] = []
        var unexplained: [Int] = []
        var rescued = 0
        var rescuedHouseholds = 0
        /// Rescued buildings with a facility of some category within its horizon.
        var rescuedReaching = 0
    }

    /// Coverage by the largest part only (the former rule) against the usable parts, building by building. A
    /// building may differ only when it joined a part other than the largest now, or when its former nearest
    /// facility of a category now joins another part.
    static func compare(_ store: Store, profile: LifeCircleProfile = .gb50180) throws -> (Comparison, Coverage.Result) {
        let graph = try AnalysisData.graph(store)
        let buildings = try AnalysisData.buildings(store), facilities = try AnalysisData.facilities(store)
        let former = try Coverage.run(graph: graph, snapper: EdgeSnapper(graph: graph, onlyLargestComponent: true),
                                      buildings: buildings, facilities: facilities, profile: profile)
        let snapper = profile.reach.snapper(graph, facilities: facilities.map(\.location))
        let now = try CoverageJob.compute(store: store, profile: profile)
        let snaps = profile.reach.place(buildings.map(\.point), on: snapper)
        let facilitySnaps = profile.reach.place(facilities.map(\.location), on: snapper)
        var movedFacilities = Set<Int64>()
        for (facility, snap) in zip(facilities, facilitySnaps) {
            if let snap, NetworkParts.component(of: snap, in: graph) != graph.largestComponent { movedFacilities.insert(facility.id) }
        }
        var comparison = Comparison()
        for b in buildings.indices {
            let same = former.results.isOffNetwork(b) == now.results.isOffNetwork(b)
                && former.categories.indices.allSatisfy { former.results.nearest(building: b, category: $0) == now.results.nearest(building: b, category: $0) }
            if same { continue }
            comparison.changed.append(b)
            let joinedOther = snaps[b].map { NetworkParts.component(of: $0, in: graph) != graph.largestComponent } ?? false
            let formerFacilityMoved = former.categories.indices.contains {
                former.results.nearest(building: b, category: $0).map { movedFacilities.contains($0.facilityID) } ?? false
            }
            if !joinedOther && !formerFacilityMoved { comparison.unexplained.append(b) }
            if former.results.isOffNetwork(b) && !now.results.isOffNetwork(b) {
                comparison.rescued += 1
                comparison.rescuedHouseholds += buildings[b].households
                if now.categories.indices.contains(where: { now.results.nearest(building: b, category: $0) != nil }) { comparison.rescuedReaching += 1 }
            }
        }
        return (comparison, now)
    }

    @Test("Helsinki (clipped, broken ways) and Andorra: only buildings joining another part or losing a facility to one change",
          .enabled(if: SharedData.available, SharedData.skipReason), arguments: ["dense_helsinki_centre_2019.osm.pbf", "bench_andorra_2021-04-13.osm.pbf"])
    func clippedExtracts(_ file: String) throws {
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: SharedData.path(file))
        let (comparison, now) = try Self.compare(temporary.store)
        #expect(comparison.unexplained.isEmpty, "\(comparison.unexplained.prefix(20))")
        let parts = now.networkParts
        #expect(parts.contains { $0.isLargest })
        let joinedHouseholds: Int = parts.map(\.households).reduce(0, +)
        var offHouseholds = 0
        for b in now.buildings.indices where now.results.isOffNetwork(b) { offHouseholds += now.buildings[b].households }
        let allHouseholds: Int = now.buildings.map(\.households).reduce(0, +)
        #expect(joinedHouseholds + offHouseholds == allHouseholds)
        print("\(file): \(parts.count) parts joined (\(parts.filter { !$0.isLargest }.map { "\($0.buildings) buildings / \($0.households) households on \(Int($0.length.value)) m" }.joined(separator: "; "))); \(comparison.changed.count) buildings changed, \(comparison.rescued) (\(comparison.rescuedHouseholds) households) no longer off the network")
    }

    @Test("Wudaokou split in two along a meridian: both halves keep their coverage, and the run reports the parts",
          .enabled(if: SharedData.available, SharedData.skipReason))
    func wudaokouSplit() throws {
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: SharedData.path("cn_beijing_haidian_wudaokou_2017.osm"))
        let (unsplit, whole) = try Self.compare(temporary.store)
        #expect(whole.networkParts.first?.isLargest == true)
        print("wudaokou whole: \(whole.networkParts.count) parts joined; \(unsplit.changed.count) buildings changed against the largest-part rule")
        // Cut every walkway crossing the meridian through the middle building: a river without its bridges.
        let longitudes = try AnalysisData.buildings(temporary.store).map(\.point.longitude).sorted()
        let cut = longitudes[longitudes.count / 2]
        let removed = try temporary.store.write { db -> Int in
            try db.execute(sql: "DELETE FROM network_edges WHERE MbrMinX(geom) < ? AND MbrMaxX(geom) > ?", arguments: [cut, cut])
            return db.changesCount
        }
        #expect(removed > 10)
        let graph = try AnalysisData.graph(temporary.store)
        let parts = NetworkParts(graph: graph, facilities: try AnalysisData.facilities(temporary.store).map(\.location), snapLimit: LifeCircleProfile.gb50180.snapLimit)
        let big = parts.parts.filter { $0.length.value > 5_000 }
        #expect(big.count == 2, "\(big)")
        #expect(big.allSatisfy { $0.isMajor })
        let (comparison, split) = try Self.compare(temporary.store)
        #expect(comparison.unexplained.isEmpty, "\(comparison.unexplained.prefix(20))")
        // The side that is not the largest part: its buildings were off the network under the former rule.
        #expect(comparison.rescued > 100)
        let offNetwork = split.buildings.indices.filter { split.results.isOffNetwork($0) }.count
        let formerlyOff = whole.buildings.indices.filter { whole.results.isOffNetwork($0) }.count
        #expect(offNetwork <= formerlyOff + 20, "\(offNetwork) buildings off the network after the cut, \(formerlyOff) before")
        let joined = split.networkParts.filter { $0.households > 0 }
        #expect(joined.count >= 2)
        let second = try #require(split.networkParts.first { !$0.isLargest && $0.length.value > 5_000 })
        #expect(second.households > 1000 && second.facilities > 0)
        // The second part's buildings reach its own facilities.
        #expect(comparison.rescuedReaching > comparison.rescued / 2)
        // The run stores the parts in its summary.
        let run = try CoverageRuns.save(split, store: temporary.store, seconds: 0)
        let summary = try temporary.store.read { db in try String.fetchOne(db, sql: "SELECT summary FROM coverage_runs WHERE id = ?", arguments: [run]) } ?? ""
        let json = try #require(try JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any])
        let stored = try #require(json["network_parts"] as? [[String: Any]])
        #expect(stored.count == split.networkParts.count)
        #expect(stored.first?["households"] as? Int == split.networkParts.first?.households)
        print("wudaokou cut at \(cut)° E: \(removed) edges removed; parts joined: \(joined.map { "\($0.buildings) buildings / \($0.households) households / \($0.facilities) facilities on \(Int($0.length.value)) m" }.joined(separator: "; ")); \(comparison.rescued) buildings (\(comparison.rescuedHouseholds) households) the largest-part rule left off the network, \(comparison.rescuedReaching) of them now reach a facility")
    }

    @Test("a fragment under the minimum length is joined only by points beyond the major parts' reach, and only when it holds a facility")
    func fragments() throws {
        // A 1.3 km street, 40 m of path just beside it, and 40 m of path 300 m away that no way joins.
        func edge(_ id: Int64, _ a: Int64, _ b: Int64, _ from: Coordinate, _ to: Coordinate) -> NetworkEdge {
            NetworkEdge(id: id, sourceNode: a, targetNode: b, length: Geodesy.distance(from, to), geometry: [from, to])
        }
        let street = edge(1, 1, 2, Coordinate(longitude: 116.300, latitude: 40.0), Coordinate(longitude: 116.315, latitude: 40.0))
        let near = edge(2, 3, 4, Coordinate(longitude: 116.305, latitude: 40.0006), Coordinate(longitude: 116.30547, latitude: 40.0006))
        let far = edge(3, 5, 6, Coordinate(longitude: 116.305, latitude: 40.0030), Coordinate(longitude: 116.30547, latitude: 40.0030))
        let graph = WalkingGraph(edges: [street, near, far])
        let rule = ReachRule.shipped
        #expect(rule.snapLimit.value < 300)
        func component(_ point: Coordinate, facilities: [Coordinate]) -> Int32? {
            rule.place(point, on: rule.snapper(graph, facilities: facilities)).map { NetworkParts.component(of: $0, in: graph) }
        }
        let besideNear = Coordinate(longitude: 116.3052, latitude: 40.0007), besideFar = Coordinate(longitude: 116.3052, latitude: 40.0031)
        let shopNear = Coordinate(longitude: 116.3053, latitude: 40.0006), shopFar = Coordinate(longitude: 116.3053, latitude: 40.0030)
        // Near the street, the stub beside it never takes a point, with or without a shop on it.
        #expect(component(besideNear, facilities: []) == graph.largestComponent)
        #expect(component(besideNear, facilities: [shopNear]) == graph.largestComponent)
        // Beyond the street's reach: off the network, unless a facility is stranded on the far stub too.
        #expect(component(besideFar, facilities: []) == nil)
        let farPart = component(besideFar, facilities: [shopFar])
        #expect(farPart != nil && farPart != graph.largestComponent)
        let parts = NetworkParts(graph: graph, facilities: [shopNear, shopFar], snapLimit: rule.snapLimit)
        #expect(parts.parts.map(\.isMajor) == parts.parts.map(\.isLargest))
        #expect(parts.parts.filter(\.isFallback).count == 1)
    }
}
