extension GridPartition.State {
    /// The connected parts of the adjacency graph, each as its buildings in breadth-first order.
    func components() -> [[Int]] {
        var seen = [Bool](repeating: false, count: buildingCount)
        var result: [[Int]] = []
        for start in 0..<buildingCount where !seen[start] {
            var part = [start]; seen[start] = true
            var i = 0
            while i < part.count {
                for neighbour in adjacency[part[i]] where !seen[neighbour] { seen[neighbour] = true; part.append(neighbour) }
                i += 1
            }
            result.append(part)
        }
        return result
    }

    /// The feasible count with the most room on both sides, given atomic buildings.
    func middleCount(part: [Int], weight: Int) -> Int {
        let big = part.filter { problem.households[$0] > problem.maximum }
        let rest = weight - big.reduce(0) { $0 + problem.households[$1] }
        return max(1, big.count + Int((Double(rest) / target).rounded()))
    }

    func gridCount(part: [Int], weight: Int, total: Int, parts: Int) -> Int {
        if let wanted = problem.gridCount {
            // Shared among disconnected parts by weight, at least one each.
            return max(1, Int((Double(wanted) * Double(weight) / Double(max(total, 1))).rounded()))
        }
        // A building above the maximum fills a grid alone (atomic), so the others share what is left.
        let big = part.filter { problem.households[$0] > problem.maximum }
        let rest = weight - big.reduce(0) { $0 + problem.households[$1] }
        let low = big.count + (rest + problem.maximum - 1) / problem.maximum, high = big.count + rest / max(problem.minimum, 1)
        let current = Set(part.map { problem.initial[$0] }.filter { $0 >= 0 }).count
        if low <= high {
            // From a current plan, the feasible count nearest to it (fewest merges or splits); from scratch, the middle.
            if current > 0 { return max(1, current.clamped(low, high)) }
            return max(1, Int((Double(weight) / target).rounded()).clamped(low, high))
        }
        return max(1, Int((Double(weight) / target).rounded()))
    }
}

extension Int {
    fileprivate func clamped(_ low: Int, _ high: Int) -> Int { Swift.min(Swift.max(self, low), high) }
}
