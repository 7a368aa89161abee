import Foundation
import GridAnalysis
import GridModel

/// A small walking network drawn as text. Letters are junctions on a 100 m lattice: four characters
/// across and two lines down make 100 m; `-` and `|` runs join letters into edges.
///
///     A---B---C
///     |       |
///     D-------E
///
/// Edges are named by their two letters, left or top first ("AB", "DE"); lengths default to the lattice
/// distance and can be overridden. Edge ids count from 1 in reading order.
/// Geometry runs straight from the first letter to the second.
struct AsciiNetwork {
    static let origin = Coordinate(longitude: 121.47, latitude: 31.23)
    static let metersPerDegree = Geodesy.earthRadius * Double.pi / 180

    var nodeIDs: [Character: Int64] = [:]
    var positions: [Character: (east: Double, south: Double)] = [:]
    var edges: [NetworkEdge] = []
    var edgeNames: [String] = []

    init(_ drawing: String, idBase: Int64 = 1000, lengths: [String: Double] = [:]) {
        let lines = drawing.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) }
        func char(_ r: Int, _ c: Int) -> Character {
            r >= 0 && r < lines.count && c >= 0 && c < lines[r].count ? lines[r][c] : " "
        }
        for (r, line) in lines.enumerated() {
            for (c, ch) in line.enumerated() where ch.isLetter {
                precondition(c % 4 == 0 && r % 2 == 0, "junction \(ch) is off the lattice")
                nodeIDs[ch] = idBase + Int64(ch.asciiValue!)
                positions[ch] = (Double(c / 4) * 100, Double(r / 2) * 100)
            }
        }
        for (r, line) in lines.enumerated() {
            for (c, ch) in line.enumerated() where ch.isLetter {
                var k = c + 1
                if char(r, k) == "-" {
                    while char(r, k) == "-" { k += 1 }
                    precondition(char(r, k).isLetter, "dangling edge right of \(ch)")
                    add(ch, char(r, k), lengths)
                }
                k = r + 1
                if char(k, c) == "|" {
                    while char(k, c) == "|" { k += 1 }
                    precondition(char(k, c).isLetter, "dangling edge below \(ch)")
                    add(ch, char(k, c), lengths)
                }
            }
        }
    }

    private mutating func add(_ a: Character, _ b: Character, _ lengths: [String: Double]) {
        let name = String([a, b])
        let pa = positions[a]!, pb = positions[b]!
        let lattice = hypot(pb.east - pa.east, pb.south - pa.south)
        let length = lengths[name] ?? lengths[String([b, a])] ?? lattice
        edges.append(NetworkEdge(id: Int64(edges.count + 1), sourceNode: nodeIDs[a]!, targetNode: nodeIDs[b]!,
                                 length: Meters(length), geometry: [coordinate(a), coordinate(b)]))
        edgeNames.append(name)
    }

    /// A position given in metres east and south of the top-left character.
    static func at(east: Double, south: Double) -> Coordinate {
        let kx = metersPerDegree * cos(origin.latitude * .pi / 180)
        return Coordinate(longitude: origin.longitude + east / kx, latitude: origin.latitude - south / metersPerDegree)
    }

    func coordinate(_ node: Character) -> Coordinate {
        let p = positions[node]!
        return Self.at(east: p.east, south: p.south)
    }

    func graph() -> WalkingGraph { WalkingGraph(edges: edges) }

    func node(_ letter: Character, in graph: WalkingGraph) -> Int32 {
        graph.nodeIndex(ofOSMNode: nodeIDs[letter]!)!
    }

    /// Index in `graph` of the edge drawn between the two letters.
    func edge(_ name: String, in graph: WalkingGraph) -> Int32 {
        graph.edgeIndex(atInputPosition: edgeNames.firstIndex(of: name)!)
    }
}

extension WalkingGraph {
    /// Graph index of the edge given at `position` of the input.
    func edgeIndex(atInputPosition position: Int) -> Int32 {
        (0..<Int32(edgeCount)).first { inputPosition(ofEdge: $0) == position }!
    }
}
