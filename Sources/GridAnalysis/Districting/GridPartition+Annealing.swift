import Foundation
import GridModel

extension GridPartition.State {
    static let annealStepsPerBuilding = 100
    static let annealStepsMax = 20_000
    var annealSteps: Int { min(Self.annealStepsPerBuilding * buildingCount, Self.annealStepsMax) }
    /// From about the cost of moving 7 households (down to a tenth of one at the end): early on, a flip that
    /// loses a little compactness or stability is often taken; at the end only improvements are.
    static let annealHot = 20.0

    /// Simulated annealing (Kirkpatrick et al. 1983) of single boundary flips on the search's own cost, from the
    /// plan the descent ended in; never adds households outside the range, never disconnects a grid. Keeps the
    /// cheapest state met. Deterministic (seeded by the problem's size).
    mutating func anneal(count: Int, steps: Int? = nil, hot: Double? = nil) {
        guard count > 1, buildingCount > 2 else { return }
        origins = matchOrigins(count: count)
        var random = SplitMix64(seed: UInt64(buildingCount) &* 0xD1B5_4A32_D192_ED03 &+ UInt64(count) &+ UInt64(steps ?? 0))
        let steps = steps ?? annealSteps
        let hot = hot ?? Self.annealHot, cold = 0.2
        var cost = 0.0, cheapest = (cost: 0.0, label: label)
        for step in 0..<steps {
            let building = random.below(buildingCount), neighbours = adjacency[building]
            guard !neighbours.isEmpty else { continue }
            let source = label[building], destination = label[neighbours[random.below(neighbours.count)]]
            guard source != destination, violationChange(building, to: destination) <= 0 else { continue }
            let temperature = hot * pow(cold / hot, Double(step) / Double(steps))
            let d = delta(building, to: destination)
            guard d <= 0 || random.unit() < exp(-d / temperature), removable(building) else { continue }
            move(building, to: destination)
            cost += d
            if cost < cheapest.cost - 1e-9 { cheapest = (cost, label) }
        }
        label = cheapest.label
        rebuildSums(count: count)
    }
}
