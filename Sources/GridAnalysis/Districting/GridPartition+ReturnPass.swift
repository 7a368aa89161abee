extension GridPartition.State {
    /// Rounds of `polish` at most: each needs the matching to have changed in the one before.
    static let polishRounds = 4

    /// Annealing, then the return of moved buildings, each against the best one-to-one matching of new grids to
    /// current grids of the plan it starts from. The changed households are counted under the matching of the
    /// final plan, which the polish itself can change (a grid split off a large one may take over the identity of
    /// a small grid it absorbed): while it does, the polish runs again against the new matching (bounded).
    mutating func polish(count: Int, _ tiling: CellTiling) {
        var matching: [Int] = []
        for round in 0..<Self.polishRounds {
            let rematched = matchOrigins(count: count)
            if rematched == matching { break }
            matching = rematched
            // The first round anneals at full length; later ones start from a plan already annealed.
            if round == 0 { anneal(count: count) } else { anneal(count: count, steps: annealSteps / 4, hot: Self.annealHot / 4) }
            returnHome(count: count, tiling)
        }
    }

    /// Minimal change: buildings that left their grid (the grid matched one-to-one to their current grid) go
    /// back, one at a time, where that lowers the run's weighted cost (households moved, weighed by `stability`,
    /// against summed Polsby–Popper), keeps every grid connected and non-empty and adds no household outside the
    /// range to either grid; with a `floor`, the summed Polsby–Popper also stays at or above it. The return that
    /// lowers the cost most comes first. Returns the buildings returned.
    @discardableResult
    mutating func returnHome(count: Int, floor: Double? = nil, _ tiling: CellTiling) -> Int {
        origins = matchOrigins(count: count)
        var gridOf: [Int: Int] = [:]
        for (grid, origin) in origins.enumerated() where origin >= 0 { gridOf[origin] = grid }
        var compactness = polsbyPopperSum(count)
        var returned = 0
        while true {
            var best: (building: Int, to: Int, loss: Double, gain: Double)?
            for building in 0..<buildingCount {
                guard problem.households[building] > 0, let home = gridOf[problem.initial[building]], home != label[building],
                      adjacency[building].contains(where: { label[$0] == home }) else { continue }
                let from = label[building]
                guard violation(from, with: building, -1) <= violation(from),
                      violation(home, with: building, 1) <= violation(home) else { continue }
                let loss = compactness - polsbyPopperSum(afterMoving: building, to: home, tiling, current: compactness)
                // Only the two terms a return changes: the households it gives back and the compactness it costs.
                let gain = movedWeight * Double(problem.households[building]) - compactnessWeight * loss
                // The connectivity test last: it is the one that walks the grid.
                guard gain > 1e-9, floor.map({ compactness - loss >= $0 - 1e-9 }) ?? true,
                      best.map({ gain > $0.gain }) ?? true, removable(building) else { continue }
                best = (building, home, loss, gain)
            }
            guard let chosen = best else { break }
            move(chosen.building, to: chosen.to)
            compactness -= chosen.loss
            returned += 1
        }
        return returned
    }
}
