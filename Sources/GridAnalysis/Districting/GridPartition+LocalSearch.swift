extension GridPartition.State {
    /// Greedy descent of single boundary-building flips: each pass takes, per building, the neighbouring grid that
    /// lowers the cost most, while the building's grid stays connected; stops when a pass finds nothing.
    mutating func localSearch(count: Int) {
        origins = matchOrigins(count: count)
        for _ in 0..<problem.passes {
            var improved = false
            for building in 0..<buildingCount {
                let source = label[building]
                var best: (grid: Int, delta: Double)?
                for neighbour in adjacency[building] where label[neighbour] != source {
                    let destination = label[neighbour]
                    if best?.grid == destination { continue }
                    let d = delta(building, to: destination)
                    if d < -1e-9 && best.map({ d < $0.delta }) ?? true { best = (destination, d) }
                }
                guard let best, removable(building) else { continue }
                add(building, to: source, sign: -1); label[building] = best.grid; add(building, to: best.grid, sign: 1)
                improved = true
            }
            if !improved { break }
        }
    }

    /// True when the grid of `building` stays connected (and non-empty) without it.
    func removable(_ building: Int) -> Bool {
        let grid = label[building]
        let same = adjacency[building].filter { label[$0] == grid }
        guard let first = same.first else { return false }
        if same.count == 1 { return true }
        var seen: Set<Int> = [first, building]
        var queue = [first]
        var remaining = Set(same.dropFirst())
        var i = 0
        while i < queue.count, !remaining.isEmpty {
            for neighbour in adjacency[queue[i]] where label[neighbour] == grid && !seen.contains(neighbour) {
                seen.insert(neighbour); queue.append(neighbour); remaining.remove(neighbour)
            }
            i += 1
        }
        return remaining.isEmpty
    }
}
