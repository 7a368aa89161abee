import Foundation
import GridModel

extension GridPartition.State {
    /// Flips tried per building by `walkToFeasible`.
    static let walkStepsPerBuilding = 100

    /// A random walk of single flips tilted toward the range (Metropolis on households outside it, as GerryChain's
    /// flip chain with a tilt): where every greedy move and every ejection chain makes things worse, a few
    /// uphill steps reach packings of atomic buildings the descent cannot. Keeps the best state; returns true
    /// when it has fewer households outside the range than before.
    mutating func walkToFeasible(count: Int) -> Bool {
        let start = totalViolation(count)
        guard start > 0, count > 1 else { return false }
        var random = SplitMix64(seed: UInt64(buildingCount) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(count))
        var outside = start, best = (outside: start, label: label)
        for _ in 0..<(Self.walkStepsPerBuilding * buildingCount) {
            let building = random.below(buildingCount), neighbours = adjacency[building]
            guard !neighbours.isEmpty else { continue }
            let source = label[building], destination = label[neighbours[random.below(neighbours.count)]]
            guard source != destination else { continue }
            let change = violationChange(building, to: destination)
            // e^(−0.05 per household): a step 20 households uphill is taken about one time in e.
            guard change <= 0 || random.unit() < exp(-0.05 * Double(change)), removable(building) else { continue }
            move(building, to: destination)
            outside += change
            if outside < best.outside {
                best = (outside, label)
                if outside == 0 { break }
            }
        }
        label = best.label
        rebuildSums(count: count)
        return best.outside < start
    }
}
