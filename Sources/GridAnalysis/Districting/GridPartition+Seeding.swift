extension GridPartition.State {
    /// Labels one connected part with exactly `count` contiguous grids; returns the next free label.
    mutating func seed(part: [Int], count: Int, firstLabel: Int) -> Int {
        let members = Set(part)
        // Start from the current plan, each label restricted to its largest connected piece.
        var groups: [Int: [Int]] = [:]
        for building in part where problem.initial[building] >= 0 { groups[problem.initial[building], default: []].append(building) }
        var regions: [[Int]] = []
        for (_, group) in groups.sorted(by: { $0.key < $1.key }) {
            let pieces = connectedPieces(group)
            if let best = pieces.max(by: { weight($0) < weight($1) || (weight($0) == weight($1) && $0.count < $1.count) }) {
                regions.append(best)
            }
        }
        // Region index of each building placed so far.
        var owner = [Int: Int]()
        for (r, region) in regions.enumerated() { for building in region { owner[building] = r } }
        if regions.isEmpty {
            regions = [part]
            for building in part { owner[building] = 0 }
        } else {
            // Unplaced buildings join the region of their nearest placed neighbour (breadth first).
            var queue = part.filter { owner[$0] != nil }
            var i = 0
            while i < queue.count {
                let building = queue[i]; i += 1
                guard let region = owner[building] else { continue }
                for neighbour in adjacency[building] where members.contains(neighbour) && owner[neighbour] == nil {
                    owner[neighbour] = region; regions[region].append(neighbour); queue.append(neighbour)
                }
            }
        }
        func merge(_ lightest: Int) -> Bool {
            var neighbours = Set<Int>()
            for building in regions[lightest] {
                for neighbour in adjacency[building] { if let o = owner[neighbour], o != lightest { neighbours.insert(o) } }
            }
            // Ties go to the lower index: a set's order differs from run to run.
            guard let into = neighbours.min(by: { (weight(regions[$0]), $0) < (weight(regions[$1]), $1) }) else { return false }
            for building in regions[lightest] { owner[building] = into }
            regions[into] += regions[lightest]
            regions[lightest] = []
            regions.remove(at: lightest)
            for (r, region) in regions.enumerated() { for building in region { owner[building] = r } }
            return true
        }
        func split(_ heaviest: Int) -> Bool {
            let (a, b) = bisect(regions[heaviest], share: 0.5)
            guard !a.isEmpty, !b.isEmpty else { return false }
            regions[heaviest] = a
            regions.append(contentsOf: b)
            for (r, region) in regions.enumerated() { for building in region { owner[building] = r } }
            return true
        }
        // Merge the lightest region into its lightest neighbour until few enough.
        while regions.count > count {
            guard let lightest = regions.indices.min(by: { weight(regions[$0]) < weight(regions[$1]) }),
                  merge(lightest) else { break }
        }
        // Split the heaviest region until enough: recursive bisection by a geometric sweep.
        while regions.count < count {
            // A lone building cannot be split, however heavy (one above the maximum is a grid of its own).
            guard let heaviest = regions.indices.filter({ regions[$0].count > 1 }).max(by: { weight(regions[$0]) < weight(regions[$1]) }),
                  split(heaviest) else { break }
        }
        // At the right count, a region below half the minimum that no neighbour's surplus over the maximum can fill
        // would become a grid only by taking households from neighbours that then take theirs from the next ones; a
        // region above the maximum that holds two grids' worth has to be split anyway. Merging the one and
        // splitting the other moves far fewer households: the split's new grid takes the small grid's place (its
        // identity under the one-to-one matching of new grids to current ones).
        func stranded(_ r: Int) -> Bool {
            let w = weight(regions[r])
            guard 2 * w < problem.minimum else { return false }
            var neighbours = Set<Int>()
            for building in regions[r] {
                for neighbour in adjacency[building] { if let o = owner[neighbour], o != r { neighbours.insert(o) } }
            }
            return !neighbours.contains { weight(regions[$0]) - problem.maximum >= problem.minimum - w }
        }
        func splittable(_ r: Int) -> Bool {
            let w = weight(regions[r])
            return regions[r].count > 1 && w > problem.maximum && w >= 2 * problem.minimum
        }
        for _ in 0..<count {
            guard regions.indices.contains(where: splittable),
                  let lightest = regions.indices.filter(stranded).min(by: { weight(regions[$0]) < weight(regions[$1]) }),
                  merge(lightest),
                  let heaviest = regions.indices.filter(splittable).max(by: { weight(regions[$0]) < weight(regions[$1]) }),
                  split(heaviest) else { break }
        }
        for (r, region) in regions.enumerated() { for building in region { label[building] = firstLabel + r } }
        return firstLabel + regions.count
    }

    /// Households of the buildings.
    func weight(_ buildings: [Int]) -> Int { buildings.reduce(0) { $0 + problem.households[$1] } }

    /// The connected pieces of a set of buildings, each in breadth-first order from its first building in `buildings`.
    func connectedPieces(_ buildings: [Int]) -> [[Int]] {
        let inside = Set(buildings)
        var seen = Set<Int>()
        var pieces: [[Int]] = []
        for start in buildings where !seen.contains(start) {
            var piece = [start]; seen.insert(start)
            var i = 0
            while i < piece.count {
                for neighbour in adjacency[piece[i]] where inside.contains(neighbour) && !seen.contains(neighbour) {
                    seen.insert(neighbour); piece.append(neighbour)
                }
                i += 1
            }
            pieces.append(piece)
        }
        return pieces
    }

    /// Grows a connected part from the extreme building along the longer axis, always taking the frontier
    /// building lowest on that axis, until it holds `share` of the weight; the rest is returned as its
    /// connected pieces (the largest first), so both sides stay contiguous.
    func bisect(_ buildings: [Int], share: Double) -> ([Int], [[Int]]) {
        let xs = buildings.map { problem.x[$0] }, ys = buildings.map { problem.y[$0] }
        guard let minX = xs.min(), let maxX = xs.max(), let minY = ys.min(), let maxY = ys.max() else { return (buildings, []) }
        let alongX = (maxX - minX) >= (maxY - minY)
        let key: (Int) -> Double = { alongX ? problem.x[$0] : problem.y[$0] }
        let inside = Set(buildings)
        let total = Double(weight(buildings))
        guard let start = buildings.min(by: { key($0) < key($1) || (key($0) == key($1) && $0 < $1) }) else { return (buildings, []) }
        var taken: Set<Int> = [start]
        var grown = [start]
        var sum = Double(problem.households[start])
        var frontier = Set(adjacency[start].filter { inside.contains($0) })
        while sum < total * share, let next = frontier.min(by: { key($0) < key($1) || (key($0) == key($1) && $0 < $1) }) {
            frontier.remove(next)
            if taken.contains(next) { continue }
            let households = Double(problem.households[next])
            if sum + households > total * share && sum > 0 && (sum + households - total * share) > (total * share - sum) { break }
            taken.insert(next); grown.append(next); sum += households
            for neighbour in adjacency[next] where inside.contains(neighbour) && !taken.contains(neighbour) { frontier.insert(neighbour) }
        }
        let rest = buildings.filter { !taken.contains($0) }
        guard !rest.isEmpty else { return (grown, []) }
        var pieces = connectedPieces(rest).sorted { weight($0) > weight($1) }
        // Small pieces cut off by the sweep join the grown side, which touches them.
        let kept = pieces.removeFirst()
        for piece in pieces { grown += piece }
        return (grown, [kept])
    }
}
