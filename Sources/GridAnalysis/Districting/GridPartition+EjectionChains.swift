/// Ejection chains (Glover 1996) for grids out of range: a grid above its range passes a boundary building to a
/// neighbour, which passes one on if that pushes it over, and so on until a grid absorbs it (a grid below its range
/// pulls the same way).
extension GridPartition.State {
    /// One building passed from grid to grid.
    struct Step { var building: Int; var from: Int; var to: Int }

    /// Rounds of ejection chains in one attempt, each followed by local search.
    static let repairRounds = 3

    /// Chains from every grid out of range, the worst first. Each step takes the building that best brings the
    /// current grid into range (then the neighbour's state, then the local cost); a chain is kept only if fewer
    /// households end outside the range, otherwise undone. Returns true when something was kept.
    mutating func repair(count: Int) -> Bool {
        var kept = false
        for _ in 0..<(2 * count) {
            let bad = (0..<count).filter { violation($0) > 0 }.sorted { (violation($0), $1) > (violation($1), $0) }
            var improved = false
            for start in bad where violation(start) > 0 && chain(from: start, count: count) { improved = true }
            if !improved { break }
            kept = true
        }
        return kept
    }

    mutating func chain(from start: Int, count: Int) -> Bool {
        let before = totalViolation(count)
        // Depth-first over the best few moves at each grid, so a dead end (a neighbour that can only pass on a
        // building too large) is backed out of and the next option tried.
        var budget = 400
        func search(_ current: Int, _ visited: Set<Int>, _ depth: Int) -> Bool {
            for step in steps(for: current, visited: visited).prefix(depth == 0 ? 6 : 3) {
                guard budget > 0 else { return false }
                budget -= 1
                let next = step.to == current ? step.from : step.to
                move(step.building, to: step.to)
                if totalViolation(count) < before { return true }
                if violation(next) > 0 && depth < 8 && search(next, visited.union([next]), depth + 1) { return true }
                move(step.building, to: step.from)
            }
            return false
        }
        return search(start, [start], 0)
    }

    /// Moves that bring grid `current` toward its range, best first: a building out to a neighbouring grid when
    /// `current` is above, in from one when below; grids in `visited` are not touched.
    func steps(for current: Int, visited: Set<Int>) -> [Step] {
        let over = load[current] > upper(oversized[current])
        var found: [(step: Step, key: (Int, Int, Double))] = []
        func outside(_ households: Int, _ upper: Int) -> Int { max(0, households - upper) + max(0, problem.minimum - households) }
        func consider(_ building: Int, from: Int, to: Int) {
            let w = problem.households[building]
            var bigFrom = oversized[from]
            if w > problem.maximum, let i = bigFrom.firstIndex(of: w) { bigFrom.remove(at: i) }
            let donor = outside(load[from] - w, upper(bigFrom)), receiver = outside(load[to] + w, max(upper(oversized[to]), w))
            let cost = delta(building, to: to)
            found.append((Step(building: building, from: from, to: to), over ? (donor, receiver, cost) : (receiver, donor, cost)))
        }
        for building in 0..<buildingCount {
            if over {
                guard label[building] == current else { continue }
                var targets = Set<Int>()
                for neighbour in adjacency[building] where label[neighbour] != current && !visited.contains(label[neighbour]) {
                    targets.insert(label[neighbour])
                }
                guard !targets.isEmpty, removable(building) else { continue }
                for grid in targets.sorted() { consider(building, from: current, to: grid) }
            } else {
                let grid = label[building]
                guard grid != current, !visited.contains(grid), adjacency[building].contains(where: { label[$0] == current }),
                      removable(building) else { continue }
                consider(building, from: grid, to: current)
            }
        }
        return found.filter { $0.key.0 < violation(current) }
            .sorted { ($0.key.0, $0.key.1, $0.key.2, $0.step.building) < ($1.key.0, $1.key.1, $1.key.2, $1.step.building) }.map(\.step)
    }
}
