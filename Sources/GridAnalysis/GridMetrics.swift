import Foundation
import GridModel

/// Measures of a grid plan, as the districting peers report them (../shared/bench/districting).
public enum GridMetrics {
    /// Polsby & Popper (1991): 4πA / P², 1 for a disc. Area and perimeter in a local projection.
    public static func polsbyPopper(_ shape: MultiPolygon) -> Double {
        let perimeter = perimeterMeters(shape)
        guard perimeter > 0 else { return 0 }
        return 4 * Double.pi * shape.areaSquareMeters / (perimeter * perimeter)
    }

    /// Sum of ring lengths (exterior and holes), haversine.
    public static func perimeterMeters(_ shape: MultiPolygon) -> Double {
        var total = 0.0
        for polygon in shape.polygons {
            for ring in [polygon.exterior] + polygon.holes {
                for i in 1..<ring.coordinates.count { total += Geodesy.distance(ring.coordinates[i - 1], ring.coordinates[i]).value }
            }
        }
        return total
    }

    public struct Summary: Sendable, Hashable, Codable {
        public var grids: Int
        public var householdsMin: Int
        public var householdsMax: Int
        public var householdsStd: Double
        public var inRange: Int
        /// Grids in [min, max(max, their largest building)]: buildings are atomic.
        public var feasible: Int
        public var contiguous: Int
        public var householdsMoved: Int
        public var households: Int
        public var shareInRange: Double { grids == 0 ? 0 : Double(inRange) / Double(grids) }
    }

    /// `labels` per building (0..<count); contiguity on the adjacency edges; moved = households whose building's
    /// grid is not the one matched to its initial grid (`origin`, one-to-one).
    public static func summarize(households: [Int], labels: [Int], count: Int, edges: [(Int, Int)], initial: [Int], origin: [Int],
                                 minimum: Int, maximum: Int) -> Summary {
        var load = [Int](repeating: 0, count: count), largest = load
        for (v, g) in labels.enumerated() { load[g] += households[v]; largest[g] = max(largest[g], households[v]) }
        let mean = count == 0 ? 0 : Double(load.reduce(0, +)) / Double(count)
        let variance = count == 0 ? 0 : load.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(count)
        var moved = 0
        for (v, g) in labels.enumerated() where initial[v] >= 0 && origin[g] != initial[v] { moved += households[v] }
        return Summary(
            grids: count, householdsMin: load.min() ?? 0, householdsMax: load.max() ?? 0, householdsStd: variance.squareRoot(),
            inRange: load.filter { (minimum...maximum).contains($0) }.count,
            feasible: zip(load, largest).filter { $0.0 >= minimum && $0.0 <= max(maximum, $0.1) }.count,
            contiguous: contiguousGrids(labels: labels, count: count, edges: edges),
            householdsMoved: moved, households: households.reduce(0, +))
    }

    /// Best one-to-one matching of new grids to initial labels, maximising the households they keep (Hungarian, as
    /// the peers' harness does with `linear_sum_assignment`); -1 where a grid keeps nobody of its matched label.
    public static func matchOrigins(labels: [Int], count: Int, initial: [Int], households: [Int]) -> [Int] {
        // Initial labels may be any non-negative numbers: index the ones in use.
        let used = Array(Set(initial.filter { $0 >= 0 })).sorted()
        guard count > 0, !used.isEmpty else { return Array(repeating: -1, count: count) }
        let column = Dictionary(uniqueKeysWithValues: used.enumerated().map { ($1, $0) })
        var overlap = [[Double]](repeating: [Double](repeating: 0, count: used.count), count: count)
        for v in labels.indices where initial[v] >= 0 && labels[v] >= 0 {
            // A building without households still ties its grid to its origin.
            overlap[labels[v]][column[initial[v]]!] += Double(max(households[v], 1))
        }
        return Hungarian.maximumWeightMatching(overlap).enumerated().map { g, c in
            c >= 0 && overlap[g][c] > 0 ? used[c] : -1
        }
    }

    public static func contiguousGrids(labels: [Int], count: Int, edges: [(Int, Int)]) -> Int {
        // Union-find over edges inside one grid; a grid is contiguous when its buildings form one set.
        var parent = Array(labels.indices)
        func find(_ v: Int) -> Int { var v = v; while parent[v] != v { parent[v] = parent[parent[v]]; v = parent[v] }; return v }
        for (a, b) in edges where labels[a] == labels[b] { let ra = find(a), rb = find(b); if ra != rb { parent[ra] = rb } }
        var roots = [Set<Int>](repeating: [], count: count)
        for v in labels.indices { roots[labels[v]].insert(find(v)) }
        return roots.filter { $0.count <= 1 }.count
    }

    /// Length of a nearest-neighbour tour through the points (straight lines, metres), closed back to the start:
    /// a proxy for a grid worker's round of visits (Rosenkrantz, Stearns & Lewis 1977; at most O(log n) × optimal).
    public static func tourLength(_ points: [Coordinate]) -> Double {
        guard points.count > 1 else { return 0 }
        var remaining = Array(points.dropFirst())
        var current = points[0], total = 0.0
        while !remaining.isEmpty {
            var best = 0, bestDistance = Double.infinity
            for (i, c) in remaining.enumerated() {
                let d = Geodesy.distance(current, c).value
                if d < bestDistance { best = i; bestDistance = d }
            }
            total += bestDistance
            current = remaining.remove(at: best)
        }
        return total + Geodesy.distance(current, points[0]).value
    }
}

/// Grid codes in the 15-digit scheme of GB/T 30428.1 practice: the 12-digit community code (6 administrative
/// division + 3 street + 3 community) + a 3-digit sequence numbered in reading order: rows north→south,
/// west→east within a row.
public enum GridNumbering {
    /// `centres` per grid; returns the sequence number (1-based) of each grid. Rows are bands of height
    /// √(area / count) metres from the northernmost centre, so grids of one row read west to east.
    public static func sequence(centres: [Coordinate]) -> [Int] {
        guard !centres.isEmpty else { return [] }
        let box = BoundingBox(coordinates: centres)!
        let projection = LocalProjection(origin: box.center)
        let points = centres.map { projection.project($0) }
        let width = max(points.map(\.x).max()! - points.map(\.x).min()!, 1)
        let height = max(points.map(\.y).max()! - points.map(\.y).min()!, 1)
        let band = max((width * height / Double(centres.count)).squareRoot(), 1)
        let top = points.map(\.y).max()!
        let order = points.indices.sorted { a, b in
            let ra = Int(((top - points[a].y) / band).rounded(.down)), rb = Int(((top - points[b].y) / band).rounded(.down))
            if ra != rb { return ra < rb }
            if points[a].x != points[b].x { return points[a].x < points[b].x }
            return a < b
        }
        var result = [Int](repeating: 0, count: centres.count)
        for (rank, index) in order.enumerated() { result[index] = rank + 1 }
        return result
    }

    public static func code(community: String, sequence: Int) -> String {
        let digits = String(sequence)
        return community + String(repeating: "0", count: max(0, 3 - digits.count)) + digits
    }
}
