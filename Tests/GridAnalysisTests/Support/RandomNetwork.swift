import Foundation
import GridAnalysis
import GridModel

/// Seeded random walking networks: a jittered lattice with missing links (so several components),
/// diagonals, parallel edges, self-loops, bent geometries, reversed edges, stored lengths that differ
/// from the drawn ones and a few zero-length edges. OSM ids are above 2^32.
enum RandomNetwork {
    static func make(nodes: Int, seed: UInt64) -> [NetworkEdge] {
        var rng = SeededGenerator(seed: seed)
        let side = max(2, Int(Double(nodes).squareRoot().rounded(.up)))
        let spacing = 80.0
        func position(_ i: Int) -> (Double, Double) {
            var g = SeededGenerator(seed: seed ^ UInt64(i) &* 0x9E37_79B9)
            return (Double(i % side) * spacing + Double.random(in: -25...25, using: &g),
                    Double(i / side) * spacing + Double.random(in: -25...25, using: &g))
        }
        func osm(_ i: Int) -> Int64 { 5_000_000_000 + Int64(i) * 7919 }
        var edges: [NetworkEdge] = []
        func add(_ i: Int, _ j: Int) {
            let (x0, y0) = position(i), (x1, y1) = position(j)
            var shape = [AsciiNetwork.at(east: x0, south: y0)]
            let bends = Int.random(in: 0...2, using: &rng)
            for k in 0..<bends {
                let f = Double(k + 1) / Double(bends + 1)
                shape.append(AsciiNetwork.at(east: x0 + f * (x1 - x0) + Double.random(in: -12...12, using: &rng),
                                             south: y0 + f * (y1 - y0) + Double.random(in: -12...12, using: &rng)))
            }
            if i == j {
                shape.append(AsciiNetwork.at(east: x0 + 15, south: y0 + 20))
                shape.append(AsciiNetwork.at(east: x0 - 15, south: y0 + 20))
            }
            shape.append(AsciiNetwork.at(east: x1, south: y1))
            var drawn = 0.0
            for k in 1..<shape.count { drawn += Geodesy.distance(shape[k - 1], shape[k]).value }
            var length = drawn * Double.random(in: 1.0...1.25, using: &rng)
            if Double.random(in: 0..<1, using: &rng) < 0.01 { length = 0 }
            var (s, t) = (i, j)
            if Bool.random(using: &rng) {
                swap(&s, &t)
                shape.reverse()
            }
            edges.append(NetworkEdge(id: 9_000_000_000 + Int64(edges.count), sourceNode: osm(s), targetNode: osm(t),
                                     length: Meters(length), geometry: shape))
        }
        for i in 0..<nodes {
            let x = i % side
            if x + 1 < side && i + 1 < nodes && Double.random(in: 0..<1, using: &rng) < 0.8 { add(i, i + 1) }
            if i + side < nodes && Double.random(in: 0..<1, using: &rng) < 0.75 { add(i, i + side) }
            if x + 1 < side && i + side + 1 < nodes && Double.random(in: 0..<1, using: &rng) < 0.1 { add(i, i + side + 1) }
            if i + 1 < nodes && Double.random(in: 0..<1, using: &rng) < 0.04 { add(i, i + 1) }
            if Double.random(in: 0..<1, using: &rng) < 0.02 { add(i, i) }
        }
        edges.shuffle(using: &rng)
        return edges
    }

    /// A random position over the network's area, with a margin.
    static func point(nodes: Int, using rng: inout SeededGenerator) -> Coordinate {
        let extent = Double(max(2, Int(Double(nodes).squareRoot().rounded(.up)))) * 80
        return AsciiNetwork.at(east: Double.random(in: -60...(extent + 60), using: &rng),
                               south: Double.random(in: -60...(extent + 60), using: &rng))
    }
}
