import GridModel

/// Where one more facility helps most: greedy maximal covering (Church & ReVelle 1974) of the households
/// a category leaves uncovered, on network junctions or on given candidate points.
public enum SiteSuggestion {
    public struct Site: Sendable, Hashable {
        public var location: Coordinate
        /// The junction used, when candidates are network nodes; else the candidate's index.
        public var node: Int32?
        public var candidate: Int?
        public var householdsAdded: Int
        public var buildingsAdded: [Int64]
        public var cumulativeHouseholds: Int
    }

    /// - Parameters:
    ///   - buildings: demand; only those with `needsCover` true and households > 0 count.
    ///   - limit: the walking distance a facility serves (building off-network distance included).
    ///   - rule: how buildings and candidates join the network (the profile's reach rule).
    ///   - candidates: points to choose from; nil means every junction of the graph.
    public static func greedy(
        graph: WalkingGraph, snapper: EdgeSnapper, buildings: [Coverage.Building], needsCover: [Bool],
        limit: Meters, rule: ReachRule, candidates: [Coordinate]?, count: Int,
        isCancelled: () -> Bool = { false }
    ) throws -> [Site] {
        precondition(buildings.count == needsCover.count)
        // Candidate sites as snap points (or junctions) on the network.
        let candidateSnaps: [SnapPoint?]
        if let candidates {
            candidateSnaps = rule.place(candidates, on: snapper)
        } else {
            candidateSnaps = (0..<Int32(graph.nodeCount)).map { graph.snapPoint(atNode: $0) }
        }
        let demand = buildings.indices.filter { needsCover[$0] && buildings[$0].households > 0 }
        let demandSnaps = rule.place(demand.map { buildings[$0].point }, on: snapper)

        // Which candidates reach which buildings: one bounded search from each uncovered building.
        var reaches = [[Int32]](repeating: [], count: candidateSnaps.count)
        var reachedBy = [[Int32]](repeating: [], count: demand.count)
        let workspace = SearchWorkspace()
        for (d, snap) in demandSnaps.enumerated() {
            guard let snap else { continue }
            let source = NearestFacilitySearch.Source(facilityID: Int64(d), snap: snap)
            let answers = try NearestFacilitySearch.run(
                graph: graph, sources: [source], targets: candidateSnaps, horizon: limit,
                workspace: workspace, isCancelled: isCancelled)
            for (c, answer) in answers.enumerated() where answer != nil {
                reaches[c].append(Int32(d))
                reachedBy[d].append(Int32(c))
            }
        }

        var gain = reaches.map { $0.reduce(0) { $0 + buildings[demand[Int($1)]].households } }
        var covered = [Bool](repeating: false, count: demand.count)
        var sites: [Site] = []
        var cumulative = 0
        for _ in 0..<max(0, count) {
            guard let best = gain.indices.max(by: { gain[$0] < gain[$1] || (gain[$0] == gain[$1] && $0 > $1) }),
                  gain[best] > 0 else { break }
            var added: [Int64] = []
            var households = 0
            for d in reaches[best] where !covered[Int(d)] {
                covered[Int(d)] = true
                let building = buildings[demand[Int(d)]]
                added.append(building.id)
                households += building.households
                for c in reachedBy[Int(d)] { gain[Int(c)] -= building.households }
            }
            cumulative += households
            let location = candidates?[best] ?? graph.coordinate(ofNode: Int32(best))
            sites.append(Site(
                location: location, node: candidates == nil ? Int32(best) : nil, candidate: candidates == nil ? nil : best,
                householdsAdded: households, buildingsAdded: added.sorted(), cumulativeHouseholds: cumulative))
        }
        return sites
    }
}
